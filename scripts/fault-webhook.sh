#!/usr/bin/env bash
# Load and fault suite of multicloud-webhook, long form: a release build of the webhook runs as a
# process against the test harness's real kube-apiserver (see scripts/install-control-plane.sh)
# and takes a steady load of admission reviews over kept-alive TLS connections on 127.0.0.1 (and
# dry-run creates through the API server) while
#   (a) its certificate files are rotated five times,
#   (b) it receives SIGTERM,
#   (c) a management cluster's API server is stopped and started again,
#   (d) the global cluster's API server (whose watches feed the webhook) is stopped and started.
# Each phase of load lasts MULTICLOUD_FAULT_SECONDS (default here 30; 3 in the short form every
# test run includes) at MULTICLOUD_FAULT_RATE requests/s (default 1000). The scenarios run one
# after another, so that they do not share the CPUs.
#
# Prints, per scenario, the requests sent and failed and their latency percentiles. Record the
# output, with the date and machine printed first, in docs/benchmarks.md ("Webhook under faults").
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

cargo build --release -p multicloud-webhook
cargo nextest run --release -p multicloud-e2e --test webhook_faults --no-run

seconds="${MULTICLOUD_FAULT_SECONDS:-30}"
rate="${MULTICLOUD_FAULT_RATE:-1000}"
describe_machine
echo "load: ${seconds}s per phase, ${rate} requests/s directly to the webhook"

MULTICLOUD_FAULT_SECONDS="$seconds" MULTICLOUD_FAULT_RATE="$rate" \
    cargo nextest run --release -p multicloud-e2e --test webhook_faults --no-capture \
        --test-threads 1 --no-fail-fast 2>&1 \
    | grep -E '^(## |  - |test result|thread .* panicked|assertion|at [0-9.]+s: )'
