#!/usr/bin/env bash
# Benchmark of multicloud-controller: 500 MulticloudInstances created at once against a real
# kube-apiserver and kube-controller-manager (the test harness's control plane, see
# scripts/install-control-plane.sh), with a release build of the controller.
#
# Reports the time until every instance has its Karmada CR and its first status, the API requests
# it took, and the API requests per reconcile at steady state, counted by the controller itself
# (multicloud_controller_api_requests_total on /metrics). Record the output, with the date and
# machine printed first, in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

cargo build --release -p multicloud-controller
cargo nextest run -p multicloud-e2e --test controller_bench --no-run

describe_machine

MULTICLOUD_CONTROLLER_BINARY="$PWD/target/release/multicloud-controller" \
RUST_LOG="${RUST_LOG:-info}" \
    cargo nextest run -p multicloud-e2e --test controller_bench --run-ignored only --no-capture \
    2>&1 | grep -E '^(## |instances:|creates sent|all |until converged|steady state|controller resident)' 
