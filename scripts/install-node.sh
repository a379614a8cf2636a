#!/usr/bin/env bash
# Installs what the in-cluster end-to-end tests (tests/tests/in_cluster.rs) need for their
# single-node cluster, on top of the control plane of scripts/install-control-plane.sh (which
# also builds kubelet, kube-scheduler, kube-proxy and the pause binary from the same Kubernetes
# v1.20.2 tree):
#   - Debian's containerd, runc and containernetworking-plugins (bridge, host-local, loopback),
#     and iptables and conntrack for kube-proxy;
#   - the pause image, the sandbox every pod starts in, as an OCI archive in the cache directory
#     (pause_3.4.oci.tar), for `ctr -n k8s.io images import`.
# Nothing is pulled from a container registry: the pause image is the tree's build/pause/linux/
# pause.c, compiled statically, alone in a layer. A second run reuses everything.
set -euo pipefail
cd "$(dirname "$0")/.."

version=v1.20.2
dest=${MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/$version}

scripts/install-control-plane.sh

export DEBIAN_FRONTEND=noninteractive
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
packages=(containerd runc containernetworking-plugins iptables conntrack)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "node: installing ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian package enables a system containerd; the tests run their own, so a machine where
# systemd started the system one keeps it, and one without systemd has none. Either is fine.

# The tag of build/pause/Makefile in the v1.20.2 tree.
pause_tag=3.4
case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) arch="$(uname -m)" ;;
esac
archive="$dest/pause_$pause_tag.oci.tar"
if [ -f "$archive" ]; then
  echo "node: reusing $archive"
  exit 0
fi
[ -x "$dest/pause" ] || { echo "no $dest/pause (scripts/install-control-plane.sh builds it)" >&2; exit 1; }

# An OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md):
# one layer holding /pause, a config running it as 65535:65535 as the upstream image does.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
layout="$work/layout"
mkdir -p "$work/rootfs" "$layout/blobs/sha256"
install -m 0755 "$dest/pause" "$work/rootfs/pause"
sha256() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
blob() { local digest; digest="$(sha256 "$1")"; mv "$1" "$layout/blobs/sha256/$digest"; echo "$digest"; }

tar -C "$work/rootfs" --format=ustar --owner=0 --group=0 --numeric-owner --mtime=@0 \
  -cf "$work/layer.tar" pause
diff_id="$(sha256 "$work/layer.tar")"
gzip -n "$work/layer.tar"
layer_size="$(size "$work/layer.tar.gz")"
layer="$(blob "$work/layer.tar.gz")"
printf '%s' "{\"architecture\":\"$arch\",\"os\":\"linux\",\"config\":{\"User\":\"65535:65535\",\
\"Entrypoint\":[\"/pause\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]}}" \
  > "$work/config.json"
config_size="$(size "$work/config.json")"
config="$(blob "$work/config.json")"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$config_size},\
\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer\",\"size\":$layer_size}]}" \
  > "$work/manifest.json"
manifest_size="$(size "$work/manifest.json")"
manifest="$(blob "$work/manifest.json")"
printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
# The name is local on purpose: no registry is ever asked for it.
printf '%s' "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
\"digest\":\"sha256:$manifest\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"},\
\"annotations\":{\"io.containerd.image.name\":\"localhost/multicloud-testenv/pause:$pause_tag\",\
\"org.opencontainers.image.ref.name\":\"$pause_tag\"}}]}" > "$layout/index.json"
tar -C "$layout" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$archive.tmp" oci-layout index.json blobs
mv "$archive.tmp" "$archive"
echo "node: pause image in $archive"
