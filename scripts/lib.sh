# Shared by the benchmark and fault scripts; sourced, not run.

# Prints the date and the machine a measurement was taken on, the lines docs/benchmarks.md
# records above each result.
describe_machine() {
  local cpu memory
  cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
  memory=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)
  echo "date:    $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) CPUs (${cpu:-unknown}), ${memory:-unknown} RAM, $(uname -sr)"
  echo "rustc:   $(rustc --version)"
}

# Runs the e2e test binary `$1` against a release build of multicloud-controller and prints the
# lines of its output that match the extended regex `$2`; further arguments go to cargo-nextest.
# Both are built first, so that the build is not measured, and the machine is described before
# the run.
run_with_release_controller() {
  local test=$1 lines=$2; shift 2
  cargo build --release -p multicloud-controller
  cargo nextest run -p multicloud-e2e --test "$test" --no-run
  describe_machine
  MULTICLOUD_CONTROLLER_BINARY="$PWD/target/release/multicloud-controller" \
  RUST_LOG="${RUST_LOG:-info}" \
    cargo nextest run -p multicloud-e2e --test "$test" "$@" 2>&1 | grep -E "$lines"
}
