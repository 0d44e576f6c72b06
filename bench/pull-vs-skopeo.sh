#!/usr/bin/env bash
# Pull of a multi-layer image of about SIZE_MIB (default 1024) from a local Strata registry, cold and
# warm, by `strata pull` and by `skopeo copy docker://… oci:…`, run side by side; prints the times and
# the ratios (strata / skopeo, lower is better). Run on demand:  bench/pull-vs-skopeo.sh [SIZE_MIB] [LAYERS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
layers=${2:-8}
. "$here/bench/lib.sh"
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
command -v skopeo >/dev/null || { echo "skopeo is needed (apt-get install skopeo)" >&2; exit 1; }

# An OCI layout of uncompressed tar layers of random bytes (no gzip: the benchmark measures transfer).
layout="$work/layout"
random_layout "$layout" "$size_mib" "$layers"

STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:$port --root "$work/data" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.5; done
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://127.0.0.1:$port/bench/app:v1"
ref="127.0.0.1:$port/bench/app:v1"
make_aot_caches

runs=${RUNS:-3}
sc=(); kc=(); sw=(); kw=()
for r in $(seq 1 "$runs"); do
  rm -rf "$work/strata-store" "$work/skopeo-store"; sync
  # The JVM's start is part of what a user waits for; the launcher is already built.
  sc+=("$(secs env STRATA_NO_BUILD=1 "$here/strata" pull --no-unpack --quiet --root "$work/strata-store" "$ref")")
  kc+=("$(secs skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/skopeo-store:v1")")
  sw+=("$(secs env STRATA_NO_BUILD=1 "$here/strata" pull --no-unpack --quiet --root "$work/strata-store" "$ref")")
  kw+=("$(secs skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/skopeo-store:v1")")
done
strata_cold=$(median "${sc[@]}"); skopeo_cold=$(median "${kc[@]}")
strata_warm=$(median "${sw[@]}"); skopeo_warm=$(median "${kw[@]}")
echo "runs: $runs (medians below); cold strata: ${sc[*]}; cold skopeo: ${kc[*]}"
printf 'image: %d MiB in %d layers\n' "$size_mib" "$layers"
echo "cold: strata $(stats "${sc[@]}")  skopeo $(stats "${kc[@]}")  ratio $(ratio "$strata_cold" "$skopeo_cold")"
echo "warm: strata $(stats "${sw[@]}")  skopeo $(stats "${kw[@]}")  ratio $(ratio "$strata_warm" "$skopeo_warm")"
