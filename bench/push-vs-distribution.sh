#!/usr/bin/env bash
# `skopeo copy` pushes of an image of about SIZE_MIB (default 1024) in LAYERS layers (default 8) into
# a Strata registry and a distribution registry (Debian's docker-registry), both started empty on the
# filesystem, side by side and alternating, RUNS rounds (default 3): the first push into the
# just-started registry (a JVM's compiler is still at work then), and a second image, other bytes,
# into the same one. Prints medians with min and max and the ratios strata / distribution (lower is
# better). Run on demand:
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

# Two OCI layouts of uncompressed layers of random bytes (what is timed is the registry's intake).
random_layout "$work/first" "$size_mib" "$layers"
random_layout "$work/second" "$size_mib" "$layers"

wait_up() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return; sleep 0.2; done; echo "registry on $1 did not start" >&2; exit 1; }

# Starts a fresh, empty registry of kind $1 (strata or distribution) on port $2; sets pid.
start_registry() {
  rm -rf "$work/data"; mkdir -p "$work/data"
  if [ "$1" = strata ]; then
    STRATA_NO_BUILD=1 "$here/strata" serve --listen "127.0.0.1:$2" --root "$work/data/strata" >"$work/strata.log" 2>&1 &
  else
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$work/data/dist" "$2" > "$work/dist.yml"
    docker-registry serve "$work/dist.yml" >"$work/dist.log" 2>&1 &
  fi
  pid=$!; wait_up "$2"
  # A registry is pushed to some time after it starts: both settle before the clock runs.
  sleep 2
}

# One round for kind $1: the first push into the just-started registry, then a second image (other
# bytes, nothing to share) into the same one. Prints both times.
round() {
  local port=$((20000 + RANDOM % 10000)) a b
  start_registry "$1" "$port"
  a=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$work/first:v1" "docker://127.0.0.1:$port/bench/first:v1")
  b=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$work/second:v1" "docker://127.0.0.1:$port/bench/second:v1")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  echo "$a $b"
}

s1=(); s2=(); d1=(); d2=()
for r in $(seq 1 "$runs"); do
  for kind in $([ $((r % 2)) = 1 ] && echo "strata distribution" || echo "distribution strata"); do
    read -r a b <<<"$(round "$kind")"
    if [ "$kind" = strata ]; then s1+=("$a"); s2+=("$b"); else d1+=("$a"); d2+=("$b"); fi
  done
done
echo "image: $size_mib MiB in $layers layers, skopeo copy oci: -> docker://, into a registry on the filesystem started empty"
echo "first push:  strata $(stats "${s1[@]}"), distribution $(stats "${d1[@]}"), ratio $(ratio "$(median "${s1[@]}")" "$(median "${d1[@]}")")"
echo "second push: strata $(stats "${s2[@]}"), distribution $(stats "${d2[@]}"), ratio $(ratio "$(median "${s2[@]}")" "$(median "${d2[@]}")")"
echo "all runs: strata ${s1[*]} / ${s2[*]}; distribution ${d1[*]} / ${d2[*]}" >&2
