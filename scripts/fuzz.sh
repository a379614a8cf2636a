#!/usr/bin/env bash
# Runs every fuzz target for a fixed time each (default 60 s; FUZZ_SECONDS overrides, or the
# first argument). Seeds each target's corpus from the project's test data. A crash, panic,
# leak or hang fails the script; libFuzzer leaves the input in fuzz/artifacts/<target>/, and
# the finding belongs in a regression test next to the code it broke.
#
# cargo-fuzz needs instrumentation flags of a nightly compiler; RUSTC_BOOTSTRAP=1 lets the
# stable toolchain accept them, so no other toolchain is needed.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-${FUZZ_SECONDS:-60}}
export RUSTC_BOOTSTRAP=1
# The instrumented build is slow; keep it between runs (and between clones, for CI).
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/multicloud/fuzz-target}

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

seed() {
  local target=$1; shift
  mkdir -p "corpus/$target"
  for source in "$@"; do
    for file in $source; do
      [ -f "$file" ] && cp "$file" "corpus/$target/$(echo "$file" | tr '/' '_')"
    done
  done
}
seed admission_rules '../testdata/admission/*/*.json'
# The webhook's request path: the reviews kube-apiserver sent, as the webhook's tests keep them.
seed webhook_review '../testdata/admission/*/*.json' '../webhook/tests/data/*/*.json'
# check's inputs: the example manifests and clusters file, and the plugin's test inputs.
seed check_input '../manifests/examples/*.yaml' '../plugin/tests/cmd/*.in/*'

targets=$(cargo fuzz list)
cargo fuzz build -O
for target in $targets; do
  echo "== fuzz $target for ${seconds}s"
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb bounds memory.
  cargo fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 \
    | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)' || true
  # grep hides libFuzzer's chatter; the pipeline's status is cargo's.
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzzing: no crash, panic or hang in $(echo $targets | wc -w) targets"
