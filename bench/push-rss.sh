#!/usr/bin/env bash
# Memory under load: N concurrent pushes of a SIZE blob (chunked PATCH streamed by curl, then PUT),
# with READERS clients meanwhile reading a 64 MiB blob over and over, sampling the registry's resident
# memory, for Strata and then for distribution (Debian's docker-registry), each started empty on the
# filesystem. Run on demand:
#   [REGISTRIES="strata distribution"] [READERS=0] [REST_SECONDS=20] [AFTER_SECONDS=60] bench/push-rss.sh [N] [SIZE_MIB]
# Prints, per registry, the RSS at rest (20 s after start), at peak and a minute after the load, and
# the aggregate throughput. STRATA_JAVA_OPTS reaches Strata's JVM, to compare settings.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
n=${1:-4}
size_mib=${2:-1024}
registries=${REGISTRIES:-strata distribution}
readers=${READERS:-0}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/blob"
digest="sha256:$(sha256sum "$work/blob" | cut -d' ' -f1)"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/read"
read_digest="sha256:$(sha256sum "$work/read" | cut -d' ' -f1)"

push() { # repo, file, digest
  upload_blob "http://127.0.0.1:$port/v2/$1" "$2" "$3" || { echo "push to $1 failed" >&2; return 1; }
}
# Reads the 64 MiB blob until $work/stop exists; a failed read is written to $work/read-failed.
reader() {
  while [ ! -e "$work/stop" ]; do
    curl -fs -o /dev/null "http://127.0.0.1:$port/v2/bench/read/blobs/$read_digest" || { touch "$work/read-failed"; return; }
  done
}

rss() { ps -o rss= -p "$pid" | tr -d ' '; }
# Whether any of the processes given still runs (the peak is sampled until the last push ends).
alive() { local p; for p; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }

# One registry of kind $1: start it empty, rest, load, rest again; prints one line.
measure() {
  port=$((20000 + RANDOM % 10000))
  rm -rf "$work/data"
  if [ "$1" = strata ]; then
    STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:$port --root "$work/data" 2>"$work/server.log" &
    pid=$! # the launcher execs java, so this is the JVM
    for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.5; done
  else
    start_distribution "$work/data" "$port"; pid=$dist_pid
  fi
  [ "$readers" -gt 0 ] && push bench/read "$work/read" "$read_digest"
  # At rest: idle for 20 s after start, as a registry mostly is (what the JVM gives back periodically is back).
  sleep ${REST_SECONDS:-20}
  local rest peak start end after r
  rest=$(rss)
  peak=$rest
  start=$(date +%s.%N)
  rm -f "$work/stop" "$work/read-failed"
  local readers_pids=() pushes=()
  for i in $(seq 1 "$readers"); do reader & readers_pids+=($!); done
  for i in $(seq 1 "$n"); do push "bench/repo$i" "$work/blob" "$digest" & pushes+=($!); done
  while alive "${pushes[@]}"; do
    r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.2
  done
  for p in "${pushes[@]}"; do wait "$p" || { echo "$1: a push failed" >&2; exit 1; }; done
  end=$(date +%s.%N)
  touch "$work/stop"
  for p in "${readers_pids[@]}"; do wait "$p"; done
  [ -e "$work/read-failed" ] && { echo "$1: a read failed" >&2; exit 1; }
  for i in $(seq 1 "$n"); do
    curl -fsI "http://127.0.0.1:$port/v2/bench/repo$i/blobs/$digest" | grep -qi "content-length: $((size_mib * 1024 * 1024))" \
      || { echo "$1: push $i did not land" >&2; exit 1; }
  done
  sleep ${AFTER_SECONDS:-60}
  after=$(rss)
  [ "$1" = strata ] && [ -n "${STRATA_BENCH_NMT:-}" ] && jcmd "$pid" VM.native_memory summary > "$STRATA_BENCH_NMT" 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  awk -v k="$1" -v n="$n" -v r="$readers" -v s="$size_mib" -v rest="$rest" -v peak="$peak" -v after="$after" -v t0="$start" -v t1="$end" 'BEGIN {
    printf "%-12s pushes=%d readers=%d size=%dMiB rss_rest=%dMiB rss_peak=%dMiB rss_after=%dMiB elapsed=%.1fs throughput=%.0fMiB/s\n",
      k, n, r, s, rest/1024, peak/1024, after/1024, t1-t0, n*s/(t1-t0) }'
}

for r in $registries; do measure "$r"; done
