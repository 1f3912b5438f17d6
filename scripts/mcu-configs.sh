# Configurations of the MCU fine-tuning runs (sourced by scripts/mcu-*.sh and tests/mcu).
#   mcu_config NAME  sets ARCH, PRETRAIN, FINETUNE, EPOCHS, SEED and BOARDS, or fails.
# PRETRAIN samples of a seeded shuffle of the MNIST training set pretrain the MLP on the host
# (Adam 1e-3, batch 32, EPOCHS epochs); the next FINETUNE samples are the device's fine-tuning
# stream; the 10,000 MNIST test images are the test set.
mcu_config() {
  SEED=1
  case "$1" in
    small)    ARCH=784-32-16-10;  PRETRAIN=10000; FINETUNE=10000; EPOCHS=5
              BOARDS="netduinoplus2 mps2-an386" ;;      # the 128 KB configuration
    large)    ARCH=784-128-64-10; PRETRAIN=10000; FINETUNE=10000; EPOCHS=5
              BOARDS="mps2-an386" ;;                    # 437 KB of weights: the 4 MiB board
    ci)       ARCH=784-32-16-10;  PRETRAIN=2000;  FINETUNE=1000;  EPOCHS=2
              BOARDS="netduinoplus2 mps2-an386 mps2-an500" ;;  # quick, for tests/mcu
    toolarge) ARCH=784-128-64-10; PRETRAIN=100;   FINETUNE=100;   EPOCHS=0
              BOARDS="netduinoplus2" ;;                 # must not fit 128 KB (a test)
    *) echo "mcu_config: unknown configuration '$1' (small large ci toolarge)" >&2; return 1 ;;
  esac
}

# The CPU of a QEMU board.
mcu_board_cpu() {
  case "$1" in
    mps2-an386|netduinoplus2) echo cortex-m4 ;;
    mps2-an500) echo cortex-m7 ;;
    *) echo "mcu_board_cpu: unknown board '$1'" >&2; return 1 ;;
  esac
}

# The configure preset of a board (examples/mcu_finetune/CMakePresets.json).
mcu_board_preset() {
  case "$1" in
    mps2-an386) echo cortex-m4f-mps2-an386 ;;
    netduinoplus2) echo cortex-m4f-netduinoplus2 ;;
    mps2-an500) echo cortex-m7-mps2-an500 ;;
    *) echo "mcu_board_preset: unknown board '$1'" >&2; return 1 ;;
  esac
}
