#!/usr/bin/env bash
# Memory under load: N concurrent pushes of a SIZE blob (chunked PATCH streamed by curl, then PUT),
# sampling the registry's resident memory. Run on demand:  bench/push-rss.sh [N] [SIZE_MIB]
# Prints the RSS at rest (20 s after start), at peak and a minute after the load, and the aggregate throughput.
# STRATA_JAVA_OPTS reaches the server's JVM, to compare settings.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
n=${1:-4}
size_mib=${2:-1024}
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/blob"
digest="sha256:$(sha256sum "$work/blob" | cut -d' ' -f1)"

STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:$port --root "$work/data" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.5; done
# The launcher execs java, so $pid is the JVM.
rss() { ps -o rss= -p "$pid" | tr -d ' '; }
# At rest: idle for 20 s after start, as a registry mostly is (what the JVM gives back periodically is back).
sleep 20
rest=$(rss)

push() {
  local repo=$1 loc
  loc=$(curl -fs -D - -o /dev/null -X POST "http://127.0.0.1:$port/v2/$repo/blobs/uploads/" | tr -d '\r' | awk 'tolower($1)=="location:"{print $2}')
  loc=$(curl -fs -D - -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' -T "$work/blob" \
        "http://127.0.0.1:$port$loc" | tr -d '\r' | awk 'tolower($1)=="location:"{print $2}')
  curl -fs -o /dev/null -X PUT "http://127.0.0.1:$port$loc?digest=$digest"
}

peak=$rest
start=$(date +%s.%N)
for i in $(seq 1 "$n"); do push "bench/repo$i" & done
pushes=$(jobs -p | grep -v "^$pid$" || true)
while kill -0 $pushes 2>/dev/null; do
  r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
  sleep 0.2
done
wait $pushes
end=$(date +%s.%N)
for i in $(seq 1 "$n"); do
  curl -fsI "http://127.0.0.1:$port/v2/bench/repo$i/blobs/$digest" | grep -qi "content-length: $((size_mib * 1024 * 1024))" \
    || { echo "push $i did not land" >&2; exit 1; }
done
sleep 60
after=$(rss)
[ -n "${STRATA_BENCH_NMT:-}" ] && jcmd "$pid" VM.native_memory summary > "$STRATA_BENCH_NMT" 2>&1
awk -v n="$n" -v s="$size_mib" -v rest="$rest" -v peak="$peak" -v after="$after" -v t0="$start" -v t1="$end" 'BEGIN {
  printf "pushes=%d size=%dMiB rss_rest=%dMiB rss_peak=%dMiB rss_after=%dMiB elapsed=%.1fs throughput=%.0fMiB/s\n",
    n, s, rest/1024, peak/1024, after/1024, t1-t0, n*s/(t1-t0) }'
