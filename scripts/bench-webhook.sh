#!/usr/bin/env bash
# Benchmarks multicloud-webhook and prints what docs/benchmarks.md records:
#  1. the HTTPS path under load (kept-alive TLS on loopback): p50/p99 latency, throughput and
#     peak RSS of /validate and /mutate, and of a fixed-reply server on the same TLS and HTTP
#     stack as the floor, in the same run;
#  2. with --criterion, also the pure decision path (decode, rules, encode) with criterion.
#
# Usage: scripts/bench-webhook.sh [--criterion] [--seconds N] [--rate R] [--connections C]
#                                  [--server-workers W]
# Bounded: six load phases (paced and saturated, for three targets) of N seconds each
# (default 5). Servers get one worker thread unless --server-workers says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

criterion=false
load_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --criterion) criterion=true ;;
    --seconds|--rate|--connections|--server-workers) load_args+=("$1" "$2"); shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

describe_machine
echo

cargo bench -p multicloud-webhook --bench https_load -- "${load_args[@]}"
if $criterion; then
  cargo bench -p multicloud-webhook --bench decision
fi
