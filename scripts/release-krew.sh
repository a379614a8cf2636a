#!/usr/bin/env bash
# Builds the kubectl-multicloud release archives for krew and fills in manifests/krew/multicloud.yaml:
# its version, and each platform's uri and sha256.
#
# Usage: scripts/release-krew.sh [--version vX.Y.Z] [--platforms "linux/amd64 darwin/arm64 ..."]
#                                [--binaries DIR] [--out DIR] [--manifest-out FILE]
#   --version    release tag (default: v + the workspace version)
#   --platforms  which of linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 (default: all four)
#   --binaries   take prebuilt binaries DIR/kubectl-multicloud-<os>-<arch> and
#                DIR/kubectl_complete-multicloud-<os>-<arch> instead of building
#                (e.g. from CI runners of each platform); otherwise they are built here, which
#                needs that target (and a linker) installed: Linux ones statically linked by
#                scripts/static-build.sh, the build of the images, darwin ones by `cargo build
#                --release --target <triple>`
#   --out        where the archives go (default: dist/)
#   --manifest-out where the filled-in manifest goes (default: manifests/krew/multicloud.yaml,
#                in place)
# Each archive, kubectl-multicloud_<version>_<os>_<arch>.tar.gz, holds the plugin, its completion
# executable kubectl_complete-multicloud (what kubectl 1.26+ runs for `kubectl multicloud <TAB>`)
# and LICENSE; upload them to the release named by the uri in the manifest.
set -euo pipefail
cd "$(dirname "$0")/.."

manifest=manifests/krew/multicloud.yaml
version="v$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
platforms="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64"
binaries=""
out=dist
manifest_out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift ;;
    --platforms) platforms="$2"; shift ;;
    --binaries) binaries="$2"; shift ;;
    --out) out="$2"; shift ;;
    --manifest-out) manifest_out="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$version" in v*) ;; *) echo "--version must start with v, e.g. v0.1.0" >&2; exit 2 ;; esac

triple() {
  case "$1" in
    linux/amd64) echo x86_64-unknown-linux-gnu ;;
    linux/arm64) echo aarch64-unknown-linux-gnu ;;
    darwin/amd64) echo x86_64-apple-darwin ;;
    darwin/arm64) echo aarch64-apple-darwin ;;
    *) echo "unknown platform $1 (use linux|darwin / amd64|arm64)" >&2; exit 2 ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

mkdir -p "$out"
repository="$(sed -n 's/^repository = "\(.*\)"/\1/p' Cargo.toml | head -1)"
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
updated="$staging/manifest.yaml"
cp "$manifest" "$updated"
sed -i.bak "s/^  version: .*/  version: $version/" "$updated"

for platform in $platforms; do
  os="${platform%/*}"
  arch="${platform#*/}"
  target="$(triple "$platform")"
  if [ -n "$binaries" ]; then
    binary="$binaries/kubectl-multicloud-$os-$arch"
    completer="$binaries/kubectl_complete-multicloud-$os-$arch"
  elif [ "$os" = linux ]; then
    # Statically linked, as the images are: runs on any glibc or none (RHEL 8, Ubuntu 20.04).
    # The package's second binary, the completion executable, is built beside it.
    binary="$(scripts/static-build.sh --target "$target" kubectl-multicloud)"
    completer="$(dirname "$binary")/kubectl_complete-multicloud"
  else
    echo "building $platform ($target)" >&2
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/multicloud/release-target}"
    nice -n 10 cargo build --release --locked -p kubectl-multicloud --target "$target" >&2
    binary="$CARGO_TARGET_DIR/$target/release/kubectl-multicloud"
    completer="$CARGO_TARGET_DIR/$target/release/kubectl_complete-multicloud"
  fi
  [ -x "$binary" ] || { echo "no executable $binary" >&2; exit 1; }
  [ -x "$completer" ] || { echo "no executable $completer" >&2; exit 1; }
  [ -f LICENSE ] || { echo "no LICENSE: krew refuses an archive without one" >&2; exit 1; }
  name="kubectl-multicloud_${version}_${os}_${arch}"
  rm -rf "${staging:?}/$name"
  mkdir -p "$staging/$name"
  cp "$binary" "$staging/$name/kubectl-multicloud"
  cp "$completer" "$staging/$name/kubectl_complete-multicloud"
  cp LICENSE "$staging/$name/"
  # Reproducible archives: fixed order, owner and time, so a rebuild has the same sha256.
  tar -C "$staging/$name" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
      -cf - . | gzip -n > "$out/$name.tar.gz"
  sum="$(sha256 "$out/$name.tar.gz")"
  uri="$repository/releases/download/$version/$name.tar.gz"
  # The platform's uri line, then its sha256 line, are rewritten in place.
  awk -v os="$os" -v arch="$arch" -v uri="$uri" -v sum="$sum" '
    /^ *os: / { cur_os = $2 }
    /^ *arch: / { cur_arch = $2 }
    /^ *uri: / && cur_os == os && cur_arch == arch { sub(/uri: .*/, "uri: " uri); hit = 1 }
    /^ *sha256: / && hit { sub(/sha256: .*/, "sha256: \"" sum "\""); hit = 0 }
    { print }
  ' "$updated" > "$updated.new"
  mv "$updated.new" "$updated"
  echo "$out/$name.tar.gz  sha256 $sum"
done
manifest_out="${manifest_out:-$manifest}"
cp "$updated" "$manifest_out"
echo "updated $manifest_out for $version"
