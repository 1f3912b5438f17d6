# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Both install missing dependencies first (scripts/install-deps.sh is idempotent).
JOBS ?= $(shell nproc)

.PHONY: all deps build test test-release test-asan demo bench clean

all: build

deps:
	@scripts/install-deps.sh build cli

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

test-release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)
	ctest --preset release -j $(JOBS)

test-asan: deps
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
	scripts/run-benchmarks.sh

# Further targets (mcu, results, ...) live in mk/*.mk.
-include mk/*.mk

clean:
	rm -rf build
