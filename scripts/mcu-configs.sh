# Configurations of the MCU fine-tuning runs (sourced by scripts/mcu-*.sh and tests/mcu).
#   mcu_config NAME  sets ARCH, PRETRAIN, FINETUNE, EPOCHS, SEED, POOL, CLASSES, TEST_COUNT and
#                    BOARDS (firmware targets, see below), or fails.
# PRETRAIN samples of a seeded shuffle of the MNIST training set pretrain the MLP on the host
# (Adam 1e-3, batch 32, EPOCHS epochs); the next FINETUNE samples are the device's fine-tuning
# stream; the MNIST test images (the first TEST_COUNT) are the test set. POOL > 1 averages
# POOL x POOL pixel blocks (7 x 7 inputs for POOL=4, 4 x 4 for POOL=7), CLASSES < 10 keeps only
# the digits 0 .. CLASSES-1 (examples/mcu_finetune/prepare.cpp).
mcu_config() {
  SEED=1; POOL=1; CLASSES=10; TEST_COUNT=10000
  case "$1" in
    small)    ARCH=784-32-16-10;  PRETRAIN=10000; FINETUNE=10000; EPOCHS=5
              BOARDS="netduinoplus2 mps2-an386" ;;      # the 128 KB configuration
    large)    ARCH=784-128-64-10; PRETRAIN=10000; FINETUNE=10000; EPOCHS=5
              BOARDS="mps2-an386" ;;                    # 437 KB of weights: the 4 MiB board
    cores)    ARCH=784-32-16-10;  PRETRAIN=10000; FINETUNE=500;   EPOCHS=5; TEST_COUNT=1000
              BOARDS="mps2-an385 mps2-an386 mps2-an386-nofp mps2-an500 mps2-an500-sp mps2-an505 mps2-an505-nofp mps3-an547" ;;
    mlp16)    ARCH=16-32-16-4;    PRETRAIN=10000; FINETUNE=2000;  EPOCHS=5; POOL=7; CLASSES=4
              BOARDS="$MCU_ALL_TARGETS" ;;              # a small MLP on every core
    cnn)      ARCH=cnn:28x28x1-c8k3-p2-c16k3-p2-d10; PRETRAIN=10000; FINETUNE=500; EPOCHS=5; TEST_COUNT=1000
              BOARDS="mps2-an386 mps3-an547" ;;         # convolutions (127 KB arena: 4 MiB boards)
    micro)    ARCH=49-16-10;      PRETRAIN=10000; FINETUNE=2000;  EPOCHS=5; POOL=4; TEST_COUNT=2000
              BOARDS="microbit" ;;                      # 16 KB of RAM, no FPU
    ci)       ARCH=784-32-16-10;  PRETRAIN=2000;  FINETUNE=1000;  EPOCHS=2
              BOARDS="netduinoplus2 mps2-an386 mps2-an500 mps2-an385 mps2-an386-nofp mps2-an500-sp mps2-an505 mps2-an505-nofp mps3-an547" ;;
    microci)  ARCH=49-16-10;      PRETRAIN=2000;  FINETUNE=300;   EPOCHS=5; POOL=4; TEST_COUNT=1000
              BOARDS="microbit" ;;                      # quick, for tests/mcu
    cnnci)    ARCH=cnn:28x28x1-c8k3-p2-c16k3-p2-d10; PRETRAIN=2000; FINETUNE=300; EPOCHS=1
              BOARDS="mps2-an386 mps3-an547" ;;         # quick, for tests/mcu
    toolarge) ARCH=784-128-64-10; PRETRAIN=100;   FINETUNE=100;   EPOCHS=0
              BOARDS="netduinoplus2" ;;                 # must not fit 128 KB (a test)
    *) echo "mcu_config: unknown configuration '$1' (small large cores mlp16 cnn micro ci microci cnnci toolarge)" >&2; return 1 ;;
  esac
}

# Firmware targets: a QEMU board, optionally with a suffix for a build without the core's usual
# FPU (-nofp: soft float; -sp: the M7's single-precision FPU). The firmware of target T is
# build/mcu/fw-T/, configured by the preset of the same name (examples/mcu_finetune/CMakePresets.json).
MCU_ALL_TARGETS="microbit mps2-an385 mps2-an386 mps2-an386-nofp netduinoplus2 mps2-an500 mps2-an500-sp mps2-an505 mps2-an505-nofp mps3-an547"

# The QEMU machine of a target.
mcu_target_board() {
  case "$1" in
    *-nofp) echo "${1%-nofp}" ;;
    *-sp) echo "${1%-sp}" ;;
    *) echo "$1" ;;
  esac
}

# The core and FPU a target's firmware is built for (as named in its docs/MCU.md table).
mcu_board_cpu() {
  case "$1" in
    microbit) echo "cortex-m0" ;;
    mps2-an385) echo "cortex-m3" ;;
    mps2-an386|netduinoplus2) echo "cortex-m4f" ;;
    mps2-an386-nofp) echo "cortex-m4, soft float" ;;
    mps2-an500) echo "cortex-m7, DP FPU" ;;
    mps2-an500-sp) echo "cortex-m7, SP FPU" ;;
    mps2-an505) echo "cortex-m33, FPU" ;;
    mps2-an505-nofp) echo "cortex-m33, soft float" ;;
    mps3-an547) echo "cortex-m55, FPU + MVE" ;;
    *) echo "mcu_board_cpu: unknown target '$1'" >&2; return 1 ;;
  esac
}

# The configure preset of a target (examples/mcu_finetune/CMakePresets.json).
mcu_board_preset() {
  case " $MCU_ALL_TARGETS " in
    *" $1 "*) echo "$1" ;;
    *) echo "mcu_board_preset: unknown target '$1'" >&2; return 1 ;;
  esac
}

# Bytes of RAM of a target's board (its link script).
mcu_board_ram() {
  case "$(mcu_target_board "$1")" in
    microbit) echo $((16 * 1024)) ;;
    netduinoplus2) echo $((128 * 1024)) ;;
    *) echo $((4 * 1024 * 1024)) ;;
  esac
}
