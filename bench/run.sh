#!/usr/bin/env bash
# Time to run a container that does nothing: `strata run --rm IMG true` against `runc run` and
# `crun run` on a prepared bundle, `ctr run --rm` (containerd with its own root) and
# `podman run --rm`, same busybox image, RUNS rounds (default 10) alternating, medians with min and
# max, ratios against ctr run. The JVM's start is included in strata's time: it is what a user waits
# for. A client that fails reports FAILED instead of a time. Run on demand, as root:  bench/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
runs=${RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in busybox runc containerd ctr podman bc; do command -v $t >/dev/null || { echo "$t is needed (apt-get install busybox-static runc containerd podman bc)" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/strata-run-bench.XXXXXX)
ctd_pid=
cleanup() {
  [ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null || true
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the image: busybox, as an OCI archive every client loads
name=docker.io/bench/busybox:v1
busybox_image "$work" "$name"
r="$work/rootfs"

# ---- each client gets the image once, outside the timing
STRATA_NO_BUILD=1 "$here/strata" load --root "$work/strata" -i "$work/image.tar" >/dev/null
STRATA_NO_BUILD=1 "$here/strata" unpack --quiet --root "$work/strata" "$name"
make_aot_caches
mkdir -p "$work/bundle"; cp -a "$r" "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' config.json)
start_containerd "$work/ctd"
ctr --address "$work/ctd/sock" images import --no-unpack=false "$work/image.tar" >/dev/null
ctr --address "$work/ctd/sock" images unpack "$name" >/dev/null 2>&1 || true
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
podman() { CONTAINERS_CONF="$work/containers.conf" command podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay "$@"; }
podman load -q -i "$work/image.tar" >/dev/null

i=0
run_strata() { secs env STRATA_NO_BUILD=1 "$here/strata" run --root "$work/strata" --rm --network none "$name" true; }  # as the others: no network
run_runc() { i=$((i + 1)); secs runc --root "$work/runc" run --bundle "$work/bundle" "b$i"; }
run_crun() { i=$((i + 1)); secs crun --root "$work/crun" run --bundle "$work/bundle" "c$i"; }
run_ctr() { i=$((i + 1)); secs ctr --address "$work/ctd/sock" run --rm "$name" "k$i" true; }
run_podman() { secs podman run --rm --runtime runc --network none "$name" true; }  # crun cannot run on hybrid-cgroup hosts

declare -A t
clients=(strata runc crun ctr podman)
for r_ in $(seq 1 "$runs"); do
  # Rotate the order each round.
  for k in $(seq 0 4); do c=${clients[$(( (k + r_) % 5 ))]}; t[$c]+=" $(run_$c)"; done
done
ms() { local m; m=$(median "$@"); [ -z "$m" ] && { echo "FAILED"; return; }
  printf '%.0f ms (min %.0f, max %.0f)' "$(echo "$m * 1000" | bc)" "$(echo "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | head -1) * 1000" | bc)" \
    "$(echo "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | tail -1) * 1000" | bc)"; }
ctr_median=$(median ${t[ctr]})
printf '| client | time to run `true` | against ctr run |\n|---|---|---|\n'
for c in "${clients[@]}"; do
  printf '| %s | %s | %s |\n' "$c" "$(ms ${t[$c]})" "$(ratio "$(median ${t[$c]})" "$ctr_median")"
done
echo "all runs:" >&2; for c in "${clients[@]}"; do echo "$c:${t[$c]}" >&2; done
