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
