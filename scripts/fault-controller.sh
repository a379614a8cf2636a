#!/usr/bin/env bash
# Fault test of multicloud-controller at full size: 500 MulticloudInstances (or
# $MULTICLOUD_FAULT_INSTANCES) created at once against the test harness's real kube-apiserver and
# kube-controller-manager (see scripts/install-control-plane.sh); the API server is stopped while
# the controller (a release build) converges them, and started again 5 s later on the same port
# with the same etcd. The test asserts that every instance converges with exactly one namespace
# and one Karmada CR, and that deleting a tenth of them afterwards completes.
#
# Prints the instances, when the API server was stopped, how long it was down, the time to
# converge after the restart, the API requests the controller made (counted by the controller on
# its /metrics) and the time the deletions took. Record the output, with the date and machine
# printed first, in docs/benchmarks.md. The short form (60 instances) runs with every test run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

MULTICLOUD_FAULT_INSTANCES="${MULTICLOUD_FAULT_INSTANCES:-500}" \
    run_with_release_controller controller_faults \
    '^(## |instances:|API server |converged after|requests until|deleted afterwards|test result|thread .* panicked|timed out)' \
    --no-capture
