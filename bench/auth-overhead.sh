#!/usr/bin/env bash
# What auth costs: HEAD of a manifest and GET of a 64 KiB blob, with ab (keep-alive, 32 at a time),
# against three Strata registries run side by side: no auth, htpasswd (Basic on every request) and
# token mode with the built-in issuer (a bearer JWT on every request). Rounds alternate between the
# three; medians, min and max of requests per second, and the ratio to no auth (target >= 0.90).
# Run on demand:  bench/auth-overhead.sh [REQUESTS] [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/bench/lib.sh"
requests=${1:-20000}
rounds=${2:-3}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for tool in ab curl htpasswd openssl; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done

htpasswd -Bbc "$work/htpasswd" alice s3cret 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/issuer.pem" 2>/dev/null
head -c 65536 /dev/urandom > "$work/blob"
digest="sha256:$(sha256sum "$work/blob" | cut -d' ' -f1)"
config='{}'
cdigest="sha256:$(printf %s "$config" | sha256sum | cut -d' ' -f1)"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"$cdigest\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"$digest\",\"size\":65536}]}"

declare -A port auth
start() { # name, env...
  local name=$1; shift
  port[$name]=$((20000 + RANDOM % 20000))
  env STRATA_LOG_ACCESS=false STRATA_LOG_LEVEL=warn "$@" "$here/strata" serve --listen 127.0.0.1:${port[$name]} --root "$work/data-$name" \
    2>"$work/$name.log" &
  pids+=($!)
  for _ in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:${port[$name]}/v2/" && return; sleep 0.5; done
  echo "$name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}
start none
start htpasswd STRATA_AUTH_MODE=htpasswd STRATA_AUTH_HTPASSWD_PATH="$work/htpasswd"
start token STRATA_AUTH_MODE=token STRATA_AUTH_HTPASSWD_PATH="$work/htpasswd" STRATA_AUTH_ISSUER_ENABLED=true \
  STRATA_AUTH_ISSUER_PRIVATEKEY="$work/issuer.pem"

auth[none]=""
auth[htpasswd]="Authorization: Basic $(printf alice:s3cret | base64)"
token=$(curl -fs -u alice:s3cret "http://127.0.0.1:${port[token]}/token?service=strata&scope=repository:bench/app:pull,push" \
  | sed 's/.*"token":"\([^"]*\)".*/\1/')
auth[token]="Authorization: Bearer $token"

for name in none htpasswd token; do
  base="http://127.0.0.1:${port[$name]}/v2/bench/app"
  h=(); [ -n "${auth[$name]}" ] && h=(-H "${auth[$name]}")
  curl -fs "${h[@]}" -X POST --data-binary @"$work/blob" -H 'Content-Type: application/octet-stream' "$base/blobs/uploads/?digest=$digest"
  printf %s "$config" | curl -fs "${h[@]}" -X POST --data-binary @- "$base/blobs/uploads/?digest=$cdigest"
  printf %s "$manifest" | curl -fs "${h[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @- \
    "$base/manifests/v1"
done

# Requests per second of one ab run, or FAILED when any response was not 2xx.
rps() { # name, ab args...
  local name=$1; shift
  local h=(); [ -n "${auth[$name]}" ] && h=(-H "${auth[$name]}")
  local out
  out=$(ab -q -k -n "$requests" -c 32 "${h[@]}" "$@" 2>&1) || { echo FAILED; return; }
  if grep -q "Non-2xx responses" <<<"$out"; then echo FAILED; return; fi
  awk '/Requests per second/ {print $4}' <<<"$out"
}

# A round not counted: the JIT warms up on each server first.
for name in none htpasswd token; do
  url="http://127.0.0.1:${port[$name]}/v2/bench/app"
  requests_was=$requests; requests=$((requests / 2))
  rps "$name" -i "$url/manifests/v1" >/dev/null; rps "$name" "$url/blobs/$digest" >/dev/null
  requests=$requests_was
done

declare -A head_rps get_rps
for r in $(seq 1 "$rounds"); do
  for name in none htpasswd token; do
    url="http://127.0.0.1:${port[$name]}/v2/bench/app"
    head_rps[$name]+="$(rps "$name" -i -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$url/manifests/v1") "
    get_rps[$name]+="$(rps "$name" "$url/blobs/$digest") "
  done
done

summary() { local m; m=$(median $1); [ -z "$m" ] && { echo FAILED; return; }
  printf '%.0f (min %.0f, max %.0f)' "$m" "$(printf '%s\n' $1 | grep -v FAILED | sort -g | head -1)" \
    "$(printf '%s\n' $1 | grep -v FAILED | sort -g | tail -1)"; }
printf '| request | no auth (req/s) | htpasswd | token | htpasswd/none | token/none |\n|---|---|---|---|---|---|\n'
for kind in head get; do
  declare -n v="${kind}_rps"
  label=$([ $kind = head ] && echo "HEAD manifest" || echo "GET 64 KiB blob")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(summary "${v[none]}")" "$(summary "${v[htpasswd]}")" "$(summary "${v[token]}")" \
    "$(ratio "$(median ${v[htpasswd]})" "$(median ${v[none]})")" "$(ratio "$(median ${v[token]})" "$(median ${v[none]})")"
done
