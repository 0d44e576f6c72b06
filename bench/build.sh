#!/usr/bin/env bash
# strata build against buildah bud --layers on the same Containerfile and context, side by side:
# a cold build (--no-cache), a rebuild with nothing changed, and a rebuild after one copied file
# changed; RUNS rounds (default 5) alternating which tool goes first, medians with min and max, and
# the ratios strata / buildah (lower is better). The base image is busybox built FROM scratch by
# strata and given to buildah as an OCI archive. strata runs RUN steps without a network, buildah (chroot
# isolation, which allows no other) in the host's. As root:
#   bench/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/bench/lib.sh"
runs=${RUNS:-5}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in busybox buildah bc; do command -v $t >/dev/null || { echo "$t is needed (apt-get install busybox-static buildah bc)" >&2; exit 1; }; done
work=$(mktemp -d /var/tmp/strata-build-bench.XXXXXX)
cleanup() {
  { grep -o " $work[^ ]*" /proc/self/mountinfo || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
strata() { STRATA_NO_BUILD=1 "$here/strata" "$@"; }
buildah() { command buildah --root "$work/buildah/root" --runroot "$work/buildah/run" --storage-driver "${BUILDAH_DRIVER:-overlay}" "$@"; }

# ---- the base: busybox FROM scratch, in both tools' stores
mkdir -p "$work/base/rootfs/bin" "$work/base/rootfs/etc" "$work/base/rootfs/tmp"
cp "$(command -v busybox)" "$work/base/rootfs/bin/"
for a in sh cat echo mkdir seq dd true; do ln -s busybox "$work/base/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$work/base/rootfs/etc/passwd"
printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\n' > "$work/base/Containerfile"
strata build -q --root "$work/strata" -t localhost/bench/base:v1 "$work/base" >/dev/null
strata save --root "$work/strata" -o "$work/base.tar" localhost/bench/base:v1
buildah pull -q oci-archive:"$work/base.tar" >/dev/null
buildah tag "$(buildah images -q | head -1)" localhost/bench/base:v1
make_aot_caches

# ---- the context: 200 small files and one of 16 MiB, a RUN that makes files, a last COPY
ctx="$work/ctx"; mkdir -p "$ctx/src"
for i in $(seq 1 200); do echo "file $i" > "$ctx/src/f$i.txt"; done
head -c $((16 * 1024 * 1024)) /dev/urandom > "$ctx/blob.bin"
echo v1 > "$ctx/app.txt"
cat > "$ctx/Containerfile" <<'EOF'
FROM localhost/bench/base:v1
ENV APP=/srv/app
WORKDIR /srv/app
COPY src/ src/
COPY blob.bin .
RUN mkdir -p out && for i in $(seq 1 100); do echo $i > out/$i; done
COPY app.txt .
CMD ["cat", "app.txt"]
EOF

s_build() { secs strata build -q --root "$work/strata" --network none "$@" -t localhost/bench/app:v1 "$ctx"; }
b_build() { secs buildah bud -q --layers --isolation chroot --network host "$@" -t localhost/bench/app:v1 "$ctx"; }

declare -A t
for r in $(seq 1 "$runs"); do
  echo "v$r" > "$ctx/app.txt"
  for who in $([ $((r % 2)) = 1 ] && echo "strata buildah" || echo "buildah strata"); do
    f=s_build; [ "$who" = buildah ] && f=b_build
    t[$who.cold]+="$($f --no-cache) "
    t[$who.same]+="$($f) "
  done
  echo "changed $r" > "$ctx/app.txt"
  for who in $([ $((r % 2)) = 1 ] && echo "strata buildah" || echo "buildah strata"); do
    f=s_build; [ "$who" = buildah ] && f=b_build
    t[$who.changed]+="$($f) "
  done
done

echo "| build | strata build | buildah bud --layers | strata/buildah |"
echo "|---|---|---|---|"
for k in cold same changed; do
  label=$(case $k in cold) echo "cold (--no-cache)";; same) echo "nothing changed";; changed) echo "the last copied file changed";; esac)
  # shellcheck disable=SC2086
  echo "| $label | $(stats ${t[strata.$k]}) | $(stats ${t[buildah.$k]}) | $(ratio "$(median ${t[strata.$k]})" "$(median ${t[buildah.$k]})") |"
done
# A failed build says why (its log goes with the work directory).
if printf '%s\n' "${t[@]}" | grep -q FAILED; then echo "some builds failed; the end of their log:" >&2; tail -20 "$work/steps.log" >&2; fi
