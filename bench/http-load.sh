#!/usr/bin/env bash
# The registry under HTTP load, against distribution (Debian's docker-registry) run beside it: HEAD
# and GET of a manifest by tag, GET of a 64 KiB blob (ab, keep-alive, 32 at a time) and GET of a
# 64 MiB blob (8 at a time). Both registries start empty on the filesystem and get the same image;
# rounds alternate between them after a warm-up round each. Prints requests per second (MiB/s for
# the large blob), median (min, max), the ratio Strata / distribution, and each registry's peak RSS.
# Run on demand:  bench/http-load.sh [REQUESTS] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/bench/lib.sh"
requests=${1:-20000}
rounds=${2:-3}
large_requests=$(( requests / 200 > 16 ? requests / 200 : 16 ))
work=$(mktemp -d)
strata_pid= dist_pid=
trap 'for p in $strata_pid $dist_pid; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for tool in ab curl docker-registry; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done

head -c 65536 /dev/urandom > "$work/small"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/large"
small="sha256:$(sha256sum "$work/small" | cut -d' ' -f1)"
large="sha256:$(sha256sum "$work/large" | cut -d' ' -f1)"
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$work/config"
config="sha256:$(sha256sum "$work/config" | cut -d' ' -f1)"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$config\",\"size\":$(stat -c %s "$work/config")},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"$small\",\"size\":65536},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"$large\",\"size\":$((64 * 1024 * 1024))}]}"
mtype=application/vnd.oci.image.manifest.v1+json

declare -A port pid
port[strata]=$((20000 + RANDOM % 10000))
port[distribution]=$((30000 + RANDOM % 10000))
STRATA_LOG_ACCESS=false STRATA_LOG_LEVEL=warn "$here/strata" serve --listen 127.0.0.1:${port[strata]} --root "$work/strata" \
  2>"$work/strata.log" &
strata_pid=$!
for _ in $(seq 1 120); do curl -fs -o /dev/null "http://127.0.0.1:${port[strata]}/v2/" && break; sleep 0.5; done
curl -fs -o /dev/null "http://127.0.0.1:${port[strata]}/v2/" || { echo "strata did not start" >&2; cat "$work/strata.log" >&2; exit 1; }
start_distribution "$work/distribution" "${port[distribution]}"
pid[strata]=$strata_pid pid[distribution]=$dist_pid

for name in strata distribution; do
  base="http://127.0.0.1:${port[$name]}/v2/bench/app"
  for blob in "small $small" "large $large" "config $config"; do
    read -r file digest <<<"$blob"
    upload_blob "$base" "$work/$file" "$digest" || { echo "$name: the $file blob did not upload" >&2; exit 1; }
  done
  printf %s "$manifest" | curl -fs -o /dev/null -X PUT -H "Content-Type: $mtype" --data-binary @- "$base/manifests/v1"
  curl -fs -o /dev/null -H "Accept: $mtype" "$base/manifests/v1" || { echo "$name: the image did not land" >&2; exit 1; }
done

# Requests per second of one ab run, or FAILED when a request failed or was not 2xx.
rps() { # ab args...
  local out
  out=$(ab -q -k "$@" 2>&1) || { echo FAILED; return; }
  if grep -qE "Non-2xx responses|^Failed requests: +[1-9]" <<<"$out"; then echo FAILED; return; fi
  awk '/Requests per second/ {print $4}' <<<"$out"
}

declare -A peak
rss() { ps -o rss= -p "${pid[$1]}" | tr -d ' '; }
# Runs one kind of request against one registry, sampling its RSS meanwhile; prints the rate.
load() { # name, kind
  local base="http://127.0.0.1:${port[$1]}/v2/bench/app" out sampler
  ( while :; do echo "$(rss "$1")"; sleep 0.2; done ) > "$work/rss-$1" 2>/dev/null &
  sampler=$!
  case $2 in
    head) out=$(rps -n "$requests" -c 32 -i -H "Accept: $mtype" "$base/manifests/v1") ;;
    manifest) out=$(rps -n "$requests" -c 32 -H "Accept: $mtype" "$base/manifests/v1") ;;
    small) out=$(rps -n "$requests" -c 32 "$base/blobs/$small") ;;
    large) out=$(rps -n "$large_requests" -c 8 "$base/blobs/$large")
      [ "$out" != FAILED ] && out=$(echo "$out * 64" | bc -l) ;;
  esac
  kill $sampler; wait $sampler 2>/dev/null || true
  local p; p=$(sort -n "$work/rss-$1" | tail -1)
  [ -n "$p" ] && [ "$p" -gt "${peak[$1]:-0}" ] && peak[$1]=$p
  echo "$out"
}

kinds="head manifest small large"
# A round not counted: each server's first requests (Strata's JIT warms up on them).
for name in strata distribution; do for k in $kinds; do load "$name" "$k" >/dev/null; done; done

declare -A result
for r in $(seq 1 "$rounds"); do
  for k in $kinds; do
    for name in strata distribution; do result[$name-$k]+="$(load "$name" "$k") "; done
  done
done

summary() { local m; m=$(median $1); [ -z "$m" ] && { echo FAILED; return; }
  printf '%.0f (min %.0f, max %.0f)' "$m" "$(printf '%s\n' $1 | grep -v FAILED | sort -g | head -1)" \
    "$(printf '%s\n' $1 | grep -v FAILED | sort -g | tail -1)"; }
printf '| request | Strata | distribution | Strata / distribution |\n|---|---|---|---|\n'
for k in $kinds; do
  case $k in
    head) label="HEAD manifest (req/s)" ;; manifest) label="GET manifest (req/s)" ;;
    small) label="GET 64 KiB blob (req/s)" ;; large) label="GET 64 MiB blob (MiB/s, 8 at a time)" ;;
  esac
  printf '| %s | %s | %s | %s |\n' "$label" "$(summary "${result[strata-$k]}")" "$(summary "${result[distribution-$k]}")" \
    "$(ratio "$(median ${result[strata-$k]})" "$(median ${result[distribution-$k]})")"
done
printf '| peak RSS (MiB) | %d | %d | |\n' $(( ${peak[strata]:-0} / 1024 )) $(( ${peak[distribution]:-0} / 1024 ))
