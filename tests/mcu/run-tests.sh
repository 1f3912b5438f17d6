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
for method in "full" "static --ratio 0.1" "tinyprop" "tinypropv2" "budget"; do
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

# ---- the library from outside: a C firmware on the installed package ----------------------
echo "== a C firmware (C API) on the cross-built, installed package, netduinoplus2 (128 KB RAM)"
CONS="$BUILD/consumer"
cli="$REPO/build/release/tinyprop"
consumer_fw() {  # the exported model, the core installed for cortex-m4, the C-only firmware
  if [ ! -x "$cli" ]; then
    cmake --preset release >/dev/null && cmake --build --preset release --target tinyprop >/dev/null || return 1
  fi
  "$REPO/tests/consumer/make-model.sh" "$cli" "$CONS/model" || return 1
  rm -rf "$CONS/core" "$CONS/prefix" "$CONS/fw"
  cmake -S "$REPO" -B "$CONS/core" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" \
    -DTINYPROP_ARM_CPU=cortex-m4 -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$CONS/prefix" &&
  cmake --build "$CONS/core" && cmake --install "$CONS/core" &&
  cmake -S "$REPO/tests/consumer/firmware" -B "$CONS/fw" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" -DTINYPROP_ARM_CPU=cortex-m4 \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$CONS/prefix" -DCONSUMER_BOARD=netduinoplus2 \
    -DCONSUMER_MODEL_HEADER="$CONS/model/frozen_cnn.h" &&
  cmake --build "$CONS/fw"
}
if consumer_fw >"$tmp/consumer.log" 2>&1 &&
   grep -q '^build consumer_c.elf: C_EXECUTABLE_LINKER' "$CONS/fw/build.ninja"; then
  capi_text="$(arm-none-eabi-size "$CONS"/core/CMakeFiles/tinyprop_core.dir/src/capi/*.obj | awk 'NR > 1 { t += $1 } END { print t }')"
  pass "consumer firmware: find_package in a C-only project, linked with arm-none-eabi-gcc (no libstdc++); C API layer $capi_text B of flash"
  out="$("$RUN" netduinoplus2 "$CONS/fw/consumer_c.elf")"
  status=$?
  cnn="$(grep '^frozen_cnn params' <<<"$out")"
  read -r text data bss _ < <(arm-none-eabi-size "$CONS/fw/consumer_c.elf" | tail -1)
  in_place="$(field frozen_cnn ram_in_place "$out")"; stack_used="$(field memory stack_used "$out")"
  if [ $status = 0 ] && grep -q '^consumer_c: ok' <<<"$out" && [ -n "$cnn" ] &&
     [ $((data + bss + in_place + stack_used)) -le 131072 ] &&
     [ "$stack_used" -lt "$(field memory stack_reserved "$out")" ]; then
    pass "consumer firmware fine-tuned from C on netduinoplus2: $(grep '^mlp accuracy' <<<"$out"); frozen CNN weights in flash: $(cut -d' ' -f2- <<<"$cnn"); $(grep '^frozen_cnn (' <<<"$out" | sed 's/^frozen_cnn (inverted images) /inverted images: /'); RAM: static data $((data + bss)) + arena plan $in_place + stack $stack_used B, flash $((text + data)) B"
  else
    echo "$out"; fail "consumer firmware on netduinoplus2: status $status"
  fi
else
  tail -30 "$tmp/consumer.log"; fail "consumer firmware build (or it is not linked with the C driver)"
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

