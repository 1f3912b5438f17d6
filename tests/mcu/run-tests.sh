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
mcu_config ci && FINETUNE_CI=$FINETUNE && TARGETS_CI=$BOARDS
TARGETS_CNNCI="$(mcu_config cnnci && echo "$BOARDS")"
K_CNN=100  # fine-tuning steps of the CNN's same-bits test (a step is ~40x the MLP's)

failed=0
passed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
# field LINE_KIND KEY OUTPUT: the value of KEY= on the firmware's LINE_KIND line.
field() { awk -v kind="$1" -v key="$2" '$1 == kind { for (i = 2; i <= NF; ++i) { split($i, kv, "="); if (kv[1] == key) { print substr($i, length(key) + 2); exit } } }' <<<"$3"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# ---- build ------------------------------------------------------------------------------
echo "== build (plugin, host tools, models, firmware for every target: $MCU_ALL_TARGETS)"
if "$REPO/scripts/mcu-build.sh" ci toolarge microci cnnci; then
  pass "build: the core, the firmware and the host tools build warning-free (-Werror) for Cortex-M0, M3, M4 (FPU or not), M7 (DP and SP FPU), M33 (FPU or not) and M55"
else
  fail "build"; echo "$passed passed, $failed failed"; exit 1
fi
STREAM=("$BUILD/data/ci/finetune-images-idx3-ubyte" "$BUILD/data/ci/finetune-labels-idx1-ubyte")
TEST=("$DATA/t10k-images-idx3-ubyte" "$DATA/t10k-labels-idx1-ubyte")
HOST="$BUILD/host/mcu_finetune_host_ci"
fw() { echo "$BUILD/fw-$1/mcu_finetune_$2.elf"; }

# ---- toolchain file: the core and FPU choices ---------------------------------------------
echo "== toolchain file"
# toolchain_refuses CPU FPU EXPECTED-MESSAGE: configuring must fail with that message.
toolchain_refuses() {
  local out
  if out="$(cmake -S "$REPO/tests/mcu/probes" -B "$tmp/tc-$1-$2" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" \
              -DTINYPROP_ARM_CPU="$1" -DTINYPROP_ARM_FPU="$2" 2>&1)"; then
    fail "toolchain file accepted TINYPROP_ARM_CPU=$1 TINYPROP_ARM_FPU=$2"
  elif grep -q "$3" <<<"$out"; then
    pass "toolchain file refuses TINYPROP_ARM_CPU=$1 TINYPROP_ARM_FPU=$2 ($3)"
  else
    echo "$out" | tail -5; fail "toolchain file: TINYPROP_ARM_CPU=$1 TINYPROP_ARM_FPU=$2 failed without '$3'"
  fi
}
toolchain_refuses cortex-m99 auto "TINYPROP_ARM_CPU must be one of"
toolchain_refuses cortex-m4 dp "cortex-m4 has no 'dp' FPU"
toolchain_refuses cortex-m0plus sp "cortex-m0plus has no 'sp' FPU"
toolchain_refuses cortex-m33 half "TINYPROP_ARM_FPU must be auto, none, sp or dp"
# The flags each choice gives, as gcc's multilib selection sees them.
multilib_ok=1
for spec in microbit:cortex-m0plus:auto:thumb/v6-m/nofp mps2-an385:cortex-m3:auto:thumb/v7-m/nofp \
            mps2-an386:cortex-m4:none:thumb/v7e-m/nofp mps2-an500:cortex-m7:sp:thumb/v7e-m+fp/hard \
            mps2-an505:cortex-m33:none:thumb/v8-m.main/nofp mps3-an547:cortex-m55:auto:thumb/v8-m.main+dp/hard; do
  IFS=: read -r board cpu fpu want <<<"$spec"
  dir="$tmp/tc-$cpu-$fpu"
  cmake -S "$REPO/tests/mcu/probes" -B "$dir" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" \
    -DTINYPROP_ARM_CPU="$cpu" -DTINYPROP_ARM_FPU="$fpu" -DMCU_BOARD="$board" >/dev/null 2>&1 || { multilib_ok=0; echo "configure $cpu $fpu failed"; continue; }
  # shellcheck disable=SC2046
  got="$(arm-none-eabi-gcc $(sed -n 's/^CMAKE_C_FLAGS:STRING=//p' "$dir/CMakeCache.txt") -print-multi-directory)"
  [ "$got" = "$want" ] || { multilib_ok=0; echo "$cpu $fpu: multilib $got, expected $want"; }
