#!/usr/bin/env bash
# On-target tests: the Cortex-M port, the fine-tuning firmware under QEMU, instruction counting,
# the 128 KB budget and host/target bit identity. Each QEMU run is wrapped in a timeout, so a
# hard fault or a hang fails a test instead of blocking CI. `make test-mcu` runs this after
# installing the toolchain, QEMU and MNIST.
#
#   tests/mcu/run-tests.sh            exit status 0 when every test passes
set -uo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/scripts/mcu-configs.sh"
BUILD="$REPO/build/mcu"
DATA="${MCU_DATA:-${TINYPROP_DATA_DIR:-$REPO/data}/mnist}"
export MCU_TIMEOUT="${MCU_TIMEOUT:-120}"
RUN="$REPO/scripts/mcu-run.sh"
K=300  # fine-tuning steps of the same-bits test
mcu_config ci && FINETUNE_CI=$FINETUNE

failed=0
passed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
# field LINE_KIND KEY OUTPUT: the value of KEY= on the firmware's LINE_KIND line.
field() { awk -v kind="$1" -v key="$2" '$1 == kind { for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == key) { print substr($i, length(key) + 2); exit } } }' <<<"$3"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- build ------------------------------------------------------------------------------
echo "== build (plugin, host tools, models, firmware for mps2-an386, netduinoplus2, mps2-an500)"
if "$REPO/scripts/mcu-build.sh" ci toolarge; then
  pass "build: the core, the firmware and the host tools build warning-free (-Werror) for Cortex-M4F and Cortex-M7"
else
  fail "build"; echo "$passed passed, $failed failed"; exit 1
fi
STREAM=("$BUILD/data/ci/finetune-images-idx3-ubyte" "$BUILD/data/ci/finetune-labels-idx1-ubyte")
TEST=("$DATA/t10k-images-idx3-ubyte" "$DATA/t10k-labels-idx1-ubyte")
HOST="$BUILD/host/mcu_finetune_host_ci"
fw() { echo "$BUILD/fw-$1/mcu_finetune_$2.elf"; }

# ---- portable expf/logf -------------------------------------------------------------------
echo "== portable math"
if cc -O2 -ffp-contract=off -o "$tmp/check_math" "$REPO/tests/mcu/check_portable_math.c" \
     "$REPO/examples/mcu_finetune/portable_math.c" -lm && "$tmp/check_math"; then
  pass "portable expf/logf within 2 ulp, edge cases right"
else
  fail "portable expf/logf"
fi

# ---- port: heap trap, fault handler -----------------------------------------------------
echo "== port probes"
PROBES="$BUILD/probes"
cmake -S "$REPO/tests/mcu/probes" -B "$PROBES" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" -DTINYPROP_ARM_CPU=cortex-m4 >"$tmp/probes.log" 2>&1 \
  || { cat "$tmp/probes.log"; fail "probes: configure"; }
if cmake --build "$PROBES" --target probe_ok >"$tmp/ok.log" 2>&1 &&
   out="$(timeout 20 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
            -semihosting-config enable=on,target=native -kernel "$PROBES/probe_ok.elf")" &&
   [ "$out" = "probe_ok" ]; then
  pass "probe_ok builds, prints through semihosting and exits 0"
else
  cat "$tmp/ok.log"; fail "probe_ok"
fi
for probe in malloc printf new; do
  if cmake --build "$PROBES" --target "probe_$probe" >"$tmp/$probe.log" 2>&1; then
    fail "probe_$probe linked, but the heap must be unavailable"
  elif grep -qE "undefined reference to .(__wrap_(malloc|_malloc_r|_sbrk|free|_free_r)|operator new)" "$tmp/$probe.log"; then
    pass "probe_$probe: using the heap fails the link ($(grep -oE 'undefined reference to .[^'"'"']+' "$tmp/$probe.log" | head -1))"
  else
    cat "$tmp/$probe.log"; fail "probe_$probe failed to build for another reason"
  fi
