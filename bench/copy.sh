#!/usr/bin/env bash
# strata copy and strata sync against skopeo copy and skopeo sync, side by side, between two local
# registries (Strata as the source, Debian's docker-registry as the destination): an image of about
# SIZE_MIB (default 1024) in LAYERS layers copied to a fresh repository each round, and a 30-tag
# repository synced into a fresh namespace, then synced again with nothing to move. Medians of RUNS
# rounds (default 3), alternating which tool goes first; ratios strata / skopeo (lower is better).
#   bench/copy.sh [SIZE_MIB] [LAYERS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
layers=${2:-8}
runs=${RUNS:-3}
. "$here/bench/lib.sh"
for t in skopeo docker-registry curl bc; do command -v $t >/dev/null || { echo "$t is needed (apt-get install $t)" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/strata-copy-bench.XXXXXX)
src_port=$((20000 + RANDOM % 10000)); dst_port=$((src_port + 1))
trap 'kill $pid ${dist_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

STRATA_LOG_ACCESS=false STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:$src_port --root "$work/source" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$src_port/v2/" >/dev/null && break; sleep 0.5; done
src=127.0.0.1:$src_port; dst=127.0.0.1:$dst_port

# The big image, and a repository of 30 tags (small images, each its own layer).
random_layout "$work/layout" "$size_mib" "$layers"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:v1" "docker://$src/bench/big:v1"
for i in $(seq -w 1 30); do
  random_layout "$work/small-$i" 1 1
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/small-$i:v1" "docker://$src/bench/tags:t$i"
done
make_aot_caches
strata() { STRATA_NO_BUILD=1 "$here/strata" "$@"; }

# Each round and tool gets a destination registry of its own, started fresh: neither tool can then
# mount a blob from an earlier round's repository (skopeo's blob-info cache would, and its HOME is
# fresh too for the same reason).
fresh_destination() {
  [ -n "${dist_pid:-}" ] && { kill "$dist_pid"; wait "$dist_pid" 2>/dev/null || true; }
  rm -rf "$work/destination"; start_distribution "$work/destination" "$dst_port"
}
declare -A t
for r in $(seq 1 "$runs"); do
  for who in $([ $((r % 2)) = 1 ] && echo "strata skopeo" || echo "skopeo strata"); do
    fresh_destination
    if [ "$who" = strata ]; then
      t[strata.copy]+="$(secs strata copy -q "docker://$src/bench/big:v1" "docker://$dst/bench/big:v1") "
      t[strata.sync]+="$(secs strata sync "docker://$src/bench/tags" "docker://$dst/mirror") "
      t[strata.again]+="$(secs strata sync "docker://$src/bench/tags" "docker://$dst/mirror") "
    else
      export HOME="$work/home-$r"; mkdir -p "$HOME"
      t[skopeo.copy]+="$(secs skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false "docker://$src/bench/big:v1" "docker://$dst/bench/big:v1") "
      t[skopeo.sync]+="$(secs skopeo sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$src/bench/tags" "$dst/mirror") "
      t[skopeo.again]+="$(secs skopeo sync --src docker --dest docker --src-tls-verify=false --dest-tls-verify=false "$src/bench/tags" "$dst/mirror") "
    fi
  done
done

printf 'image: %d MiB in %d layers; 30 tags of 1 MiB each; %d rounds\n\n' "$size_mib" "$layers" "$runs"
echo "| operation | strata | skopeo | strata/skopeo |"
echo "|---|---|---|---|"
for k in copy sync again; do
  label=$(case $k in copy) echo "copy, registry to registry";; sync) echo "sync of 30 tags";; again) echo "sync again, nothing to move";; esac)
  # shellcheck disable=SC2086
  echo "| $label | $(stats ${t[strata.$k]}) | $(stats ${t[skopeo.$k]}) | $(ratio "$(median ${t[strata.$k]})" "$(median ${t[skopeo.$k]})") |"
done
if printf '%s\n' "${t[@]}" | grep -q FAILED; then echo "some runs failed; the end of their log:" >&2; tail -20 "$work/steps.log" >&2; fi