done
if [ $multilib_ok = 1 ]; then
  pass "toolchain file: each core and FPU choice selects the right newlib multilib"
else
  fail "toolchain file: multilib selection"
fi

# ---- another toolchain: the core with clang ------------------------------------------------
echo "== the core with clang (host and every Cortex-M core, -Werror)"
if out="$("$REPO/scripts/check-core-clang.sh" 2>&1)"; then
  pass "clang: $(grep -c 'sources build' <<<"$out") targets ($(grep -m1 -o '[0-9]* core sources' <<<"$out") each) build warning-free"
else
  echo "$out" | grep -v 'sources build' | tail -15; fail "clang: the core does not build for every target"
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
# The startup code on every architecture: ARMv6-M (microbit), ARMv7-M, ARMv8-M (Secure state on
# mps2-an505 and mps3-an547): probe_ok must print and exit 0, probe_fault must reach the fault
# handler (status 99).
for spec in microbit:cortex-m0 mps2-an385:cortex-m3 mps2-an500:cortex-m7 mps2-an505:cortex-m33 mps3-an547:cortex-m55; do
  board="${spec%%:*}"; cpu="${spec#*:}"; dir="$BUILD/probes-$board"
  status_ok=1 status_fault=0 out_ok="" out_fault=""
  if cmake -S "$REPO/tests/mcu/probes" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMCU_BOARD="$board" \
       -DCMAKE_TOOLCHAIN_FILE="$REPO/cmake/arm-none-eabi.cmake" -DTINYPROP_ARM_CPU="$cpu" >"$tmp/p.log" 2>&1 &&
     cmake --build "$dir" --target probe_ok probe_fault >>"$tmp/p.log" 2>&1; then
    status_ok=0
    out_ok="$(timeout 20 qemu-system-arm -M "$board" -nographic -monitor none -serial none \
      -semihosting-config enable=on,target=native -kernel "$dir/probe_ok.elf")" || status_ok=$?
    out_fault="$(timeout 20 qemu-system-arm -M "$board" -nographic -monitor none -serial none \
      -semihosting-config enable=on,target=native -kernel "$dir/probe_fault.elf")" || status_fault=$?
  fi
  if [ $status_ok = 0 ] && [ "$out_ok" = "probe_ok" ] && [ $status_fault = 99 ] && grep -q "^FAULT: " <<<"$out_fault"; then
    pass "startup on $board ($cpu): probe_ok exits 0, a fault ends the run with 99 ($(grep -o 'FAULT: [A-Za-z]*' <<<"$out_fault"))"
  else
    tail -20 "$tmp/p.log"; echo "$out_ok"; echo "$out_fault"
    fail "startup on $board ($cpu): probe_ok status $status_ok, probe_fault status $status_fault"
  fi
done
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

# ---- no double precision on the device path -------------------------------------------------
echo "== no double: a firmware that trains with the core and sums its counters"
if cmake --build "$PROBES" --target probe_counters probe_counters_double >"$tmp/counters.log" 2>&1 &&
   out="$(timeout 60 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
            -semihosting-config enable=on,target=native -kernel "$PROBES/probe_counters.elf")" &&
   grep -q '^probe_counters steps=200 ' <<<"$out" &&
   [ "$(arm-none-eabi-nm "$PROBES/probe_counters.elf" | grep -c 'RunCounters3add')" -gt 0 ]; then
  if ! nodouble="$("$REPO/tests/mcu/check-no-double.sh" "$PROBES/probe_counters.elf")"; then
    echo "$nodouble"; fail "probe_counters links double precision"
  elif "$REPO/tests/mcu/check-no-double.sh" "$PROBES/probe_counters_double.elf" >/dev/null; then
    fail "no-double check: it found nothing in the control that prints a double"
  else
    pass "no double helper linked in a firmware that trains and sums RunCounters (the double control is caught); $(grep -o 'stack_plan=.*' <<<"$out")"
  fi
