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

# Makes the client's AOT caches outside any timing ($1: the launcher, default this checkout's): each
# group of verbs has its own, made on the first use of one of its verbs after a build, and a verb's
# --help is such a use (local: images; pull; run; all: inspect).
make_aot_caches() { local v; for v in --version images pull run inspect build tags; do STRATA_NO_BUILD=1 "${1:-$here/strata}" $v --help >/dev/null; done; }

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

# An OCI layout at $1 of one amd64 image named $2 whose one layer is the tar $3 (moved into the
# layout; gzip'd first when $4 is gzip), with $5 as the config's "config" object (may be empty).
one_layer_layout() {
  local l=$1 name=$2 layer=$3 compress=$4 runconfig=${5:-} type=application/vnd.oci.image.layer.v1.tar diff b s c m config manifest
  mkdir -p "$l/blobs/sha256"; echo '{"imageLayoutVersion":"1.0.0"}' > "$l/oci-layout"
  diff=$(sha256sum "$layer" | cut -d' ' -f1)
  if [ "$compress" = gzip ]; then gzip -c "$layer" > "$l/blob"; rm -f "$layer"; type=$type+gzip; else mv "$layer" "$l/blob"; fi
  b=$(sha256sum "$l/blob" | cut -d' ' -f1); s=$(stat -c %s "$l/blob"); mv "$l/blob" "$l/blobs/sha256/$b"
  config="{\"architecture\":\"amd64\",\"os\":\"linux\",${runconfig:+\"config\":$runconfig,}\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff\"]}}"
  c=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1); printf '%s' "$config" > "$l/blobs/sha256/$c"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$c\",\"size\":${#config}},\"layers\":[{\"mediaType\":\"$type\",\"digest\":\"sha256:$b\",\"size\":$s}]}"
  m=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1); printf '%s' "$manifest" > "$l/blobs/sha256/$m"
  echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$name\",\"io.containerd.image.name\":\"$name\"}}]}" > "$l/index.json"
}

# A busybox image named $2 under $1: its root filesystem ($1/rootfs, also in $r), an OCI layout
# ($1/layout) and the same as an OCI archive every client loads ($1/image.tar).
busybox_image() {
  local work=$1 name=$2
  r="$work/rootfs"; mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp"
  cp "$(command -v busybox)" "$r/bin/busybox"; for a in sh true ${BUSYBOX_APPLETS:-}; do ln -s busybox "$r/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$r/etc/passwd"; echo 'root:x:0:' > "$r/etc/group"
  tar --numeric-owner -C "$r" -cf "$work/layer.tar" .
  one_layer_layout "$work/layout" "$name" "$work/layer.tar" gzip '{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]}'
  tar -C "$work/layout" -cf "$work/image.tar" .
}

# An OCI layout at $1 of one image, tag v1, of about $2 MiB in $3 uncompressed layers of random bytes.
random_layout() {
  local layout=$1 size_mib=$2 layers=$3 per i d s config c manifest m tmp descs=() diffs=()
  tmp=$(mktemp -d)
  mkdir -p "$layout/blobs/sha256"; echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  per=$((size_mib / layers))
  for i in $(seq 1 "$layers"); do
    mkdir -p "$tmp/l$i"; head -c $((per * 1024 * 1024)) /dev/urandom > "$tmp/l$i/data$i"
    tar -C "$tmp/l$i" -cf "$tmp/layer.tar" .
    d=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1); s=$(stat -c %s "$tmp/layer.tar")
    mv "$tmp/layer.tar" "$layout/blobs/sha256/$d"; rm -rf "$tmp/l$i"
    descs+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$s}")
    diffs+=("\"sha256:$d\"")
  done
  rm -rf "$tmp"
  config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$(IFS=,; echo "${diffs[*]}")]}}"
  c=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1); printf '%s' "$config" > "$layout/blobs/sha256/$c"
  manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$c\",\"size\":${#config}},\"layers\":[$(IFS=,; echo "${descs[*]}")]}"
  m=$(printf '%s' "$manifest" | sha256sum | cut -d' ' -f1); printf '%s' "$manifest" > "$layout/blobs/sha256/$m"
  echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}" > "$layout/index.json"
}

# Writes $1/config.yml: distribution (Debian's docker-registry) with its storage under $1/data on
# 127.0.0.1:$2.
distribution_config() {
  mkdir -p "$1"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$1/data" "$2" > "$1/config.yml"
}

# Starts distribution with distribution_config's settings and waits until it answers; sets dist_pid.
start_distribution() {
  distribution_config "$1" "$2"
  docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
  dist_pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/v2/" >/dev/null && return; sleep 0.1; done
  echo "distribution did not start on $2" >&2; cat "$1/log" >&2
}

# The Location header of the response headers on stdin, as an absolute URL against the origin $1
# (distribution's Locations are absolute, Strata's are paths).
location() {
  local loc
  loc=$(tr -d '\r' | awk 'tolower($1)=="location:"{print $2}')
  case "$loc" in http*) echo "$loc" ;; *) echo "$1$loc" ;; esac
}

# Uploads the file $2, whose digest is $3, into the repository at $1 (http://HOST:PORT/v2/NAME) as
# clients push: POST a session, PATCH the bytes streamed by curl, PUT with the digest.
upload_blob() {
  local origin=${1%%/v2/*} loc sep
  loc=$(curl -fs -D - -o /dev/null -X POST "$1/blobs/uploads/" | location "$origin")
  loc=$(curl -fs -D - -o /dev/null -X PATCH -H 'Content-Type: application/octet-stream' -T "$2" "$loc" | location "$origin")
  case "$loc" in *\?*) sep='&' ;; *) sep='?' ;; esac
  curl -fs -o /dev/null -X PUT "$loc${sep}digest=$3"
}
