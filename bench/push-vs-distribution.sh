#!/usr/bin/env bash
# `skopeo copy` pushes of an image of about SIZE_MIB (default 1024) in LAYERS layers (default 8) into
# a Strata registry and a distribution registry (Debian's docker-registry), both started empty on the
# filesystem, side by side and alternating, RUNS rounds (default 3): the first push into the
# just-started registry (a JVM's compiler is still at work then), and a second image, other bytes,
# into the same one. Prints medians with min and max and the ratios strata / distribution (lower is
# better). STORAGE=s3 puts both registries' blobs in one S3Proxy instead. Run on demand:
#   [STORAGE=s3] bench/push-vs-distribution.sh [SIZE_MIB] [LAYERS] [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
size_mib=${1:-1024}
layers=${2:-8}
runs=${3:-3}
work=$(mktemp -d)
. "$here/bench/lib.sh"
for t in skopeo docker-registry bc curl; do command -v $t >/dev/null || { echo "$t is needed (apt-get install skopeo docker-registry bc curl)" >&2; exit 1; }; done
pid=
cleanup() {
  for p in $pid $s3_pid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Two OCI layouts of uncompressed layers of random bytes (what is timed is the registry's intake).
random_layout "$work/first" "$size_mib" "$layers"
random_layout "$work/second" "$size_mib" "$layers"

wait_up() { for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$1/v2/" && return; sleep 0.2; done; echo "registry on $1 did not start" >&2; exit 1; }

# STORAGE=s3: both registries keep their blobs in one S3Proxy (from Maven Central, its filesystem
# backend under $work), started afresh each round; otherwise on the local filesystem.
storage=${STORAGE:-filesystem}
s3proxy_jar=$(ls "$HOME"/.m2/repository/org/gaul/s3proxy/*/s3proxy-*-jar-with-dependencies.jar 2>/dev/null | tail -1 || true)
if [ "$storage" = s3 ] && [ -z "$s3proxy_jar" ]; then
  echo "STORAGE=s3 needs S3Proxy's jar: ./mvnw verify -pl cli (ComposeIT fetches it) or mvn dependency:get" >&2; exit 1
fi
s3_pid=
start_s3() {
  local port=$1 java
  java="$(cat "$here/cli/target/java-home")/bin/java"
  rm -rf "$work/s3"; mkdir -p "$work/s3/strata" "$work/s3/dist"
  printf 's3proxy.endpoint=http://127.0.0.1:%s\ns3proxy.authorization=aws-v2-or-v4\ns3proxy.identity=bench\ns3proxy.credential=bench-secret\njclouds.provider=filesystem\njclouds.identity=bench\njclouds.credential=bench-secret\njclouds.filesystem.basedir=%s\n' \
    "$port" "$work/s3" > "$work/s3proxy.conf"
  "$java" -jar "$s3proxy_jar" --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
  s3_pid=$!
  for _ in $(seq 1 150); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.2; done
  echo "S3Proxy did not start" >&2; cat "$work/s3proxy.log" >&2; exit 1
}

# Starts a fresh, empty registry of kind $1 (strata or distribution) on port $2; sets pid.
start_registry() {
  local s3_port=$(($2 + 1))
  rm -rf "$work/data"; mkdir -p "$work/data"
  [ "$storage" = s3 ] && start_s3 "$s3_port"
  if [ "$1" = strata ]; then
    if [ "$storage" = s3 ]; then
      printf 'listen: 127.0.0.1:%s\nstorage:\n  s3:\n    bucket: strata\n    endpoint: http://127.0.0.1:%s\n    pathStyle: true\n    accessKey: bench\n    secretKey: bench-secret\n' \
        "$2" "$s3_port" > "$work/strata.yml"
      STRATA_NO_BUILD=1 "$here/strata" serve --config "$work/strata.yml" >"$work/strata.log" 2>&1 &
    else
      STRATA_NO_BUILD=1 "$here/strata" serve --listen "127.0.0.1:$2" --root "$work/data/strata" >"$work/strata.log" 2>&1 &
    fi
  else
    if [ "$storage" = s3 ]; then
      printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  s3:\n    accesskey: bench\n    secretkey: bench-secret\n    region: us-east-1\n    regionendpoint: http://127.0.0.1:%s\n    bucket: dist\n    secure: false\n    v4auth: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$s3_port" "$2" > "$work/dist.yml"
    else
      printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$work/data/dist" "$2" > "$work/dist.yml"
    fi
    # distribution's S3 driver cannot use a CA bundle with its own transport and panics if one is set.
    env -u AWS_CA_BUNDLE docker-registry serve "$work/dist.yml" >"$work/dist.log" 2>&1 &
  fi
  pid=$!; wait_up "$2"
  # A registry is pushed to some time after it starts: both settle before the clock runs.
  sleep 2
}

# One round for kind $1: the first push into the just-started registry, then a second image (other
# bytes, nothing to share) into the same one. Prints both times.
round() {
  local port=$((20000 + RANDOM % 10000)) a b
  start_registry "$1" "$port"
  a=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$work/first:v1" "docker://127.0.0.1:$port/bench/first:v1")
  b=$(secs skopeo copy --quiet --dest-tls-verify=false "oci:$work/second:v1" "docker://127.0.0.1:$port/bench/second:v1")
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  if [ -n "$s3_pid" ]; then kill "$s3_pid"; wait "$s3_pid" 2>/dev/null || true; s3_pid=; fi
  echo "$a $b"
}

s1=(); s2=(); d1=(); d2=()
for r in $(seq 1 "$runs"); do
  for kind in $([ $((r % 2)) = 1 ] && echo "strata distribution" || echo "distribution strata"); do
    read -r a b <<<"$(round "$kind")"
    if [ "$kind" = strata ]; then s1+=("$a"); s2+=("$b"); else d1+=("$a"); d2+=("$b"); fi
  done
done
echo "image: $size_mib MiB in $layers layers, skopeo copy oci: -> docker://, into a registry started empty, storage: $storage"
echo "first push:  strata $(stats "${s1[@]}"), distribution $(stats "${d1[@]}"), ratio $(ratio "$(median "${s1[@]}")" "$(median "${d1[@]}")")"
echo "second push: strata $(stats "${s2[@]}"), distribution $(stats "${d2[@]}"), ratio $(ratio "$(median "${s2[@]}")" "$(median "${d2[@]}")")"
echo "all runs: strata ${s1[*]} / ${s2[*]}; distribution ${d1[*]} / ${d2[*]}" >&2