else
  cat "$tmp/counters.log"; echo "${out:-}"; fail "probe_counters build or run"
fi

# ---- the big objects in .bss -------------------------------------------------------------
echo "== placement: the firmware's Model, Trainer and ModelSpec globals are in .bss, not .data"
# g_model (Model), g_trainer (Trainer), g_builtin (holds the ModelSpec) of every firmware: all
# zero bytes when unbound, so zero-filled at start-up instead of an image in flash and RAM.
placement_ok=1
for target in $TARGETS_CI microbit; do
  config=ci; [ "$target" = microbit ] && config=microci
  if ! out="$("$REPO/tests/mcu/check-in-bss.sh" "$(fw "$target" "$config")" g_model g_trainer g_builtin)"; then
    echo "$out"; placement_ok=0
  fi
done
# The control: the port's console handle starts at -1, so it must be reported as .data.
if "$REPO/tests/mcu/check-in-bss.sh" "$(fw mps2-an386 ci)" g_console >/dev/null; then
  fail "placement check: it did not catch the port's g_console (initialised to -1) in .data"
elif [ $placement_ok = 1 ]; then
  read -r _ data_bytes _ < <(arm-none-eabi-size "$(fw mps2-an386 ci)" | tail -1)
  pass "placement: g_model, g_trainer and g_builtin (ModelSpec) in .bss on every target (.data of the mps2-an386 firmware: $data_bytes B; the .data control is caught)"
else
  fail "placement: a Model, Trainer or ModelSpec global is not in .bss"
fi

# ---- same bits on host and targets --------------------------------------------------------
echo "== same bits: $K fine-tuning steps on every target and on the host"
# same_bits CONFIG STEPS TARGETS...: each method on each target gives the host's weights.
same_bits() {
  local config="$1" steps="$2"; shift 2
  local host="$BUILD/host/mcu_finetune_host_$config" d="$BUILD/data/$config"
  local stream=("$d/finetune-images-idx3-ubyte" "$d/finetune-labels-idx1-ubyte")
  local before method host_sum target out status board
  before="$(field result checksum "$("$host" --method none --test-count 0)")"
  # tinypropv2 twice: at its default skip threshold and at 0.5, where it also skips samples on
  # the small model.
  for method in "full" "static --ratio 0.1" "tinyprop" "tinypropv2" "tinypropv2 --tau 0.5" "budget"; do
    # shellcheck disable=SC2086
    host_sum="$(field result checksum "$("$host" --method $method --lr 0.001 --steps "$steps" --train "${stream[@]}" --test-count 0)")"
    if [ -z "$host_sum" ] || [ "$host_sum" = "$before" ]; then
      fail "same bits ($config, $method): the host run did not change the weights"
      continue
    fi
    for target in "$@"; do
      board="$(mcu_target_board "$target")"
      # shellcheck disable=SC2086
      out="$("$RUN" "$board" "$(fw "$target" "$config")" --method $method --lr 0.001 --steps "$steps" --train "${stream[@]}" --test-count 0)"
      status=$?
      target_sum="$(field result checksum "$out")"
      if [ $status = 0 ] && [ "$target_sum" = "$host_sum" ]; then
        pass "same bits: $method, $steps steps of $(field mcu_finetune model "$out"), $target ($(mcu_board_cpu "$target")) = host ($host_sum)"
      else
        echo "$out"; fail "same bits: $method on $target: $target_sum (status $status), host $host_sum"
      fi
    done
  done
}
# shellcheck disable=SC2086
same_bits ci "$K" $TARGETS_CI
same_bits microci "$K" microbit
# The convolution, pooling and flatten kernels (scalar four-filter paths, Helium on the M55).
# shellcheck disable=SC2086
same_bits cnnci "$K_CNN" $TARGETS_CNNCI

