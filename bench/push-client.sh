#!/usr/bin/env bash
# The client's push: `strata push` of a stored image of about SIZE_MIB (default 1024) in LAYERS
# uncompressed layers (default 8) against `skopeo copy oci:… docker://…` of the same image, each into
# an empty distribution registry (Debian's docker-registry, started afresh for every push),
# alternating, RUNS rounds (default 3); medians with min and max, and the ratio strata / skopeo
# (lower is better). A push that fails is reported as FAILED. Run on demand:
#   bench/push-client.sh [SIZE_MIB] [LAYERS] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
size_mib=${1:-1024}
layers=${2:-8}
runs=${3:-3}
for t in skopeo docker-registry bc curl; do command -v $t >/dev/null || { echo "$t is needed (apt-get install skopeo docker-registry bc curl)" >&2; exit 1; }; done
work=$(mktemp -d)
dist_pid=; source_pid=
cleanup() {
  for p in $dist_pid $source_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The image: an OCI layout for skopeo, and the same image in strata's store, pulled from a source registry.
random_layout "$work/layout" "$size_mib" "$layers"
source_port=$((20000 + RANDOM % 5000))
start_distribution "$work/source" "$source_port"; source_pid=$dist_pid; dist_pid=
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:v1" "docker://127.0.0.1:$source_port/bench/app:v1"
STRATA_NO_BUILD=1 "$here/strata" pull --quiet --no-unpack --root "$work/store" "127.0.0.1:$source_port/bench/app:v1" >/dev/null
make_aot_caches

# One push into a fresh, empty registry; prints seconds or FAILED.
push() {
  local port=$((25000 + RANDOM % 5000)) t
  rm -rf "$work/target"
  start_distribution "$work/target" "$port"
  if [ "$1" = strata ]; then
    t=$(secs env STRATA_NO_BUILD=1 "$here/strata" push --quiet --root "$work/store" \
      "127.0.0.1:$source_port/bench/app:v1" "127.0.0.1:$port/bench/app:v1")
  else
    t=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:v1" "docker://127.0.0.1:$port/bench/app:v1")
  fi
  kill "$dist_pid"; wait "$dist_pid" 2>/dev/null || true; dist_pid=
  echo "$t"
}

s=(); k=()
for r in $(seq 1 "$runs"); do
  if [ $((r % 2)) = 1 ]; then s+=("$(push strata)"); k+=("$(push skopeo)"); else k+=("$(push skopeo)"); s+=("$(push strata)"); fi
done
echo "image: $size_mib MiB in $layers layers, pushed into an empty distribution registry; $runs rounds"
echo "strata push:  $(stats "${s[@]}")"
echo "skopeo copy:  $(stats "${k[@]}")"
echo "ratio strata / skopeo: $(ratio "$(median "${s[@]}")" "$(median "${k[@]}")")"
echo "all runs: strata ${s[*]}; skopeo ${k[*]}" >&2
