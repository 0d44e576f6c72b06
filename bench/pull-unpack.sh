#!/usr/bin/env bash
# Cold pull with unpack of a ~SIZE_MIB (default 1024) image of LAYERS (default 8) layers, gzip and
# zstd, from a local distribution registry (Debian's docker-registry), by three clients run side by
# side, alternating, RUNS times (default 3), medians with min and max:
#   strata pull                       (fetch + unpack into overlay snapshots, one streaming pass)
#   ctr images pull                   (containerd with its overlayfs snapshotter, its own root, restarted cold each run)
#   skopeo copy + umoci raw unpack    (fetch into an OCI layout, then unpack into one rootfs)
# and the ratios strata/ctr and strata/(skopeo+umoci), lower is better. A step that fails is
# reported as FAILED instead of a time. Needs root (unpacking makes device nodes and overlay mounts).
# Run on demand:  sudo bench/pull-unpack.sh [SIZE_MIB] [LAYERS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
size_mib=${1:-1024}
layers=${2:-8}
runs=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "run as root: unpacking needs it" >&2; exit 1; }
for t in docker-registry skopeo umoci containerd ctr zstd bc; do
  command -v $t >/dev/null || { echo "$t is needed (apt-get install docker-registry skopeo umoci containerd zstd bc)" >&2; exit 1; }
done
work=$(mktemp -d /var/tmp/strata-bench.XXXXXX)
port=$((20000 + RANDOM % 10000))
reg_pid=; ctd_pid=
cleanup() {
  [ -n "$ctd_pid" ] && kill "$ctd_pid" 2>/dev/null && wait "$ctd_pid" 2>/dev/null || true
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null || true
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the image: per layer, half incompressible bytes in a few large files, half text-like bytes in many small ones
per=$((size_mib * 1024 * 1024 / layers))
for c in gzip zstd; do mkdir -p "$work/$c/blobs/sha256"; echo '{"imageLayoutVersion":"1.0.0"}' > "$work/$c/oci-layout"; done
declare -A descs diffs
for i in $(seq 1 "$layers"); do
  d="$work/src$i"; mkdir -p "$d/bin" "$d/share/doc$i"
  for f in 1 2 3 4; do head -c $((per / 8)) /dev/urandom > "$d/bin/blob$f"; done
  (set +o pipefail; base64 -w 76 /dev/urandom | head -c $((per / 2))) > "$d/text"
  split -b 16384 -a 4 "$d/text" "$d/share/doc$i/page"; rm "$d/text"
  tar --numeric-owner -C "$d" -cf "$work/layer.tar" .; rm -rf "$d"
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  for c in gzip zstd; do
    if [ $c = gzip ]; then gzip -6 -c "$work/layer.tar" > "$work/blob"; mt=application/vnd.oci.image.layer.v1.tar+gzip
    else zstd -q -3 -c "$work/layer.tar" > "$work/blob"; mt=application/vnd.oci.image.layer.v1.tar+zstd; fi
    b=$(sha256sum "$work/blob" | cut -d' ' -f1); s=$(stat -c %s "$work/blob"); mv "$work/blob" "$work/$c/blobs/sha256/$b"
    descs[$c]+="${descs[$c]:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$b\",\"size\":$s}"
  done
  diffs[all]+="${diffs[all]:+,}\"sha256:$diff\""
  rm "$work/layer.tar"
done
for c in gzip zstd; do
  l="$work/$c"
  config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[${diffs[all]}]}}"
  cd_=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1); printf '%s' "$config" > "$l/blobs/sha256/$cd_"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd_\",\"size\":${#config}},\"layers\":[${descs[$c]}]}"
  md=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1); printf '%s' "$manifest" > "$l/blobs/sha256/$md"
  echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}" > "$l/index.json"
done

# ---- the registry: distribution, the reference implementation
mkdir -p "$work/registry"
cat > "$work/registry/config.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
# skopeo's blob-info cache can swap a zstd blob for a gzip one it saw before: push without it.
for c in gzip zstd; do
  rm -f /var/lib/containers/cache/blob-info-cache-v1.boltdb
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/$c:v1" "docker://127.0.0.1:$port/bench/$c:v1"
done
echo "image: $size_mib MiB in $layers layers; gzip $(du -sm "$work/gzip/blobs" | cut -f1) MiB, zstd $(du -sm "$work/zstd/blobs" | cut -f1) MiB compressed" >&2
rm -rf "$work/gzip" "$work/zstd"
make_aot_caches

# ---- one cold run of each client; prints seconds or FAILED
run_strata() {
  rm -rf "$work/strata"; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  secs env STRATA_NO_BUILD=1 "$here/strata" pull --quiet --root "$work/strata" "127.0.0.1:$port/bench/$1:v1"
  "$here/strata" gc --root "$work/strata" >/dev/null 2>&1 || true; rm -rf "$work/strata"
}
run_ctr() {
  start_containerd "$work/ctd"; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  secs ctr --address "$work/ctd/sock" images pull --plain-http "127.0.0.1:$port/bench/$1:v1"
  stop_containerd "$work/ctd"
}
skopeo_umoci() {
  skopeo copy --quiet --src-tls-verify=false "docker://127.0.0.1:$port/bench/$1:v1" "oci:$work/layout:v1" &&
    umoci raw unpack --image "$work/layout:v1" "$work/rootfs"
}
run_umoci() {
  rm -rf "$work/layout" "$work/rootfs"; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  secs skopeo_umoci "$1"
  rm -rf "$work/layout" "$work/rootfs"
}

printf '| compression | strata pull | ctr images pull | skopeo copy + umoci raw unpack | strata/ctr | strata/(skopeo+umoci) |\n|---|---|---|---|---|---|\n'
for c in gzip zstd; do
  s=(); k=(); u=()
  for r in $(seq 1 "$runs"); do
    # Alternate who goes first, so page cache and CPU frequency favour nobody.
    case $((r % 3)) in
      1) s+=("$(run_strata $c)"); k+=("$(run_ctr $c)"); u+=("$(run_umoci $c)") ;;
      2) k+=("$(run_ctr $c)"); u+=("$(run_umoci $c)"); s+=("$(run_strata $c)") ;;
      0) u+=("$(run_umoci $c)"); s+=("$(run_strata $c)"); k+=("$(run_ctr $c)") ;;
    esac
  done
  echo "$c runs: strata ${s[*]}; ctr ${k[*]}; skopeo+umoci ${u[*]}" >&2
  printf '| %s | %s | %s | %s | %s | %s |\n' "$c" "$(stats "${s[@]}")" "$(stats "${k[@]}")" "$(stats "${u[@]}")" \
    "$(ratio "$(median "${s[@]}")" "$(median "${k[@]}")")" "$(ratio "$(median "${s[@]}")" "$(median "${u[@]}")")"
done
