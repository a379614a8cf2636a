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
scripts/install-test-tools.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

profile=default
if [ "${CI:-}" = "true" ]; then profile=ci; fi
exec cargo nextest run --workspace --profile "$profile" "$@"
