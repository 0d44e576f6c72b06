#!/usr/bin/env bash
# The lifecycle beside podman (runc, the same busybox image, no network): `run -d IMG sleep` then
# `rm -f`, RUNS rounds (default 10) alternating, medians; the resident memory of a detached
# container's monitor (conmon for both: Strata's used to be a 66 MB JVM); `ps -a` with 50 containers.
# Targets (issue 29): monitor RSS at most 3 MB; ps of 50 containers under 300 ms. Run on demand, as
# root:  bench/run-lifecycle.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
runs=${RUNS:-10}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in busybox podman conmon bc; do command -v $t >/dev/null || { echo "$t is needed (apt-get install busybox-static podman conmon bc)" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/strata-lifecycle-bench.XXXXXX)
strata() { local verb=$1; shift; STRATA_NO_BUILD=1 "$here/strata" "$verb" --root "$work/strata" "$@"; }
cleanup() {
  strata rm -f $(strata ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  podman rm -af >/dev/null 2>&1 || true
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

name=docker.io/bench/busybox:v1
BUSYBOX_APPLETS=sleep busybox_image "$work" "$name"
strata load -i "$work/image.tar" >/dev/null
strata unpack --quiet "$name"
make_aot_caches
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' > "$work/containers.conf"
podman() { CONTAINERS_CONF="$work/containers.conf" command podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay "$@"; }
podman load -q -i "$work/image.tar" >/dev/null

# ---- run -d, then rm -f
strata_cycle() { secs sh -c "id=\$(STRATA_NO_BUILD=1 '$here/strata' run --root '$work/strata' -d --network none '$name' sleep 600) && STRATA_NO_BUILD=1 '$here/strata' rm -f --root '$work/strata' \$id"; }
podman_cycle() { secs sh -c "id=\$(CONTAINERS_CONF='$work/containers.conf' podman --root '$work/podman/root' --runroot '$work/podman/run' --storage-driver overlay run -d --runtime runc --network none '$name' sleep 600) && CONTAINERS_CONF='$work/containers.conf' podman --root '$work/podman/root' --runroot '$work/podman/run' --storage-driver overlay rm -f -t 0 \$id"; }
declare -A t
cases=(strata_cycle podman_cycle)
for r_ in $(seq 1 "$runs"); do
  for k in 0 1; do c=${cases[$(( (k + r_) % 2 ))]}; t[$c]+=" $($c)"; done
done
ms() { local m; m=$(median "$@"); [ -z "$m" ] && { echo "FAILED"; return; }; printf '%.0f' "$(echo "$m * 1000" | bc)"; }
sc=$(ms ${t[strata_cycle]}); pc=$(ms ${t[podman_cycle]})
printf '| | strata | podman | strata/podman |\n|---|---|---|---|\n'
printf '| run -d + rm -f | %s ms | %s ms | %s |\n' "$sc" "$pc" "$(ratio "$sc" "$pc")"

# ---- a detached container's monitor: resident memory
sid=$(strata run -d --network none "$name" sleep 600)
pid_s=$(python3 -c "import json,sys; print(json.load(open('$work/strata/containers/$sid/container.json'))['pid'])")
pid_p=$(podman run -d --runtime runc --network none "$name" sleep 600 | xargs -I{} cat "$work/podman/run/overlay-containers/{}/userdata/conmon.pid" 2>/dev/null || true)
[ -n "$pid_p" ] || pid_p=$(pgrep -n conmon)
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
printf '| monitor RSS | %s kB (%s) | %s kB (%s) | %s |\n' "$(rss "$pid_s")" "$(cat /proc/$pid_s/comm)" "$(rss "$pid_p")" "$(cat /proc/$pid_p/comm)" \
  "$(ratio "$(rss "$pid_s")" "$(rss "$pid_p")")"
strata rm -f "$sid" >/dev/null; podman rm -af -t 0 >/dev/null

# ---- ps -a with 50 containers (created, not started: what is listed is the same for both)
for i in $(seq 1 50); do strata create --network none "$name" true >/dev/null; podman create --runtime runc --network none "$name" true >/dev/null; done
ps_s=""; ps_p=""
for r_ in $(seq 1 "$runs"); do
  ps_s+=" $(secs env STRATA_NO_BUILD=1 "$here/strata" ps -a --root "$work/strata")"
  ps_p+=" $(secs podman ps -a)"
done
printf '| ps -a, 50 containers | %s ms | %s ms | %s |\n' "$(ms $ps_s)" "$(ms $ps_p)" "$(ratio "$(ms $ps_s)" "$(ms $ps_p)")"
echo "all runs:" >&2; for c in "${cases[@]}"; do echo "$c:${t[$c]}" >&2; done; echo "ps strata:$ps_s" >&2; echo "ps podman:$ps_p" >&2
