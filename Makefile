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

demo: build
	./build/release/examples/finetune_demo

bench: build
	scripts/run-benchmarks.sh

# Further targets (mcu, results, ...) live in mk/*.mk.
-include mk/*.mk

clean:
	rm -rf build
