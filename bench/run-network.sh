#!/usr/bin/env bash
# What a network costs a container's start: `strata run --rm IMG true` on the default bridge with one
# published port, against `--network none`, and `podman run --rm -p` against podman's `--network none`
# (runc, the same busybox image), RUNS rounds (default 10) alternating, medians with min and max.
# Targets (issue 28): the bridge and a port add at most 30 ms to strata's start; strata with -p is no
# slower than podman with -p. Run on demand, as root:  bench/run-network.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
runs=${RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in busybox podman bc; do command -v $t >/dev/null || { echo "$t is needed (apt-get install busybox-static podman bc)" >&2; exit 1; }; done
[ -x /usr/lib/cni/bridge ] || { echo "the CNI plugins are needed (apt-get install containernetworking-plugins)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/strata-net-bench.XXXXXX)
cleanup() {
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

name=docker.io/bench/busybox:v1
busybox_image "$work" "$name"
STRATA_NO_BUILD=1 "$here/strata" load --root "$work/strata" -i "$work/image.tar" >/dev/null
STRATA_NO_BUILD=1 "$here/strata" unpack --quiet --root "$work/strata" "$name"
make_aot_caches
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
podman() { CONTAINERS_CONF="$work/containers.conf" command podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay "$@"; }
podman load -q -i "$work/image.tar" >/dev/null
# The bridges, chains and plugins' first use, outside the timing.
STRATA_NO_BUILD=1 "$here/strata" run --root "$work/strata" --rm -p 18901:80 "$name" true >/dev/null
podman run --rm --runtime runc -p 18902:80 "$name" true >/dev/null

strata_none() { secs env STRATA_NO_BUILD=1 "$here/strata" run --root "$work/strata" --rm --network none "$name" true; }
strata_port() { secs env STRATA_NO_BUILD=1 "$here/strata" run --root "$work/strata" --rm -p 18901:80 "$name" true; }
podman_none() { secs podman run --rm --runtime runc --network none "$name" true; }
podman_port() { secs podman run --rm --runtime runc -p 18902:80 "$name" true; }

declare -A t
cases=(strata_none strata_port podman_none podman_port)
for r_ in $(seq 1 "$runs"); do
  for k in $(seq 0 3); do c=${cases[$(( (k + r_) % 4 ))]}; t[$c]+=" $($c)"; done
done
ms() { local m; m=$(median "$@"); [ -z "$m" ] && { echo "FAILED"; return; }; printf '%.0f' "$(echo "$m * 1000" | bc)"; }
printf '| client | --network none | bridge with -p | what the network adds | -p against podman -p |\n|---|---|---|---|---|\n'
sn=$(ms ${t[strata_none]}); sp=$(ms ${t[strata_port]}); pn=$(ms ${t[podman_none]}); pp=$(ms ${t[podman_port]})
printf '| strata | %s ms | %s ms | %s ms | %s |\n' "$sn" "$sp" "$((sp - sn))" "$(ratio "$sp" "$pp")"
printf '| podman | %s ms | %s ms | %s ms | 1.00 |\n' "$pn" "$pp" "$((pp - pn))"
echo "all runs:" >&2; for c in "${cases[@]}"; do echo "$c:${t[$c]}" >&2; done
