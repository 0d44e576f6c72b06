#!/usr/bin/env bash
# rootfs.sh JAVA_HOME OUT.tar: a root filesystem for ComposeIT's images made of this machine's own
# parts, since Docker Hub's base images are out of reach in tests: the JDK at the path
# eclipse-temurin uses, bash (the registry's healthcheck speaks HTTP through bash's /dev/tcp),
# busybox for a shell, and every shared library they load.
set -euo pipefail
java_home=$1 out=$2
stage=$(mktemp -d)
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/opt/java" "$stage/bin" "$stage/usr/bin" "$stage/tmp" "$stage/etc" "$stage/root"
chmod 1777 "$stage/tmp"
cp -a "$java_home" "$stage/opt/java/openjdk"
rm -rf "$stage/opt/java/openjdk/"{jmods,src.zip,include,man,demo,sample}
ln -s /opt/java/openjdk/bin/java "$stage/usr/bin/java"
cp /bin/bash "$stage/bin/bash"
cp "$(command -v busybox)" "$stage/bin/busybox"
for applet in sh true cat ls find mkdir grep sleep; do ln -s busybox "$stage/bin/$applet"; done
# Libraries outside the JDK that bash, java and the JDK's own libraries load, and the loader.
{ ldd /bin/bash "$java_home/bin/java" "$java_home"/lib/*.so "$java_home"/lib/server/libjvm.so 2>/dev/null || true; } \
  | grep -o '/[^ ]*\.so[^ ]*' | sort -u | while read -r lib; do
    case "$lib" in "$java_home"/*) continue ;; esac
    [ -e "$lib" ] || continue
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
  done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$stage/etc/passwd"
printf 'root:x:0:\n' > "$stage/etc/group"
tar -C "$stage" -cf "$out" .