done
if cmake --build "$PROBES" --target probe_fault >"$tmp/fault.log" 2>&1; then
  status=0
  out="$(timeout 20 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
           -semihosting-config enable=on,target=native -kernel "$PROBES/probe_fault.elf")" || status=$?
  if [ $status = 99 ] && grep -q "^FAULT: " <<<"$out"; then
    pass "a CPU fault ends the run with status 99 and a report ($(grep -o 'FAULT: [A-Za-z]*' <<<"$out"))"
  else
    echo "$out"; fail "probe_fault: status $status (expected 99)"
  fi
else
  cat "$tmp/fault.log"; fail "probe_fault build"
fi

# ---- same bits on host and targets --------------------------------------------------------
echo "== same bits: $K fine-tuning steps on the targets and on the host"
before="$(field result checksum "$("$HOST" --method none --test-count 0)")"
for method in "full" "static --ratio 0.1" "tinyprop" "tinypropv2"; do
  # shellcheck disable=SC2086
  host_sum="$(field result checksum "$("$HOST" --method $method --lr 0.001 --steps $K --train "${STREAM[@]}" --test-count 0)")"
  if [ -z "$host_sum" ] || [ "$host_sum" = "$before" ]; then
    fail "same bits ($method): the host run did not change the weights"
    continue
  fi
  for board in mps2-an386 netduinoplus2 mps2-an500; do
    # shellcheck disable=SC2086
    out="$("$RUN" "$board" "$(fw "$board" ci)" --method $method --lr 0.001 --steps $K --train "${STREAM[@]}" --test-count 0)"
    status=$?
    target_sum="$(field result checksum "$out")"
    if [ $status = 0 ] && [ "$target_sum" = "$host_sum" ]; then
      pass "same bits: $method, $K steps, $board ($(mcu_board_cpu "$board")) = host ($host_sum)"
    else
      echo "$out"; fail "same bits: $method on $board: $target_sum (status $status), host $host_sum"
    fi
  done
done

# ---- fine-tuning within 128 KB -----------------------------------------------------------
echo "== fine-tuning 784-32-16-10 with SGD on netduinoplus2 (128 KB RAM)"
out="$("$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method tinyprop --lr 0.001 --train "${STREAM[@]}" --test "${TEST[@]}" --test-count 1000)"
status=$?
host_out="$("$HOST" --method tinyprop --lr 0.001 --train "${STREAM[@]}" --test "${TEST[@]}" --test-count 1000)"
read -r text data bss _ < <(arm-none-eabi-size "$(fw netduinoplus2 ci)" | tail -1)
planned="$(field memory planned "$out")"; stack_used="$(field memory stack_used "$out")"
stack_reserved="$(field memory stack_reserved "$out")"; spare="$(field memory spare "$out")"
acc="$(field result acc "$out")"
if [ $status = 0 ] && [ -n "$planned" ]; then
  # Added up independently of the firmware; the arena starts on a 16-byte boundary after .bss,
  # so up to 15 bytes of padding are unused but not spare.
  used=$((data + bss + planned + stack_used))
  padding=$((131072 - used - spare))
  if [ $used -le 131072 ] && [ "$stack_used" -lt "$stack_reserved" ] &&
     [ $padding -ge 0 ] && [ $padding -lt 16 ]; then
    pass "128 KB: static data $((data + bss)) + arena plan $planned + stack $stack_used = $used B, spare $spare B ($((spare * 100 / 131072))%)"
  else
    echo "$out"; fail "128 KB: used $used B, stack $stack_used of $stack_reserved, spare reported $spare"
  fi
  if [ "$(field result checksum "$out")" = "$(field result checksum "$host_out")" ] &&
     [ "$acc" = "$(field result acc "$host_out")" ] && [ "$(field result steps "$out")" = "$FINETUNE_CI" ]; then
    pass "fine-tuned on the 128 KB board: accuracy $acc% on 1000 test images, same as the host"
  else
    echo "$out"; echo "$host_out"; fail "fine-tuning on netduinoplus2 differs from the host"
  fi
else
  echo "$out"; fail "fine-tuning on netduinoplus2: status $status"
fi

