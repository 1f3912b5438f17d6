#!/usr/bin/env bash
# The library used as an outside project would use it (ctest runs this as `consumer`):
#  1. the core alone configured, built and installed into a fresh prefix;
#  2. tests/consumer built against it with find_package, its C and C++ programs run;
#  3. a C program built with pkg-config against the same prefix;
#  4. tests/consumer built with add_subdirectory(<this repository>): only the core is built, and
#     nothing is added to the consumer's ctest;
#  5. both builds compile the README's C++ example with -Werror (target readme_snippet).
# The programs fine-tune small models and fail unless accuracy rises (consumer.c, consumer.cpp);
# the model exported by tests/consumer/make-model.sh gives them the frozen-CNN part.
#
#   tests/consumer/run-consumer-tests.sh TINYPROP_CLI WORK_DIR
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$REPO/tests/consumer"
cli="$1"; work="$2"
rm -rf "$work/prefix" "$work/core" "$work/package" "$work/subdir" "$work/pkgconfig"
mkdir -p "$work"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi
failed=0
step() { echo "== $*"; }
fail() { echo "FAIL $*"; failed=1; }
# timed LABEL COMMAND...: runs the command quietly (its output on failure) and prints the seconds.
timed() {
  local label="$1"; shift
  local start end
  start=$(date +%s.%N)
  if "$@" >"$work/last.log" 2>&1; then
    end=$(date +%s.%N)
    awk -v l="$label" -v a="$start" -v b="$end" 'BEGIN { printf "   %-48s %6.1f s\n", l, b - a }'
  else
    cat "$work/last.log"; fail "$label"; return 1
  fi
}
run_programs() {  # build dir
  for p in consumer_c consumer_cpp; do
    if "$1/$p" >"$work/$p.log" 2>&1; then
      grep -E '^(mlp|frozen_cnn)' "$work/$p.log" | sed "s/^/   $p: /"
    else
      cat "$work/$p.log"; fail "$p in $1"
    fi
  done
  # CMake must link the C program with the C driver (no libstdc++ on bare-metal toolchains).
  if [ -f "$1/build.ninja" ] && ! grep -q '^build consumer_c: C_EXECUTABLE_LINKER' "$1/build.ninja"; then
    fail "consumer_c in $1 is not linked with the C driver"
  fi
}

step "exported model (tinyprop export --freeze 3)"
"$HERE/make-model.sh" "$cli" "$work/model"
model=(-DCONSUMER_MODEL_HEADER="$work/model/frozen_cnn.h")

step "1. install the core into a fresh prefix"
timed "configure (TINYPROP_HOST=OFF)" cmake -S "$REPO" -B "$work/core" "${gen[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DTINYPROP_HOST=OFF -DCMAKE_INSTALL_PREFIX="$work/prefix"
timed "build" cmake --build "$work/core" -j2
timed "install" cmake --install "$work/core"
for f in include/tinyprop/tinyprop.h include/tinyprop/tinyprop_c.h lib/libtinyprop_core.a \
         lib/cmake/tinyprop/tinypropConfig.cmake lib/cmake/tinyprop/tinypropConfigVersion.cmake \
         lib/pkgconfig/tinyprop.pc; do
  [ -f "$work/prefix/$f" ] || fail "install: $f missing"
done

step "2. find_package(tinyprop) from the prefix"
timed "configure" cmake -S "$HERE" -B "$work/package" "${gen[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" "${model[@]}"
timed "build (consumer_c, consumer_cpp, readme_snippet)" cmake --build "$work/package" -j2
run_programs "$work/package"

step "3. pkg-config"
mkdir -p "$work/pkgconfig"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
timed "cc consumer.c \$(pkg-config --cflags --libs tinyprop)" ${CC:-cc} -std=c99 -O2 -Werror -Wall \
  -o "$work/pkgconfig/consumer_c" "$HERE/consumer.c" "$HERE/consumer_io_host.c" \
  $(pkg-config --cflags --libs tinyprop)
if "$work/pkgconfig/consumer_c" >"$work/pkgconfig.log" 2>&1; then
  echo "   consumer_c (pkg-config): ok"
else
  cat "$work/pkgconfig.log"; fail "consumer_c built with pkg-config"
fi

step "4. add_subdirectory(tinyprop)"
timed "configure" cmake -S "$HERE" -B "$work/subdir" "${gen[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCONSUMER_TINYPROP_SOURCE="$REPO" "${model[@]}"
timed "build the core alone (target tinyprop::core)" cmake --build "$work/subdir" -j2 --target tinyprop_core
timed "build the rest" cmake --build "$work/subdir" -j2
run_programs "$work/subdir"
# Only the core: no tool, test or benchmark target exists, and the consumer's ctest is empty.
if [ -e "$work/subdir/tinyprop/tinyprop" ] || [ -d "$work/subdir/tinyprop/tests" ] ||
   [ -d "$work/subdir/tinyprop/bench" ]; then
  fail "add_subdirectory built host parts: $(ls "$work/subdir/tinyprop")"
fi
tests_added="$(cd "$work/subdir" && ctest -N | awk '/Total Tests:/ {print $3}')"
if [ "$tests_added" = 0 ]; then
  echo "   the consumer's ctest has 0 tests"
else
  fail "add_subdirectory added $tests_added tests to the consumer's ctest"
fi

[ $failed = 0 ] && echo "consumer tests: ok" || echo "consumer tests: FAILED"
exit $failed
