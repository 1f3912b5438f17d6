# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Both install missing dependencies first (scripts/install-deps.sh is idempotent).
JOBS ?= $(shell nproc)

.PHONY: all deps test-deps build test test-release test-asan demo bench clean

all: build

deps:
	@scripts/install-deps.sh build cli

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

# Everything any test needs (plots, datasets, the ARM toolchain and QEMU, torch for the Python
# package's conversion tests), installed up front so
# that `make test` runs every test: with TINYPROP_REQUIRE_ALL=1 a test whose dependency is missing
# fails instead of skipping (tests/missing_dependency.h).
test-deps:
	@scripts/install-deps.sh build cli plot data mcu refgen

test-release test-asan: export TINYPROP_REQUIRE_ALL := 1

test-release: test-deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS)

test-asan: test-deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

# test-mcu (mk/mcu.mk): firmware built for Cortex-M and run under QEMU.
test: test-release test-asan test-mcu

# The main job: the MNIST comparison of every method (docs/SCENARIOS.md, about 5-10 minutes).
demo: build
	@scripts/install-deps.sh plot
	@scripts/get-data.sh
	./build/release/tinyprop compare --scenario mnist-mlp

bench: build
	@scripts/install-deps.sh refgen
	scripts/run-benchmarks.sh

# Further targets (mcu, results, ...) live in mk/*.mk.
-include mk/*.mk

clean:
	rm -rf build
