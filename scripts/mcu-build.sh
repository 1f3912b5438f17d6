#!/usr/bin/env bash
# Builds what the MCU runs need, for the named configurations (scripts/mcu-configs.sh):
#   1. the instruction-counting QEMU plugin (tools/qemu-plugin), with the host C compiler;
#   2. mcu_prepare (host), then per configuration the pretrained model, its exported C header
#      and the fine-tuning stream (build/mcu/data/<config>/; redone only when its inputs change);
#   3. the firmware of every configuration for every target it runs on (a board, or a board with
#      a build without its FPU: scripts/mcu-configs.sh)
#      (build/mcu/fw-<target>/mcu_finetune_<config>.elf), and the same code built for the host
#      (build/mcu/host/mcu_finetune_host_<config>).
#
#   scripts/mcu-build.sh [config ...]      default: small large
# Environment: MCU_DATA (MNIST IDX directory, default $TINYPROP_DATA_DIR/mnist or data/mnist).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
source "$REPO/scripts/mcu-configs.sh"
BUILD="$REPO/build/mcu"  # the binaryDir of the presets in examples/mcu_finetune
DATA="${MCU_DATA:-${TINYPROP_DATA_DIR:-$REPO/data}/mnist}"
APP="$REPO/examples/mcu_finetune"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(small large)

log() { echo "mcu-build: $*" >&2; }

for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "$DATA/$f" ] || { log "missing $DATA/$f (run scripts/get-data.sh)"; exit 1; }
done

# 1. plugin
mkdir -p "$BUILD/plugin"
PLUGIN="$BUILD/plugin/libinsn_phases.so"
if [ ! -f "$PLUGIN" ] || [ "$REPO/tools/qemu-plugin/insn_phases.c" -nt "$PLUGIN" ] ||
   [ "$REPO/tools/qemu-plugin/qemu_plugin_api.h" -nt "$PLUGIN" ]; then
  log "plugin"
  ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -Werror -o "$PLUGIN" "$REPO/tools/qemu-plugin/insn_phases.c"
fi

# 2. host: mcu_prepare, then the data of every configuration
cmake_quiet() { cmake "$@" >"$BUILD/cmake.log" 2>&1 || { cat "$BUILD/cmake.log" >&2; return 1; }; }
log "host tools"
cmake_quiet -S "$APP" --preset host -DMCU_MODELS=
cmake_quiet --build "$BUILD/host" --target mcu_prepare
models=()
declare -A board_models=()
for c in "${configs[@]}"; do
  mcu_config "$c"
  out="$BUILD/data/$c"
  args="--arch $ARCH --pretrain $PRETRAIN --finetune $FINETUNE --epochs $EPOCHS --seed $SEED --pool $POOL --classes $CLASSES"
  if [ ! -f "$out/model.h" ] || [ "$(cat "$out/prepare.args" 2>/dev/null)" != "$args" ] ||
     [ "$BUILD/host/mcu_prepare" -nt "$out/model.h" ]; then
    log "prepare $c: $args"
    mkdir -p "$out"
    # shellcheck disable=SC2086
    "$BUILD/host/mcu_prepare" $args --data "$DATA" --out "$out" >"$out/prepare.log"
    echo "$args" >"$out/prepare.args"
  fi
  models+=("$c=$out/model.h")
  for b in $BOARDS; do board_models[$b]="${board_models[$b]:-}${board_models[$b]:+;}$c=$out/model.h"; done
done

# 3. host build of the firmware code, then the firmware per board
log "host build of the firmware code (${configs[*]})"
cmake_quiet -S "$APP" --preset host "-DMCU_MODELS=$(IFS=';'; echo "${models[*]}")"
cmake_quiet --build "$BUILD/host"
for b in "${!board_models[@]}"; do
  log "firmware for $b ($(mcu_board_cpu "$b"))"
  cmake_quiet -S "$APP" --preset "$(mcu_board_preset "$b")" "-DMCU_MODELS=${board_models[$b]}"
  cmake_quiet --build "$BUILD/fw-$b"
done
log "done: $BUILD"
