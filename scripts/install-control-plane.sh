#!/usr/bin/env bash
# Builds the real control plane the end-to-end tests run against: kube-apiserver,
# kube-controller-manager, kube-scheduler, and for the single node of the in-cluster tests
# kubelet, kube-proxy and the pause binary, all v1.20.2 from Debian's own source package,
# plus Debian's etcd.
#
# Everything comes from Debian's registry (bookworm and bookworm-backports); nothing is
# downloaded from anywhere else. The binaries land in
#   ${MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/v1.20.2}
# and a second run reuses them; a cache that lacks some of them (an older version of this
# script built only the first two) gets just the missing ones built. Users who bring their own binaries set KUBEBUILDER_ASSETS
# (or TEST_ASSET_KUBE_APISERVER / TEST_ASSET_ETCD / TEST_ASSET_KUBE_CONTROLLER_MANAGER)
# instead and never need this script.
set -euo pipefail

version=v1.20.2
dest=${MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/$version}

# Built from the source tree with `make WHAT=cmd/<name>`.
commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
missing=()
for name in "${commands[@]}"; do
  [ -x "$dest/$name" ] || missing+=("$name")
done
# The pause binary (the sandbox image's only file) comes from the same tree, see below.
need_pause=false
[ -x "$dest/pause" ] || need_pause=true

have_all() {
  for name in "${commands[@]}" etcd pause; do
    [ -x "$dest/$name" ] || return 1
  done
}

if have_all; then
  echo "control plane: reusing $dest"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Source packages and backports are not in the default sources of a bookworm image.
sources=/etc/apt/sources.list.d/multicloud-control-plane.sources
if [ ! -f "$sources" ]; then
  sudo_if_needed tee "$sources" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq --no-install-recommends \
  -t bookworm-backports golang-1.22-go >/dev/null
sudo_if_needed apt-get install -y -qq --no-install-recommends \
  rsync etcd-server golang-github-modern-go-reflect2-dev dpkg-dev make gcc libc6-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only kubernetes >/dev/null
tarball=$(ls kubernetes_*.orig.tar.gz | head -n 1)
mkdir src
tar -xzf "$tarball" -C src --strip-components=1
cd src

# reflect2 1.0.1 crashes at run time when built with Go >= 1.18; Debian ships 1.0.2.
reflect2=vendor/github.com/modern-go/reflect2
rm -rf "$reflect2"
mkdir -p "$reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. "$reflect2/"
rm -f "$reflect2"/*_test.go "$reflect2"/go.mod

export PATH=/usr/lib/go-1.22/bin:$PATH GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=vendor
mkdir -p "$dest"
for name in "${missing[@]}"; do
  echo "control plane: building cmd/$name (several minutes)"
  make WHAT="cmd/$name" KUBE_GIT_VERSION=$version KUBE_GIT_MAJOR=1 KUBE_GIT_MINOR=20 \
    KUBE_GIT_TREE_STATE=clean >/dev/null
  cp "_output/local/bin/linux/amd64/$name" "$dest/"
done
if $need_pause; then
  # As the tree's own build/pause/Makefile compiles it (TAG 3.4), without its build container.
  gcc -Os -Wall -Werror -static -DVERSION="v3.4-$version" -o "$dest/pause" build/pause/linux/pause.c
  strip "$dest/pause"
fi
[ -x "$dest/etcd" ] || cp /usr/bin/etcd "$dest/etcd"
have_all
echo "control plane: installed in $dest"
