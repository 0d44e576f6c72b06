#!/usr/bin/env bash
# The pull people do most: a second image whose base is already stored. A base of about SIZE_MIB
# (default 256) in LAYERS layers (default 4), and an image of the same layers plus 3 small ones, both
# on a local distribution registry (Debian's docker-registry). Each round, for strata and for
# containerd's ctr (overlayfs snapshotter, its own root), side by side, alternating, RUNS rounds
# (default 5): an empty store pulls the base (not timed), then the second image is pulled, unpack
# included (timed), then pulled again when everything is stored (timed). Medians with min and max,
# and the ratios strata / ctr (lower is better). A step that fails is reported as FAILED.
# Needs root (unpacking makes overlay snapshots). Run on demand:
#   sudo bench/pull-second.sh [SIZE_MIB] [LAYERS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
size_mib=${1:-256}
layers=${2:-4}
runs=${RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "run as root: unpacking needs it" >&2; exit 1; }
for t in docker-registry skopeo containerd ctr bc curl; do
  command -v $t >/dev/null || { echo "$t is needed (apt-get install docker-registry skopeo containerd bc curl)" >&2; exit 1; }
done
work=$(mktemp -d /var/tmp/strata-bench.XXXXXX)
port=$((20000 + RANDOM % 10000))
reg_pid=; ctd_pid=
cleanup() {
  [ -n "$ctd_pid" ] && stop_containerd "$work/ctd"
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null || true
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the images: the base, then the same layers and 3 small ones (about 100 small files each)
random_layout "$work/base" "$size_mib" "$layers"
cp -r "$work/base" "$work/second"
l="$work/second"
base_manifest=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$l/index.json")
descs=$(sed -n 's/.*"layers":\[\(.*\)\]}$/\1/p' "$l/blobs/sha256/$base_manifest")
base_config=$(sed -n 's/.*"config":{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$l/blobs/sha256/$base_manifest")
diffs=$(sed -n 's/.*"diff_ids":\[\(.*\)\]}}$/\1/p' "$l/blobs/sha256/$base_config")
for i in 1 2 3; do
  d="$work/small$i"; mkdir -p "$d/app$i"
  for f in $(seq 1 100); do head -c 2048 /dev/urandom | base64 > "$d/app$i/file$f"; done
  tar --numeric-owner -C "$d" -cf "$work/layer.tar" .; rm -rf "$d"
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  gzip -c "$work/layer.tar" > "$work/blob"; rm "$work/layer.tar"
  b=$(sha256sum "$work/blob" | cut -d' ' -f1); s=$(stat -c %s "$work/blob"); mv "$work/blob" "$l/blobs/sha256/$b"
  descs+=",{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$b\",\"size\":$s}"
  diffs+=",\"sha256:$diff\""
done
config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$diffs]}}"
c=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1); printf '%s' "$config" > "$l/blobs/sha256/$c"
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$c\",\"size\":${#config}},\"layers\":[$descs]}"
m=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1); printf '%s' "$manifest" > "$l/blobs/sha256/$m"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}" > "$l/index.json"

# ---- the registry
start_distribution "$work/registry" "$port"; reg_pid=$dist_pid
for i in base second; do skopeo copy --quiet --dest-tls-verify=false "oci:$work/$i:v1" "docker://127.0.0.1:$port/bench/$i:v1"; done
rm -rf "$work/base" "$work/second"
base="127.0.0.1:$port/bench/base:v1"
second="127.0.0.1:$port/bench/second:v1"
make_aot_caches

# ---- one round of each client; prints "second-pull-seconds stored-pull-seconds"
run_strata() {
  local root="$work/strata" a b
  rm -rf "$root"
  STRATA_NO_BUILD=1 "$here/strata" pull --quiet --root "$root" "$base" >>"$work/steps.log" 2>&1
  a=$(secs env STRATA_NO_BUILD=1 "$here/strata" pull --quiet --root "$root" "$second")
  b=$(secs env STRATA_NO_BUILD=1 "$here/strata" pull --quiet --root "$root" "$second")
  STRATA_NO_BUILD=1 "$here/strata" gc --root "$root" >/dev/null 2>&1 || true
  { grep -o " $root[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$root"
  echo "$a $b"
}
run_ctr() {
  local a b
  start_containerd "$work/ctd"
  ctr --address "$work/ctd/sock" images pull --plain-http "$base" >>"$work/steps.log" 2>&1
  a=$(secs ctr --address "$work/ctd/sock" images pull --plain-http "$second")
  b=$(secs ctr --address "$work/ctd/sock" images pull --plain-http "$second")
  stop_containerd "$work/ctd"
  echo "$a $b"
}

s1=(); s2=(); k1=(); k2=()
for r in $(seq 1 "$runs"); do
  for who in $([ $((r % 2)) = 1 ] && echo "strata ctr" || echo "ctr strata"); do
    read -r a b <<<"$(run_$who)"
    if [ "$who" = strata ]; then s1+=("$a"); s2+=("$b"); else k1+=("$a"); k2+=("$b"); fi
  done
done
echo "base: $size_mib MiB in $layers layers; second image: the base and 3 small gzip layers; $runs rounds"
echo "| pull | strata pull | ctr images pull | strata/ctr |"
echo "|---|---|---|---|"
echo "| second image, base stored | $(stats "${s1[@]}") | $(stats "${k1[@]}") | $(ratio "$(median "${s1[@]}")" "$(median "${k1[@]}")") |"
echo "| everything stored | $(stats "${s2[@]}") | $(stats "${k2[@]}") | $(ratio "$(median "${s2[@]}")" "$(median "${k2[@]}")") |"
echo "all runs: strata ${s1[*]} / ${s2[*]}; ctr ${k1[*]} / ${k2[*]}" >&2
