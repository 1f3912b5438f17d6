#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ one after another (one fuzzer process at a time) and
# prints a table: executions, exec/s, coverage (libFuzzer's cov = edges, ft = features), corpus
# size and crashes per target. Exits 1 if any target crashed or violated a property.
#
# Usage: scripts/run-fuzz.sh [--build DIR] [--seconds S | --runs N] [target ...]
#   --build    the clang build with -DTINYPROP_FUZZ=ON (default build/fuzz; `make fuzz` makes it)
#   --seconds  time per target (default $FUZZ_SECONDS, else 60)
#   --runs     executions per target instead of a time (libFuzzer -runs=N)
#   targets    default: every target (idx idx_gz cifar csv wav tpm spec_text checkpoint onnx)
#
# Each target starts from the committed corpus tests/fuzz/corpus/<target>/ and grows a working
# corpus in <build>/corpus/<target>/ (the committed one is never written). Logs:
# <build>/logs/<target>.log; a crashing input: <build>/artifacts/<target>/crash-* (libFuzzer
# stops at the first crash of a target, so the crash column is 0 or 1 per run). A target stopped
# with SIGINT (kill -INT <fuzzer pid>) prints its final figures and counts as "interrupted", not as
# a crash; the executions column then says how far it got, and the later targets are not run
# (exit status 130).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build/fuzz
SECONDS_PER=${FUZZ_SECONDS:-60}
RUNS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) BUILD=$2; shift 2 ;;
    --seconds) SECONDS_PER=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -*) echo "run-fuzz: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(idx idx_gz cifar csv wav tpm spec_text checkpoint onnx)

# Largest input per target: room for every seed and its near neighbours (two 3073-byte CIFAR
# records, a 28x28 IDX image) while keeping executions fast.
max_len_of() {
  case "$1" in
    cifar | checkpoint) echo 8192 ;;
    spec_text) echo 256 ;;
    *) echo 2048 ;;
  esac
}

mkdir -p "$BUILD/logs"
rows=()
failed=0
interrupted=0
for t in "${TARGETS[@]}"; do
  if [ "$interrupted" = 1 ]; then
    rows+=("$(printf '%-10s %12s' "$t" "not run")")
    continue
  fi
  exe="$BUILD/tests/fuzz/fuzz_$t"
  seeds="tests/fuzz/corpus/$t"
  [ -x "$exe" ] || { echo "run-fuzz: $exe missing (build with make fuzz)" >&2; exit 2; }
  [ -d "$seeds" ] || { echo "run-fuzz: no seed corpus $seeds" >&2; exit 2; }
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  log="$BUILD/logs/$t.log"
  mkdir -p "$work" "$art"
  limit=(-max_total_time="$SECONDS_PER")
  what="$SECONDS_PER s"
  if [ -n "$RUNS" ]; then
    limit=(-runs="$RUNS")
    what="$RUNS runs"
  fi
  echo "run-fuzz: $t ($what, -max_len=$(max_len_of "$t")), log $log" >&2
  rc=0
  "$exe" "${limit[@]}" -max_len="$(max_len_of "$t")" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # The last status line: "#N  DONE  cov: C ft: F corp: U/Sb ..." (or the last pulse / NEW line).
  status=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$status")
  crashes=0
  if [ "$rc" != 0 ] && grep -q 'libFuzzer: run interrupted' "$log"; then
    crashes="0 (interrupted)"
    interrupted=1
  elif [ "$rc" != 0 ]; then
    crashes=1
    failed=1
    [ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
  fi
  rows+=("$(printf '%-10s %12s %9s %6s %7s %14s %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$crashes")")
  if [ "$crashes" = 1 ]; then
    echo "run-fuzz: $t FAILED (exit $rc); see $log and $art/" >&2
    grep -E 'ERROR:|property violated|SUMMARY' "$log" | head -5 >&2 || true
  fi
done

printf '%-10s %12s %9s %6s %7s %14s %s\n' target executions exec/s cov ft corpus crashes
for r in "${rows[@]}"; do echo "$r"; done
[ "$failed" = 0 ] || exit 1
[ "$interrupted" = 0 ] || exit 130