# ---- the micro:bit: 16 KB of RAM, no FPU ---------------------------------------------------
echo "== fine-tuning 49-16-10 on the micro:bit (Cortex-M0, 16 KB RAM, soft float)"
MICRO_D="$BUILD/data/microci"
MICRO_ARGS=(--lr 0.001 --train "$MICRO_D/finetune-images-idx3-ubyte" "$MICRO_D/finetune-labels-idx1-ubyte"
            --test "$MICRO_D/test-images-idx3-ubyte" "$MICRO_D/test-labels-idx1-ubyte" --test-count 1000)
MICRO_FW="$(fw microbit microci)"
before_out="$("$RUN" microbit "$MICRO_FW" --method none "${MICRO_ARGS[@]}")"
out="$("$RUN" --count microbit "$MICRO_FW" --method tinyprop "${MICRO_ARGS[@]}")"
status=$?
host_out="$("$BUILD/host/mcu_finetune_host_microci" --method tinyprop "${MICRO_ARGS[@]}")"
read -r text data bss _ < <(arm-none-eabi-size "$MICRO_FW" | tail -1)
planned="$(field memory planned "$out")"; stack_used="$(field memory stack_used "$out")"
stack_reserved="$(field memory stack_reserved "$out")"
acc0="$(field result acc "$before_out")"; acc="$(field result acc "$out")"
if [ $status = 0 ] && [ -n "$planned" ]; then
  used=$((data + bss + planned + stack_used))
  if [ $used -le 16384 ] && [ "$stack_used" -lt "$stack_reserved" ]; then
    pass "micro:bit 16 KB: static data $((data + bss)) + arena plan $planned + stack $stack_used (of $stack_reserved) = $used B; flash $((text + data)) B of 256 KB"
  else
    echo "$out"; fail "micro:bit 16 KB: used $used B, stack $stack_used of $stack_reserved"
  fi
  # Instructions per training sample: the phases of the counted windows (total also holds the
  # evaluation outside them).
  per_sample=$(( ($(field insns forward "$out") + $(field insns selection "$out") + $(field insns backward "$out") +
                  $(field insns update "$out") + $(field insns other "$out")) / $(field insns windows "$out") ))
  if [ "$(field result checksum "$out")" = "$(field result checksum "$host_out")" ] &&
     awk -v a="$acc" -v b="$acc0" 'BEGIN { exit !(a > b) }'; then
    pass "micro:bit fine-tuned with tinyprop: accuracy $acc0% -> $acc% on 1000 test images (same bits as the host), $per_sample instructions per training sample"
  else
    echo "$before_out"; echo "$out"; echo "$host_out"
    fail "micro:bit fine-tuning: accuracy $acc0% -> $acc%, checksum $(field result checksum "$out") vs host $(field result checksum "$host_out")"
  fi
else
  echo "$out"; fail "fine-tuning on the micro:bit: status $status"
fi
# The first layer frozen, its weights read from flash in place: only the head's parameters are
# in RAM, and the weights are still the host's.
frozen_out="$("$RUN" microbit "$MICRO_FW" --method tinyprop --freeze 1 "${MICRO_ARGS[@]}")"
status=$?
frozen_host="$("$BUILD/host/mcu_finetune_host_microci" --method tinyprop --freeze 1 "${MICRO_ARGS[@]}")"
p_all="$(field plan parameters "$out")"; p_frozen="$(field plan parameters "$frozen_out")"
if [ $status = 0 ] && [ -n "$p_frozen" ] && [ "$p_frozen" -lt "$p_all" ] &&
   [ "$(field result checksum "$frozen_out")" = "$(field result checksum "$frozen_host")" ] &&
   [ "$(field result checksum "$frozen_out")" != "$(field result checksum "$out")" ]; then
  pass "micro:bit --freeze 1: first layer read from flash, parameters in RAM $p_frozen B instead of $p_all B, accuracy $(field result acc "$frozen_out")%, same bits as the host"
