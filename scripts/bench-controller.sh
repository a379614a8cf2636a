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

run_with_release_controller controller_bench \
    '^(## |instances:|creates sent|all |until converged|steady state|controller resident)' \
    --run-ignored only --no-capture
