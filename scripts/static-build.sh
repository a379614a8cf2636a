#!/usr/bin/env bash
# Builds statically linked Linux release binaries: the one build behind the images
# (scripts/build-images.sh, the Containerfile's `build` stage) and the krew archives
# (scripts/release-krew.sh), so a user's plugin and the cluster's pods are the same build.
#
# Usage: scripts/static-build.sh [--target TRIPLE] [--out DIR] [PACKAGE...]
#   --target  a *-unknown-linux-gnu triple (default: the host's); another architecture needs its
#             target (`rustup target add`) and a cross linker (CARGO_TARGET_<TRIPLE>_LINKER)
#   --out     copy the binaries there (default: leave them in the target directory)
#   PACKAGE   which binaries to print or copy (default: multicloud-webhook multicloud-controller
#             kubectl-multicloud); all three are always built, in one build
# CARGO_TARGET_DIR defaults to ~/.cache/multicloud/release-target, apart from ./target, so a
# release build never replaces the artefacts of the everyday debug build. The build runs under
# `nice`: it is long and CPU-heavy.
#
# glibc's crt-static, not musl: the binaries use rustls with ring (no OpenSSL), glibc since 2.34
# resolves names without loading NSS modules, and the result runs on any Linux (RHEL 8 and Ubuntu
# 20.04 included, whose glibc is older than the one the binaries were built with).
# Prints the paths of the binaries, one per line, on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

target="$(rustc -vV | sed -n 's/^host: //p')"
out=""
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    *) packages+=("$1") ;;
  esac
  shift
done
[ ${#packages[@]} -gt 0 ] || packages=(multicloud-webhook multicloud-controller kubectl-multicloud)
case "$target" in
  *-unknown-linux-gnu) ;;
  *) echo "--target must be a *-unknown-linux-gnu triple, not $target" >&2; exit 2 ;;
esac

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/multicloud/release-target}"
# With --target, RUSTFLAGS applies to the target only: build scripts and proc macros stay
# ordinary host programs.
# The path of cargo's registry is left out of the binaries (panic locations in dependencies
# name it), so another machine with the same toolchain builds the same bytes. The checkout's
# path needs no remapping: cargo hands rustc the workspace's sources by paths relative to it,
# and the binaries are stripped of debug info. Leaving it out of RUSTFLAGS also keeps the flags,
# and so the cached build in CARGO_TARGET_DIR, the same for every clone of the repository.
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
export RUSTFLAGS="-C target-feature=+crt-static \
--remap-path-prefix=$registry=/registry${RUSTFLAGS:+ $RUSTFLAGS}"

# Always the three together, whichever are asked for: cargo unifies the dependencies' features
# across the packages of one build, so building one alone would rebuild kube & co differently.
release=(multicloud-webhook multicloud-controller kubectl-multicloud)
for package in "${packages[@]}"; do
  case " ${release[*]} " in *" $package "*) ;; *) echo "not a release binary: $package" >&2; exit 2 ;; esac
done
echo "building ${release[*]} for $target (static) in $CARGO_TARGET_DIR" >&2
nice -n 10 cargo build --release --locked --target "$target" \
  -p multicloud-webhook -p multicloud-controller -p kubectl-multicloud >&2

# A binary is static when it asks for no program interpreter (the dynamic loader).
is_static() {
  if command -v readelf >/dev/null; then
    ! readelf --program-headers "$1" | grep -q INTERP
  else
    file -b "$1" | grep -Eq 'static(-pie)? linked|statically linked'
  fi
}

[ -z "$out" ] || mkdir -p "$out"
for package in "${packages[@]}"; do
  binary="$CARGO_TARGET_DIR/$target/release/$package"
  [ -x "$binary" ] || { echo "no executable $binary after the build" >&2; exit 1; }
  is_static "$binary" || { echo "$binary is dynamically linked: $(file -b "$binary")" >&2; exit 1; }
  if [ -n "$out" ]; then
    cp "$binary" "$out/$package"
    binary="$out/$package"
  fi
  echo "$binary"
done