else
  echo "$frozen_out"; echo "$frozen_host"; fail "micro:bit --freeze 1: status $status, parameters $p_frozen vs $p_all"
fi

# ---- fine-tuning within 128 KB -----------------------------------------------------------
echo "== fine-tuning 784-32-16-10 with SGD on netduinoplus2 (128 KB RAM)"
out="$("$RUN" netduinoplus2 "$(fw netduinoplus2 ci)" --method tinyprop --lr 0.001 --train "${STREAM[@]}" --test "${TEST[@]}" --test-count 1000)"
status=$?
host_out="$("$HOST" --method tinyprop --lr 0.001 --train "${STREAM[@]}" --test "${TEST[@]}" --test-count 1000)"
# The static data in RAM: the sections placed at 0x20000000 and above (.data, .bss). The
# Berkeley "data" of arm-none-eabi-size also counts .init_array, which stays in flash.
ram_static="$(arm-none-eabi-size -A "$(fw netduinoplus2 ci)" | awk '$3 >= 536870912 { s += $2 } END { print s + 0 }')"
planned="$(field memory planned "$out")"; stack_used="$(field memory stack_used "$out")"
stack_reserved="$(field memory stack_reserved "$out")"; spare="$(field memory spare "$out")"
acc="$(field result acc "$out")"
if [ $status = 0 ] && [ -n "$planned" ]; then
  # Added up independently of the firmware; the arena starts on a 16-byte boundary after .bss,
  # so up to 15 bytes of padding are unused but not spare.
  used=$((ram_static + planned + stack_used))
  padding=$((131072 - used - spare))
  if [ $used -le 131072 ] && [ "$stack_used" -lt "$stack_reserved" ] &&
     [ $padding -ge 0 ] && [ $padding -lt 16 ]; then
    pass "128 KB: static data $ram_static + arena plan $planned + stack $stack_used = $used B, spare $spare B ($((spare * 100 / 131072))%)"
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
# The MACs actually done (exact-zero inputs skipped) beside the dense counts: present, nonzero
# and never more than counted, for both methods.
ok_done=1
for out in "$full" "$tiny"; do
  for p in forward backward; do
    done_macs="$(field counters "${p}_macs_done" "$out")"; counted="$(field counters "${p}_macs" "$out")"
    { [ -n "$done_macs" ] && [ "$done_macs" -gt 0 ] && [ "$done_macs" -le "$counted" ]; } || ok_done=0
  done
done
if [ $ok_done = 1 ]; then
  pass "counters: MACs done <= MACs counted (forward $(field counters forward_macs_done "$tiny") of $(field counters forward_macs "$tiny"), backward $(field counters backward_macs_done "$tiny") of $(field counters backward_macs "$tiny"), tinyprop)"
else
  echo "$full"; echo "$tiny"; fail "counters: MACs done missing, zero or above the dense count"
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
# The default budget b = 0.1 is the mean step's; a step may take up to 2b (docs/ALGORITHM.md), so
# the worst case the trainer gives must be at most 20% of full's, and no step may exceed it.
if [ -n "$most_b" ] && [ "$most_b" -le "$worst_b" ] && [ "$worst_b" -le $(( full_b / 5 )) ]; then
  pass "budget: every step <= $worst_b backward MACs (most $most_b; at most 20% of full's $full_b)"
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
echo "== Helium kernels on mps3-an547 (Cortex-M55): same bits as the scalar reference"
if out="$("$REPO/tests/mcu/helium/run.sh" "$BUILD/helium" 2>&1)"; then
  pass "$(tail -1 <<<"$out")"
else
  echo "$out" | tail -5; fail "Helium kernels on the Cortex-M55"
fi

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
