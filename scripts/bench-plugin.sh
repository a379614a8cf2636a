#!/usr/bin/env bash
# Benchmarks kubectl-multicloud as docs/benchmarks.md records it: wall time (min, median, p90) and
# peak RSS of the release binary for `--help` and for `list` of 1,000 instances against a local
# kube-apiserver (the project's envtest), and the binary's size.
#
# Usage: scripts/bench-plugin.sh
# Needs the envtest control plane binaries (see scripts/install-control-plane.sh). Peak RSS comes
# from GNU time (/usr/bin/time); without it that column reads n/a. Bounded: 30 runs per command.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

case "${1:-}" in -h|--help) sed -n '2,8p' "$0"; exit 0 ;; esac

describe_machine
echo

cargo bench -p kubectl-multicloud --bench list