# ---- instruction counts ------------------------------------------------------------------
echo "== instruction counts on mps2-an386 (Cortex-M4F)"
count() { "$RUN" --count mps2-an386 "$(fw mps2-an386 ci)" --lr 0.001 --train "${STREAM[@]}" --test-count 0 "$@"; }
full="$(count --method full)"; tiny="$(count --method tinyprop)"; tiny2="$(count --method tinyprop)"
per() { echo $(( $(field insns "$2" "$1") / $(field insns windows "$1") )); }
ok_counts=1
for run_ in "$full" "$tiny"; do
  [ "$(field insns windows "$run_")" = "$(field result steps "$run_")" ] || ok_counts=0
done
[ "$(grep '^insns' <<<"$tiny")" = "$(grep '^insns' <<<"$tiny2")" ] || ok_counts=0
for p in forward selection backward update; do [ "$(per "$tiny" $p)" -gt 0 ] || ok_counts=0; done
if [ $ok_counts = 1 ]; then
  pass "counts: one window per training step, every phase counted, identical on a second run"
else
  echo "$full"; echo "$tiny"; echo "$tiny2"; fail "instruction counts"
fi
bp() { echo $(( $(field insns selection "$1") + $(field insns backward "$1") + $(field insns update "$1") )); }
step() { echo $(( $(bp "$1") + $(field insns forward "$1") + $(field insns other "$1") )); }
# The MCU targets, on this quick configuration: backward pass <= 1/5 of full's, and the
# measured step speed-up >= 80% of the cost model's (F + B_full) / (F + B) for the k used.
read -r bwd_ratio speedup predicted < <(awk -v bf="$(bp "$full")" -v bt="$(bp "$tiny")" \
  -v sf="$(step "$full")" -v st="$(step "$tiny")" -v f="$(field counters forward_macs "$tiny")" \
  -v b="$(field counters backward_macs "$tiny")" -v bfull="$(field counters backward_macs_full "$tiny")" \
  'BEGIN { printf "%.4f %.4f %.4f\n", bt / bf, sf / st, (f + bfull) / (f + b) }')
echo "   full:     $(per "$full" forward) fwd, $(per "$full" selection) sel, $(per "$full" backward) bwd, $(per "$full" update) upd"
echo "   tinyprop: $(per "$tiny" forward) fwd, $(per "$tiny" selection) sel, $(per "$tiny" backward) bwd, $(per "$tiny" update) upd"
if awk -v r="$bwd_ratio" 'BEGIN { exit !(r <= 0.2) }'; then
  pass "tinyprop's backward pass = $bwd_ratio of full's instructions (target <= 0.2)"
else
  fail "tinyprop's backward pass = $bwd_ratio of full's instructions (target <= 0.2)"
fi
if awk -v s="$speedup" -v p="$predicted" 'BEGIN { exit !(s >= 0.8 * p) }'; then
  pass "tinyprop's step speed-up ${speedup}x >= 80% of the cost model's ${predicted}x"
else
  fail "tinyprop's step speed-up ${speedup}x < 80% of the cost model's ${predicted}x"
fi

# ---- errors --------------------------------------------------------------------------------
echo "== errors"
expect_status() {  # expected-status description command...
  local want="$1" what="$2"; shift 2
  local out status=0
  out="$("$@" 2>&1)" || status=$?
  if [ $status = "$want" ]; then pass "$what: exit $status ($(grep -m1 'mcu_finetune: ' <<<"$out" | cut -c1-80))"
  else echo "$out" | tail -5; fail "$what: exit $status, expected $want"; fi
}
expect_status 2 "unknown method" "$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method fastest --train "${STREAM[@]}"
expect_status 2 "bad number" "$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method full --lr 0.0x1 --train "${STREAM[@]}"
expect_status 3 "missing data file" "$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method full --test-count 0 --train /nonexistent/a /nonexistent/b
expect_status 3 "labels given as images" "$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method full --test-count 0 --train "${STREAM[1]}" "${STREAM[1]}"
expect_status 4 "784-128-64-10 does not fit 128 KB" "$RUN" netduinoplus2 "$(fw netduinoplus2 toolarge)" --method full --test-count 0 --train "${STREAM[@]}"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
