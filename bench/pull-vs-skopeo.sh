#!/usr/bin/env bash
# Pull of a multi-layer image of about SIZE_MIB (default 1024) from a local Strata registry, cold and
# warm, by `strata pull` and by `skopeo copy docker://… oci:…`, run side by side; prints the times and
# the ratios (strata / skopeo, lower is better). Run on demand:  bench/pull-vs-skopeo.sh [SIZE_MIB] [LAYERS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
layers=${2:-8}
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
command -v skopeo >/dev/null || { echo "skopeo is needed (apt-get install skopeo)" >&2; exit 1; }

# An OCI layout of uncompressed tar layers of random bytes (no gzip: the benchmark measures transfer).
layout="$work/layout"; mkdir -p "$layout/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
per=$((size_mib / layers)); descs=(); diffs=()
for i in $(seq 1 "$layers"); do
  mkdir -p "$work/l$i"; head -c $((per * 1024 * 1024)) /dev/urandom > "$work/l$i/data$i"
  tar -C "$work/l$i" -cf "$work/layer.tar" .
  d=$(sha256sum "$work/layer.tar" | cut -d' ' -f1); s=$(stat -c %s "$work/layer.tar")
  mv "$work/layer.tar" "$layout/blobs/sha256/$d"; rm -rf "$work/l$i"
  descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$s}")
  diffs+=("\"sha256:$d\"")
done
config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$(IFS=,; echo "${diffs[*]}")]}}"
cd_=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1); printf '%s' "$config" > "$layout/blobs/sha256/$cd_"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd_\",\"size\":${#config}},\"layers\":[$(IFS=,; echo "${descs[*]}")]}"
md=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1); printf '%s' "$manifest" > "$layout/blobs/sha256/$md"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}" > "$layout/index.json"

STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:$port --root "$work/data" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.5; done
skopeo copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://127.0.0.1:$port/bench/app:v1"
ref="127.0.0.1:$port/bench/app:v1"

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }
runs=${RUNS:-3}
sc=(); kc=(); sw=(); kw=()
for r in $(seq 1 "$runs"); do
  rm -rf "$work/strata-store" "$work/skopeo-store"; sync
  # The JVM's start is part of what a user waits for; the launcher is already built.
  sc+=("$(t env STRATA_NO_BUILD=1 "$here/strata" pull --no-unpack --quiet --root "$work/strata-store" "$ref")")
  kc+=("$(t skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/skopeo-store:v1")")
  sw+=("$(t env STRATA_NO_BUILD=1 "$here/strata" pull --no-unpack --quiet --root "$work/strata-store" "$ref")")
  kw+=("$(t skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/skopeo-store:v1")")
done
strata_cold=$(median "${sc[@]}"); skopeo_cold=$(median "${kc[@]}")
strata_warm=$(median "${sw[@]}"); skopeo_warm=$(median "${kw[@]}")
echo "runs: $runs (medians below); cold strata: ${sc[*]}; cold skopeo: ${kc[*]}"
printf 'image: %d MiB in %d layers\n' "$size_mib" "$layers"
printf 'cold: strata %.2fs  skopeo %.2fs  ratio %.2f\n' "$strata_cold" "$skopeo_cold" "$(echo "$strata_cold / $skopeo_cold" | bc -l)"
printf 'warm: strata %.2fs  skopeo %.2fs  ratio %.2f\n' "$strata_warm" "$skopeo_warm" "$(echo "$strata_warm / $skopeo_warm" | bc -l)"
