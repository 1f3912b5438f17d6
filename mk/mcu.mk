# Microcontroller targets (docs/MCU.md). Included by the top Makefile.
#   make mcu       builds the firmware, fine-tunes with every method on every QEMU target,
#                  writes docs/RESULTS_MCU.md (about 15 minutes on 2 busy cores)
#   make test-mcu  the on-target tests (tests/mcu/run-tests.sh, a few minutes)
# Both install what is missing first: the ARM toolchain, QEMU, the host build tools
# (scripts/install-deps.sh) and MNIST (scripts/get-data.sh, idempotent).
.PHONY: mcu test-mcu mcu-deps

mcu-deps:
	@scripts/install-deps.sh build cli mcu
	@scripts/get-data.sh

mcu: mcu-deps
	scripts/mcu-results.py --configs small large cores mlp16 cnn micro

test-mcu: mcu-deps
	tests/mcu/run-tests.sh
