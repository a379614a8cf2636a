#!/usr/bin/env bash
# Runs every test of the workspace: unit tests, the admission fixtures, the end-to-end
# tests against a real kube-apiserver, and the in-cluster tests on a real single-node cluster.
# Installs what the tests need first (the control plane and node binaries, built once from
# Debian's source package and cached under ~/.cache/multicloud; containerd & co from Debian;
# the images). The in-cluster tests need root (network namespaces, mounts, cgroups).
#
# Bring your own binaries with KUBEBUILDER_ASSETS, or TEST_ASSET_KUBE_APISERVER,
# TEST_ASSET_ETCD and TEST_ASSET_KUBE_CONTROLLER_MANAGER; the build is then skipped.
# Extra arguments go to cargo-nextest, e.g. `scripts/test.sh -p multicloud-api`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KUBEBUILDER_ASSETS:-}" ] && [ -z "${TEST_ASSET_KUBE_APISERVER:-}" ]; then
  # The control plane, and the node of the in-cluster tests (kubelet & co, containerd).
  scripts/install-node.sh
fi
# The images the in-cluster tests run (tests/tests/in_cluster.rs): a static release build.
scripts/build-images.sh --out target/images >/dev/null
# The krew test (plugin/tests/krew.rs) packs and installs the release build itself for this
# machine's platform: the same static build, already made for the images.
if [ -z "${MULTICLOUD_KREW_BINARIES:-}" ]; then
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  plugin="$(scripts/static-build.sh kubectl-multicloud)"
  export MULTICLOUD_KREW_BINARIES="$PWD/target/krew-binaries"
  mkdir -p "$MULTICLOUD_KREW_BINARIES"
  cp "$plugin" "$MULTICLOUD_KREW_BINARIES/kubectl-multicloud-linux-$arch"
  cp "$(dirname "$plugin")/kubectl_complete-multicloud" \
     "$MULTICLOUD_KREW_BINARIES/kubectl_complete-multicloud-linux-$arch"
fi
scripts/install-test-tools.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

profile=default
if [ "${CI:-}" = "true" ]; then profile=ci; fi
exec cargo nextest run --workspace --profile "$profile" "$@"
