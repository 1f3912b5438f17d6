# The core library: freestanding-friendly C++17, no exceptions, no RTTI, no heap, and its C API
# (src/capi, include/tinyprop/tinyprop_c.h). Included by the top-level CMakeLists.txt.
#
#   tinyprop_core   the static library; in-repo targets link it (tests also see src/)
#   tinyprop::core  what a consumer links (an alias in the build tree, the exported target in an
#                   install tree): the public headers, C++17 and -ffp-contract=off as usage
#                   requirements, libm, and no C++ runtime, so a C program links it with the C
#                   driver (the core references nothing of libstdc++).
# Compile-time options (include/tinyprop/config.h): usage requirements, so that the library and
# every program that includes its headers agree on the sizes of its objects.
set(TINYPROP_MAX_LAYERS 24 CACHE STRING
    "Layers of one model, activations included (1..255): sizes ModelSpec, Model, Trainer, counters")
if(NOT TINYPROP_MAX_LAYERS MATCHES "^[0-9]+$" OR TINYPROP_MAX_LAYERS LESS 1 OR
   TINYPROP_MAX_LAYERS GREATER 255)
  message(FATAL_ERROR "TINYPROP_MAX_LAYERS must be a number from 1 to 255, not '${TINYPROP_MAX_LAYERS}'")
endif()
option(TINYPROP_WITH_CONV "Link the convolution layers (Conv2D, depthwise)" ON)
option(TINYPROP_WITH_POOL "Link the pooling layers (max, average, global average)" ON)
set(TINYPROP_CONFIG_DEFINITIONS TINYPROP_MAX_LAYERS=${TINYPROP_MAX_LAYERS}
    TINYPROP_WITH_CONV=$<BOOL:${TINYPROP_WITH_CONV}> TINYPROP_WITH_POOL=$<BOOL:${TINYPROP_WITH_POOL}>)
# The same for pkg-config's Cflags (no generator expressions there).
set(TINYPROP_CONFIG_CFLAGS "-DTINYPROP_MAX_LAYERS=${TINYPROP_MAX_LAYERS}")
foreach(_tp_kind CONV POOL)
  if(TINYPROP_WITH_${_tp_kind})
    string(APPEND TINYPROP_CONFIG_CFLAGS " -DTINYPROP_WITH_${_tp_kind}=1")
  else()
    string(APPEND TINYPROP_CONFIG_CFLAGS " -DTINYPROP_WITH_${_tp_kind}=0")
  endif()
endforeach()

file(GLOB TINYPROP_CORE_SOURCES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/src/core/*.cpp
  ${PROJECT_SOURCE_DIR}/src/layers/*.cpp
  ${PROJECT_SOURCE_DIR}/src/kernels/*.cpp
  ${PROJECT_SOURCE_DIR}/src/sparsity/*.cpp
  ${PROJECT_SOURCE_DIR}/src/optim/*.cpp
  ${PROJECT_SOURCE_DIR}/src/storage/*.cpp
  ${PROJECT_SOURCE_DIR}/src/capi/*.cpp)
add_library(tinyprop_core STATIC ${TINYPROP_CORE_SOURCES})
set_target_properties(tinyprop_core PROPERTIES EXPORT_NAME core)

# -ffp-contract=off: no fused multiply-add contraction, so host and Cortex-M builds round the same
# way and produce the same bits. It is a usage requirement too: code that computes alongside the
# library (references, checks) rounds as the library does.
set(TINYPROP_FP_FLAGS
  $<$<COMPILE_LANG_AND_ID:C,GNU,Clang,AppleClang>:-ffp-contract=off>
  $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang,AppleClang>:-ffp-contract=off>)

# Usage requirements shared by the library and the build tree's tinyprop::core.
function(tinyprop_core_usage target scope)
  target_include_directories(${target} ${scope}
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} ${scope} cxx_std_17)
  target_compile_options(${target} ${scope} ${TINYPROP_FP_FLAGS})
  target_compile_definitions(${target} ${scope} ${TINYPROP_CONFIG_DEFINITIONS})
endfunction()

tinyprop_core_usage(tinyprop_core PUBLIC)
target_include_directories(tinyprop_core PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_options(tinyprop_core PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti>
  -Wall -Wextra -Wshadow -Wconversion -Wdouble-promotion -Wpedantic
  $<$<BOOL:${TINYPROP_WERROR}>:-Werror>)
target_link_libraries(tinyprop_core PUBLIC m)  # expf, logf, sqrtf, tanhf from the C library

# CMake links an executable with the C++ driver as soon as a static library of C++ sources is in
# its link closure, and the C++ driver adds -lstdc++, which bare-metal toolchains often lack. The
# build tree's tinyprop::core therefore hands the archive over as a file (no language attached);
# the dependency makes consumers build it first.
add_library(tinyprop_core_link INTERFACE)
tinyprop_core_usage(tinyprop_core_link INTERFACE)
target_link_libraries(tinyprop_core_link INTERFACE $<TARGET_FILE:tinyprop_core> m)
add_dependencies(tinyprop_core_link tinyprop_core)
add_library(tinyprop::core ALIAS tinyprop_core_link)
