# Fuzzing the host parsers with libFuzzer (docs/RELIABILITY.md). Included by the top Makefile.
#   make fuzz                          every target for FUZZ_SECONDS (default 60) each, one at a
#                                      time, then a table of executions and crashes per target
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="csv tpm"
# Builds with clang in its own tree (build/fuzz): the libraries with
# -fsanitize=fuzzer-no-link,address,undefined, the targets linked with -fsanitize=fuzzer.
# Fails if any target crashed or violated a property. The corpus replay of `make test` needs
# none of this (tests/fuzz/CMakeLists.txt).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= idx idx_gz cifar csv wav tpm spec_text checkpoint onnx
FUZZ_BUILD ?= build/fuzz
FUZZ_FLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.PHONY: fuzz fuzz-build

fuzz-build:
	@scripts/install-deps.sh build cli fuzz
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTINYPROP_FUZZ=ON -DTINYPROP_WERROR=OFF \
	  -DCMAKE_C_FLAGS="$(FUZZ_FLAGS)" -DCMAKE_CXX_FLAGS="$(FUZZ_FLAGS)" >/dev/null
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets

fuzz: fuzz-build
	scripts/run-fuzz.sh --build $(FUZZ_BUILD) --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)
