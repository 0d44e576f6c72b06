# Shared by the benchmarks: statistics over run times, and a containerd of the benchmark's own.
# Sourced, not run.

# Seconds a command took, or FAILED; its output goes to $work/steps.log.
secs() { local s e; s=$(date +%s.%N); if "$@" >>"$work/steps.log" 2>&1; then e=$(date +%s.%N); echo "$e - $s" | bc; else echo FAILED; fi; }

# The median of the times given, FAILED ones left out (nothing when all failed).
median() { local n; n=$(printf '%s\n' "$@" | grep -vc FAILED || true); [ "$n" -gt 0 ] || return 0
  printf '%s\n' "$@" | grep -v FAILED | sort -g | sed -n "$(( (n + 1) / 2 ))p"; }

# "median (min, max)" in seconds, or FAILED.
stats() { local m; m=$(median "$@"); [ -z "$m" ] && { echo "FAILED"; return; }
  printf '%.2fs (min %.2f, max %.2f)' "$m" "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | head -1)" "$(printf '%s\n' "$@" | grep -v FAILED | sort -g | tail -1)"; }

ratio() { [ -z "$1" ] || [ -z "$2" ] && { echo "n/a"; return; }; printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# Starts containerd with its root, state and socket under $1 (socket: $1/sock); sets ctd_pid.
start_containerd() {
  mkdir -p "$1"
  cat > "$1/config.toml" <<TOML
version = 2
root = "$1/root"
state = "$1/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$1/sock"
[ttrpc]
  address = "$1/sock.ttrpc"
TOML
  containerd --config "$1/config.toml" >"$1/log" 2>&1 &
  ctd_pid=$!
  for _ in $(seq 1 100); do ctr --address "$1/sock" version >/dev/null 2>&1 && return; sleep 0.1; done
  echo "containerd did not start" >&2; cat "$1/log" >&2
}

# Stops that containerd and unmounts what it left under $1.
stop_containerd() {
  kill "$ctd_pid" 2>/dev/null; wait "$ctd_pid" 2>/dev/null || true; ctd_pid=
  { grep -o " $1[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$1"
}
