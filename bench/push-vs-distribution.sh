#!/usr/bin/env bash
# A `skopeo copy` push of an image of about SIZE_MIB (default 1024) in LAYERS layers (default 8) into
# an empty Strata registry and into an empty distribution registry (Debian's docker-registry), both
# on the filesystem, run side by side and alternating, RUNS rounds (default 3); prints medians with
# min and max and the ratio strata / distribution (lower is better). Run on demand:
#   bench/push-vs-distribution.sh [SIZE_MIB] [LAYERS] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
layers=${2:-8}
runs=${3:-3}
work=$(mktemp -d)
. "$here/bench/lib.sh"
for t in skopeo docker-registry bc curl; do command -v $t >/dev/null || { echo "$t is needed (apt-get install skopeo docker-registry bc curl)" >&2; exit 1; }; done
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# An OCI layout of uncompressed layers of random bytes (what is timed is the registry's intake).
layout="$work/layout"
random_layout "$layout" "$size_mib" "$layers"

wait_up() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return; sleep 0.2; done; echo "registry on $1 did not start" >&2; exit 1; }

# One push into a fresh, empty registry of each kind; the registry starts before the clock does.
push_strata() {
  local port=$((20000 + RANDOM % 10000)) t
  rm -rf "$work/strata"
  STRATA_NO_BUILD=1 "$here/strata" serve --listen "127.0.0.1:$port" --root "$work/strata" >"$work/strata.log" 2>&1 &
  pid=$!; wait_up "$port"
  t=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://127.0.0.1:$port/bench/app:v1")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  echo "$t"
}
push_distribution() {
  local port=$((20000 + RANDOM % 10000)) t
  rm -rf "$work/dist"; mkdir -p "$work/dist"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$work/dist/data" "$port" > "$work/dist/config.yml"
  docker-registry serve "$work/dist/config.yml" >"$work/dist.log" 2>&1 &
  pid=$!; wait_up "$port"
  t=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$layout:v1" "docker://127.0.0.1:$port/bench/app:v1")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  echo "$t"
}

strata_t=(); dist_t=()
for r in $(seq 1 "$runs"); do
  if [ $((r % 2)) = 1 ]; then strata_t+=("$(push_strata)"); dist_t+=("$(push_distribution)")
  else dist_t+=("$(push_distribution)"); strata_t+=("$(push_strata)"); fi
done
echo "image: $size_mib MiB in $layers layers, skopeo copy oci: -> docker://, each into an empty registry on the filesystem"
echo "strata:       $(stats "${strata_t[@]}")"
echo "distribution: $(stats "${dist_t[@]}")"
echo "ratio strata / distribution: $(ratio "$(median "${strata_t[@]}")" "$(median "${dist_t[@]}")")"
echo "all runs: strata ${strata_t[*]}; distribution ${dist_t[*]}" >&2