# ---- the budget rule and the per-step bound on the device -----------------------------------
echo "== budget rule on mps2-an386: selection overhead against the backward work it saves, the per-step bound"
bud="$(count --method budget)"
# The firmware checks every step against the worst case the trainer gave at bind time (exit 7).
bounded="$(count --method tinyprop --smax 1 --zeta 1 --max-macs 20000)"
bstatus=$?
sel_b=$(field insns selection "$bud"); saved=$(( $(bp "$full") - $(bp "$bud") ))
echo "   budget:   $(per "$bud" forward) fwd, $(per "$bud" selection) sel, $(per "$bud" backward) bwd, $(per "$bud" update) upd per step"
if [ -n "$sel_b" ] && [ "$saved" -gt 0 ] && awk -v s="$sel_b" -v d="$saved" 'BEGIN { exit !(s <= 0.1 * d) }'; then
  pass "budget: selection = $(awk -v s="$sel_b" -v d="$saved" 'BEGIN { printf "%.4f", s / d }') of the backward instructions it saves (<= 0.1)"
else
  echo "$bud"; fail "budget: selection $sel_b instructions against $saved saved"
fi
worst_b=$(field bound worst_case_backward_macs "$bud"); most_b=$(field bound most_step_backward_macs "$bud")
full_b=$(field bound full_backward_macs "$bud")
if [ -n "$most_b" ] && [ "$most_b" -le "$worst_b" ] && [ "$worst_b" -le $(( full_b / 10 )) ]; then
  pass "budget: every step <= $worst_b backward MACs (most $most_b, 10% of full $full_b)"
else
  echo "$bud"; fail "budget: per-step bound ($most_b of $worst_b, full $full_b)"
fi
most_t=$(field bound most_step_backward_macs "$bounded")
if [ $bstatus = 0 ] && [ -n "$most_t" ] && [ "$most_t" -le 20000 ] && [ "$(field bound worst_case_backward_macs "$bounded")" = 20000 ]; then
  pass "bound: tinyprop at S_max 1 under --max-macs 20000: every step <= 20000 (most $most_t)"
else
  echo "$bounded"; fail "bound: tinyprop under --max-macs 20000 (status $bstatus, most $most_t)"
fi

# ---- checkpoints: power cuts and restarts ---------------------------------------------------
echo "== checkpoints: saved to a flash file every 50 samples, QEMU killed or power cut, restarted"
CK_ARGS=(--method tinyprop --lr 0.001 --epochs 2 --train "${STREAM[@]}" --test-count 0)
ck_ref="$(field result checksum "$("$HOST" "${CK_ARGS[@]}")")"
# QEMU started directly (not through mcu-run.sh) so that the test can kill exactly that process.
qemu_start() {  # board elf out-file args...: starts QEMU in the background, sets qemu_pid
  local board="$1" elf="$2" out="$3"; shift 3
  local semi="enable=on,target=native,arg=$(basename "$elf" .elf)" a
  for a in "$@"; do semi+=",arg=${a//,/,,}"; done
  qemu-system-arm -M "$board" -nographic -monitor none -serial none -semihosting-config "$semi" \
    -kernel "$elf" >"$out" 2>&1 &
  qemu_pid=$!
}
for board in mps2-an386 netduinoplus2; do
  flash="$tmp/flash-$board.bin"
  rm -f "$flash"
  # Killed at an arbitrary moment: once the 3rd to 6th checkpoint line appeared (chosen at
  # random), after a random 0-29 ms more, i.e. between samples or in the middle of a save.
  want=$((3 + RANDOM % 4)); delay="0.0$((RANDOM % 3))$((RANDOM % 10))"
  qemu_start "$board" "$(fw "$board" ci)" "$tmp/killed.out" "${CK_ARGS[@]}" --flash "$flash" --checkpoint-every 50
  for _ in $(seq 1 2000); do
    [ "$(grep -c '^checkpoint ' "$tmp/killed.out")" -ge $want ] && break
    kill -0 $qemu_pid 2>/dev/null || break
    sleep 0.01
  done
  sleep "$delay"
  kill -9 $qemu_pid 2>/dev/null; wait $qemu_pid 2>/dev/null
  saved="$(grep -c '^checkpoint ' "$tmp/killed.out")"
  out="$("$RUN" "$board" "$(fw "$board" ci)" "${CK_ARGS[@]}" --flash "$flash" --checkpoint-every 50)"
  status=$?
  from="$(field resumed position "$out")"
  if [ $status = 0 ] && [ -n "$from" ] && [ "$from" -gt 0 ] && ! grep -q '^result' "$tmp/killed.out" &&
     [ "$(field result checksum "$out")" = "$ck_ref" ]; then
    pass "checkpoints on $board: QEMU killed after $saved saves (+${delay}s), restarted, resumed at sample $from of 2000, same weights as an uninterrupted run ($ck_ref)"
  else
    cat "$tmp/killed.out"; echo "$out"; fail "checkpoints on $board: resumed at '$from', status $status, checksum $(field result checksum "$out") vs $ck_ref"
  fi
