#!/usr/bin/env bash
# Runs every test of the workspace: unit tests, the admission fixtures, and the end-to-end
# tests against a real kube-apiserver. Installs what the tests need first (the control plane
# binaries, built once from Debian's source package and cached under ~/.cache/multicloud).
#
# Bring your own binaries with KUBEBUILDER_ASSETS, or TEST_ASSET_KUBE_APISERVER,
# TEST_ASSET_ETCD and TEST_ASSET_KUBE_CONTROLLER_MANAGER; the build is then skipped.
# Extra arguments go to cargo-nextest, e.g. `scripts/test.sh -p multicloud-api`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KUBEBUILDER_ASSETS:-}" ] && [ -z "${TEST_ASSET_KUBE_APISERVER:-}" ]; then
  scripts/install-control-plane.sh
fi
scripts/install-test-tools.sh
if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install --locked cargo-nextest
fi

profile=default
if [ "${CI:-}" = "true" ]; then profile=ci; fi
exec cargo nextest run --workspace --profile "$profile" "$@"
