#!/usr/bin/env bash
# Builds the multicloud-webhook and multicloud-controller images as OCI archives, without a
# container engine and without pulling anything: the binaries are built statically on this
# machine (scripts/static-build.sh) and each image, the Containerfile's `webhook` or `controller`
# stage (FROM scratch, the binary, USER 65532:65532, OCI labels), is written here as an OCI image
# layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md) in a tar file.
#
# Usage: scripts/build-images.sh [--out DIR] [--platform linux/ARCH] [--binaries DIR]
#                                [--repository REPO]
#   --out         where the archives go (default: target/images)
#   --platform    linux/amd64 or linux/arm64 (default: this machine's)
#   --binaries    take prebuilt static binaries DIR/multicloud-webhook and
#                 DIR/multicloud-controller for that platform instead of building them
#   --repository  registry and path of the images (default: ghcr.io/<owner> of the workspace's
#                 `repository`, where releases are published; see docs/release.md)
# The tag is v + the workspace version in Cargo.toml. Writes, for each image,
# DIR/<image>_<tag>_linux_<arch>.oci.tar and prints its path. Load one with
#   skopeo copy oci-archive:FILE containers-storage:REPO/IMAGE:TAG   (podman)
#   ctr -n k8s.io images import FILE                                  (containerd)
# The archive's index names the image REPO/IMAGE:TAG (annotation io.containerd.image.name) and
# its tag (org.opencontainers.image.ref.name). Set SOURCE_DATE_EPOCH to fix the creation time;
# otherwise it is the time of the last commit, so rebuilding a commit gives the same digests.
set -euo pipefail
cd "$(dirname "$0")/.."

workspace_value() { sed -n "/^\[workspace.package\]/,/^\[/s/^$1 = \"\(.*\)\"/\1/p" Cargo.toml | head -1; }
version="v$(workspace_value version)"
source_url="$(workspace_value repository)"
# https://github.com/OWNER/NAME publishes its images as ghcr.io/OWNER/IMAGE.
repository=""
out=target/images
binaries=""
case "$(uname -m)" in
  x86_64) platform=linux/amd64 ;;
  aarch64|arm64) platform=linux/arm64 ;;
  *) platform="linux/$(uname -m)" ;;
esac
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift ;;
    --platform) platform="$2"; shift ;;
    --binaries) binaries="$2"; shift ;;
    --repository) repository="${2%/}"; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$platform" in
  linux/amd64) triple=x86_64-unknown-linux-gnu ;;
  linux/arm64) triple=aarch64-unknown-linux-gnu ;;
  *) echo "unsupported platform $platform (use linux/amd64 or linux/arm64)" >&2; exit 2 ;;
esac
arch="${platform#linux/}"
if [ -z "$repository" ]; then
  # https://github.com/OWNER/NAME publishes its images as ghcr.io/OWNER/IMAGE (lower case).
  owner="$(echo "$source_url" | sed -n 's#^https://github.com/\([^/]*\)/.*#\1#p' | tr 'A-Z' 'a-z')"
  [ -n "$owner" ] || { echo "cannot derive the image repository from $source_url; pass --repository" >&2; exit 2; }
  repository="ghcr.io/$owner"
fi

revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"

images=(multicloud-webhook multicloud-controller)
if [ -z "$binaries" ]; then
  binaries="$(mktemp -d)"
  trap 'rm -rf "$binaries"' EXIT
  scripts/static-build.sh --target "$triple" --out "$binaries" "${images[@]}" >/dev/null
fi

sha256() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# Moves FILE into the layout's blobs, named by its digest, and prints the digest.
blob() {
  local digest
  digest="$(sha256 "$1")"
  mv "$1" "$layout/blobs/sha256/$digest"
  echo "$digest"
}

mkdir -p "$out"
for image in "${images[@]}"; do
  binary="$binaries/$image"
  [ -x "$binary" ] || { echo "no executable $binary" >&2; exit 1; }
  work="$(mktemp -d)"
  layout="$work/layout"
  mkdir -p "$work/rootfs" "$layout/blobs/sha256"
  install -m 0755 "$binary" "$work/rootfs/$image"

  # The one layer: /<image>, owned by root, readable and executable by everyone. A fixed order,
  # owner and time make the same binary give the same digest.
  tar -C "$work/rootfs" --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
      --mtime="@$epoch" -cf "$work/layer.tar" "$image"
  diff_id="$(sha256 "$work/layer.tar")"
  gzip -n -c "$work/layer.tar" > "$work/layer.tar.gz"
  layer_size="$(size "$work/layer.tar.gz")"
  layer="$(blob "$work/layer.tar.gz")"

  labels="\"org.opencontainers.image.title\":\"$image\",\
\"org.opencontainers.image.source\":\"$source_url\",\
\"org.opencontainers.image.version\":\"$version\",\
\"org.opencontainers.image.revision\":\"$revision\",\
\"org.opencontainers.image.licenses\":\"Apache-2.0\",\
\"org.opencontainers.image.created\":\"$created\""
  printf '%s' "{\"created\":\"$created\",\"architecture\":\"$arch\",\"os\":\"linux\",\
\"config\":{\"User\":\"65532:65532\",\"Entrypoint\":[\"/$image\"],\"WorkingDir\":\"/\",\
\"Labels\":{$labels}},\
\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diff_id\"]},\
\"history\":[{\"created\":\"$created\",\"created_by\":\"COPY $image /$image (scripts/build-images.sh)\"}]}" \
    > "$work/config.json"
  config_size="$(size "$work/config.json")"
  config="$(blob "$work/config.json")"

  printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config\",\"size\":$config_size},\
\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$layer\",\"size\":$layer_size}],\
\"annotations\":{$labels}}" > "$work/manifest.json"
  manifest_size="$(size "$work/manifest.json")"
  manifest="$(blob "$work/manifest.json")"

  printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\
\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$manifest_size,\
\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"},\
\"annotations\":{\"io.containerd.image.name\":\"$repository/$image:$version\",\"org.opencontainers.image.ref.name\":\"$version\"}}]}" \
    > "$layout/index.json"

  archive="$out/${image}_${version}_linux_${arch}.oci.tar"
  tar -C "$layout" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
      -cf "$archive" oci-layout index.json blobs
  rm -rf "$work"
  echo "$archive"
done
