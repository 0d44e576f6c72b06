#!/usr/bin/env bash
# What a user waits for before a client command has done anything: strata's start against skopeo's,
# podman's and ctr's for the nearest command each has, RUNS rounds (default 20) in rotating order,
# medians with min and max, and ratios against the peer. The pulls are of an image every client has
# already (a small busybox image from a local Strata registry): what is timed is the start, the
# manifest request and the check of the store. Then the registry's start, until GET /v2/ answers,
# against distribution's (Debian's docker-registry), SERVE_RUNS rounds (default 5), Strata with its
# AOT cache and without (STRATA_NO_AOT=1). BEFORE=DIR adds another checkout of strata, built, to
# the client rows (a change's before and after, side by side). Run on demand, as root:
#   [BEFORE=DIR] bench/start.sh [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
runs=${1:-20}
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
. "$here/bench/lib.sh"
for t in skopeo podman containerd ctr busybox bc docker-registry; do
  command -v $t >/dev/null || { echo "$t is needed (apt-get install skopeo podman containerd busybox-static bc docker-registry)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (containerd, podman's storage and strata's unpacking)" >&2; exit 1; }
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$ctd_pid" ] && stop_containerd "$work/ctd" || true
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
ctd_pid=
trap cleanup EXIT
strata() { STRATA_NO_BUILD=1 "$here/strata" "$@"; }
# A registry started in the background is the launcher itself (it execs java), so that $! is the
# JVM's pid and kill stops it: a shell function in the background would be a subshell, and killing
# that left the registry running.
serve_bg() { STRATA_NO_BUILD=1 exec "$here/strata" serve "$@"; }
before() { STRATA_NO_BUILD=1 "$BEFORE/strata" "$@"; }

# ---- a registry with the image, and every client holding it already
name=docker.io/bench/busybox:v1
busybox_image "$work" "$name"
make_aot_caches
serve_bg --listen "127.0.0.1:$port" --root "$work/registry" >"$work/registry.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.2; done
ref="127.0.0.1:$port/bench/busybox:v1"
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:$name" "docker://$ref"
strata --root "$work/strata" pull --quiet "$ref" >/dev/null
skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$work/skopeo:v1"
start_containerd "$work/ctd"
ctr --address "$work/ctd/sock" images pull --plain-http "$ref" >/dev/null
podman() { command podman --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver vfs "$@"; }
podman pull -q --tls-verify=false "$ref" >/dev/null
if [ -n "${BEFORE:-}" ]; then make_aot_caches "$BEFORE/strata"; before --root "$work/before" pull --quiet "$ref" >/dev/null; fi

# ---- the pairs: strata's command and the peer's nearest one
declare -A cmd
cmd[version_strata]="strata --version"
cmd[version_skopeo]="skopeo --version"
cmd[version_podman]="podman --version"
cmd[images_strata]="strata --root $work/strata images"
cmd[images_podman]="podman images"
cmd[images_ctr]="ctr --address $work/ctd/sock images ls"
cmd[pull_strata]="strata --root $work/strata pull --quiet $ref"
cmd[pull_skopeo]="skopeo copy --quiet --src-tls-verify=false docker://$ref oci:$work/skopeo:v1"
cmd[pull_ctr]="ctr --address $work/ctd/sock images pull --plain-http $ref"
cmd[pull_podman]="podman pull -q --tls-verify=false $ref"
keys=(version_strata version_skopeo version_podman images_strata images_podman images_ctr pull_strata pull_skopeo pull_ctr pull_podman)
if [ -n "${BEFORE:-}" ]; then
  cmd[version_before]="before --version"
  cmd[images_before]="before --root $work/before images"
  cmd[pull_before]="before --root $work/before pull --quiet $ref"
  keys+=(version_before images_before pull_before)
fi

declare -A t
for r in $(seq 1 "$runs"); do
  for k in $(seq 0 $((${#keys[@]} - 1))); do
    key=${keys[$(( (k + r) % ${#keys[@]} ))]}
    t[$key]+=" $(eval secs ${cmd[$key]})"
  done
done
ms() { local m; m=$(median "$@"); [ -z "$m" ] && { echo "FAILED"; return; }
  printf '%.0f ms (min %.0f, max %.0f)' "$(echo "$m * 1000" | bc)" "$(echo "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | head -1) * 1000" | bc)" \
    "$(echo "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | tail -1) * 1000" | bc)"; }
printf '| what | command | time | strata / this |\n|---|---|---|---|\n'
for key in "${keys[@]}"; do
  what=${key%_*}
  printf '| %s | `%s` | %s | %s |\n' "$what" "${cmd[$key]//$work/…}" "$(ms ${t[$key]})" \
    "$(ratio "$(median ${t[${what}_strata]})" "$(median ${t[$key]})")"
done
echo "all runs:" >&2; for key in "${keys[@]}"; do echo "$key:${t[$key]}" >&2; done

# ---- the registry's start: from the command to the first answer of GET /v2/ on an empty store
serve_secs() { # kind
  local p=$((20000 + RANDOM % 10000)) s e reg
  rm -rf "$work/serve"; mkdir -p "$work/serve"
  s=$(date +%s.%N)
  case $1 in
    strata) STRATA_LOG_LEVEL=warn serve_bg --listen "127.0.0.1:$p" --root "$work/serve/data" >"$work/serve/log" 2>&1 & ;;
    strata-no-aot) STRATA_NO_AOT=1 STRATA_LOG_LEVEL=warn serve_bg --listen "127.0.0.1:$p" --root "$work/serve/data" \
      >"$work/serve/log" 2>&1 & ;;
    distribution) distribution_config "$work/serve" "$p"; docker-registry serve "$work/serve/config.yml" >"$work/serve/log" 2>&1 & ;;
  esac
  reg=$!
  for _ in $(seq 1 3000); do curl -fs -o /dev/null "http://127.0.0.1:$p/v2/" && break; sleep 0.01; done
  e=$(date +%s.%N)
  if curl -fs -o /dev/null "http://127.0.0.1:$p/v2/"; then echo "$e - $s" | bc; else echo FAILED; fi
  kill "$reg"; wait "$reg" 2>/dev/null || true
}
serve_secs strata >/dev/null # not counted: it trains the registry's AOT cache
declare -A st
serve_kinds=(strata strata-no-aot distribution)
for r in $(seq 1 "${SERVE_RUNS:-5}"); do
  for k in $(seq 0 2); do key=${serve_kinds[$(( (k + r) % 3 ))]}; st[$key]+=" $(serve_secs "$key")"; done
done
printf '\n| registry | start until GET /v2/ answers | strata / this |\n|---|---|---|\n'
for key in "${serve_kinds[@]}"; do
  printf '| %s | %s | %s |\n' "$key" "$(ms ${st[$key]})" "$(ratio "$(median ${st[strata]})" "$(median ${st[$key]})")"
done
for key in "${serve_kinds[@]}"; do echo "serve $key:${st[$key]}" >&2; done
