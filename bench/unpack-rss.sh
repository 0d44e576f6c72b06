#!/usr/bin/env bash
# Peak RSS of `strata pull` (fetch + unpack) of one layer of SIZE_MIB (default 4096) from a local
# distribution registry, measured with GNU time; memory must not grow with the layer. The layer is
# an uncompressed tar of random bytes (no compression time: the point is the streaming path).
# Run on demand, as root:  bench/unpack-rss.sh [SIZE_MIB]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-4096}
. "$here/bench/lib.sh"
[ "$(id -u)" = 0 ] || { echo "run as root: unpacking needs it" >&2; exit 1; }
for t in docker-registry skopeo /usr/bin/time; do command -v $t >/dev/null || { echo "$t is needed" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/strata-rss.XXXXXX)
port=$((20000 + RANDOM % 10000))
reg_pid=
trap '[ -n "$reg_pid" ] && kill $reg_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

mkdir -p "$work/src"
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/src/big"
tar -C "$work/src" -cf "$work/layer.tar" big; rm -rf "$work/src"
l="$work/layout"
one_layer_layout "$l" v1 "$work/layer.tar" none

mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/registry/data" "$port" > "$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
skopeo copy --quiet --dest-tls-verify=false "oci:$l:v1" "docker://127.0.0.1:$port/bench/big:v1"
rm -rf "$l"
make_aot_caches # (a training JVM is not the pull whose memory is measured)

/usr/bin/time -f '%M %e' -o "$work/time" env STRATA_NO_BUILD=1 "$here/strata" pull --quiet --root "$work/store" "127.0.0.1:$port/bench/big:v1" >/dev/null
read -r kib secs < "$work/time"
printf 'strata pull + unpack of a %d MiB layer: peak RSS %d MiB, %.1f s\n' "$size_mib" $((kib / 1024)) "$secs"
"$here/strata" rmi --root "$work/store" "127.0.0.1:$port/bench/big:v1" >/dev/null
"$here/strata" gc --root "$work/store" >/dev/null