done
# A power cut in the middle of the second save (each programs about 103 KB): the first survives.
flash="$tmp/flash-cut.bin"; rm -f "$flash"
status=0
cut_out="$("$RUN" mps2-an386 "$(fw mps2-an386 ci)" "${CK_ARGS[@]}" --flash "$flash" --checkpoint-every 50 --cut-after-bytes 150000)" || status=$?
out="$("$RUN" mps2-an386 "$(fw mps2-an386 ci)" "${CK_ARGS[@]}" --flash "$flash" --checkpoint-every 50)"
if [ $status = 5 ] && [ "$(field resumed position "$out")" = 50 ] &&
   [ "$(field result checksum "$out")" = "$ck_ref" ]; then
  pass "power cut after 150,000 programmed bytes (inside the 2nd save): restarted from the 1st checkpoint (sample 50), same weights as an uninterrupted run"
else
  echo "$cut_out"; echo "$out"; fail "power cut inside a save: status $status, resumed at '$(field resumed position "$out")'"
fi

# Device -> host -> device: the host command continues the device's flash image and writes a
# checkpoint file, which the firmware resumes from (the same format both ways). Needs the host
# command (make test builds it first; on its own: cmake --build --preset release).
CLI="$REPO/build/release/tinyprop"
if [ -x "$CLI" ]; then
  flash="$tmp/flash-trip.bin"; rm -f "$flash"
  mkdir -p "$tmp/hostdata/mnist"
  ln -sf "${STREAM[0]}" "$tmp/hostdata/mnist/train-images-idx3-ubyte"
  ln -sf "${STREAM[1]}" "$tmp/hostdata/mnist/train-labels-idx1-ubyte"
  ln -sf "${TEST[0]}" "$tmp/hostdata/mnist/t10k-images-idx3-ubyte"
  ln -sf "${TEST[1]}" "$tmp/hostdata/mnist/t10k-labels-idx1-ubyte"
  dev1="$("$RUN" mps2-an386 "$(fw mps2-an386 ci)" --method tinyprop --lr 0.001 --steps 100 --train "${STREAM[@]}" --test-count 0 --flash "$flash" --checkpoint-every 100)"
  host_out="$("$CLI" finetune --model-in "$BUILD/data/ci/pretrained.tpm" --data-dir "$tmp/hostdata" \
    --method tinyprop --lr 0.001 --resume "$flash" --stop-after 300 --checkpoint-out "$tmp/host.ck" \
    --out "$tmp/host.tpm" 2>&1)"
  dev2="$("$RUN" mps2-an386 "$(fw mps2-an386 ci)" --method tinyprop --lr 0.001 --steps 400 --train "${STREAM[@]}" --test-count 0 --resume-from "$tmp/host.ck")"
  status=$?
  if [ "$(field checkpoint position "$dev1")" = 100 ] && grep -q "resumed from $flash .*at sample 100" <<<"$host_out" &&
     [ $status = 0 ] && [ "$(field resumed position "$dev2")" = 300 ] && [ "$(field result steps "$dev2")" = 100 ]; then
    pass "device -> host -> device: the host continued the device's flash image from sample 100 to 300, the firmware resumed the host's checkpoint at 300"
  else
    echo "$dev1"; echo "$host_out"; echo "$dev2"; fail "device -> host -> device round trip"
  fi
else
  fail "device -> host -> device round trip: no host command at $CLI (cmake --build --preset release first)"
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
