# CMake toolchain file: bare-metal Cortex-M with Debian's arm-none-eabi-gcc and newlib.
#
#   cmake -S <project> -B <build> -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
#         -DTINYPROP_ARM_CPU=cortex-m33 [-DTINYPROP_ARM_FPU=none]
#
# TINYPROP_ARM_CPU: the core. TINYPROP_ARM_FPU: auto (the core's usual FPU), none (soft float),
# sp (single precision) or dp (double precision); only the combinations a core can have:
#
#   core                       auto means   also allowed   architecture    newlib multilib
#   cortex-m0, cortex-m0plus   none         -              ARMv6-M         thumb/v6-m/nofp
#   cortex-m3                  none         -              ARMv7-M         thumb/v7-m/nofp
#   cortex-m4                  sp (M4F)     none           ARMv7E-M        v7e-m+fp/hard, v7e-m/nofp
#   cortex-m7                  dp           sp, none       ARMv7E-M        v7e-m+dp/hard, +fp/hard
#   cortex-m33                 sp           none           ARMv8-M main    v8-m.main+fp/hard, /nofp
#   cortex-m55                 dp (+ MVE)   -              ARMv8.1-M main  v8-m.main+dp/hard
#
# With an FPU the hard-float ABI is used (-mfloat-abi=hard), without one the soft-float ABI and
# libgcc's IEEE soft-float routines, which round exactly like an FPU (round to nearest, subnormals
# kept): the same bits on every core. gcc picks the newlib multilib from these flags
# (`arm-none-eabi-gcc <flags> -print-multi-directory` prints the one in use).
#
# C++ is compiled without exceptions, RTTI or thread-safe statics, and linked with the C driver
# (arm-none-eabi-gcc): the code uses no part of libstdc++ that needs the library (Debian's
# toolchain ships none). -ffp-contract=off everywhere: no fused multiply-add contraction, so the
# target rounds exactly like the host build.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYPROP_ARM_CPU "cortex-m4" CACHE STRING
    "Target core: cortex-m0, cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55")
set_property(CACHE TINYPROP_ARM_CPU PROPERTY STRINGS
             cortex-m0 cortex-m0plus cortex-m3 cortex-m4 cortex-m7 cortex-m33 cortex-m55)
set(TINYPROP_ARM_FPU "auto" CACHE STRING "FPU: auto (the core's usual one), none, sp or dp")
set_property(CACHE TINYPROP_ARM_FPU PROPERTY STRINGS auto none sp dp)

# Per core: the FPU `auto` stands for, then the -mfpu of each FPU it may have ("-" = not allowed).
#                   auto  sp              dp
set(_tp_m0     none  -               -)
set(_tp_m0plus none  -               -)
set(_tp_m3     none  -               -)
set(_tp_m4     sp    fpv4-sp-d16     -)
set(_tp_m7     dp    fpv5-sp-d16     fpv5-d16)
set(_tp_m33    sp    fpv5-sp-d16     -)
set(_tp_m55    dp    -               auto)
string(REGEX REPLACE "^cortex-" "_tp_" _tp_row "${TINYPROP_ARM_CPU}")
if(NOT DEFINED ${_tp_row})
  message(FATAL_ERROR "TINYPROP_ARM_CPU must be one of cortex-m0, cortex-m0plus, cortex-m3, "
                      "cortex-m4, cortex-m7, cortex-m33, cortex-m55, not '${TINYPROP_ARM_CPU}'")
endif()
list(GET ${_tp_row} 0 _tp_fpu_auto)
set(TINYPROP_ARM_FPU_USED "${TINYPROP_ARM_FPU}")
if(TINYPROP_ARM_FPU_USED STREQUAL "auto")
  set(TINYPROP_ARM_FPU_USED "${_tp_fpu_auto}")
endif()
if(TINYPROP_ARM_FPU_USED STREQUAL "none")
  # An FPU-less M55 would also drop MVE's integer half; not offered (no such board to test on).
  if(TINYPROP_ARM_CPU STREQUAL "cortex-m55")
    message(FATAL_ERROR "TINYPROP_ARM_FPU=none is not supported for cortex-m55")
  endif()
  set(_tp_cpu "${TINYPROP_ARM_CPU}")
  if(NOT _tp_fpu_auto STREQUAL "none")
    string(APPEND _tp_cpu "+nofp")  # the same core without its FPU (gcc's architecture extension)
  endif()
  set(_tp_cpu_flags "-mcpu=${_tp_cpu} -mthumb -mfloat-abi=soft")
elseif(TINYPROP_ARM_FPU_USED STREQUAL "sp" OR TINYPROP_ARM_FPU_USED STREQUAL "dp")
  if(TINYPROP_ARM_FPU_USED STREQUAL "sp")
    list(GET ${_tp_row} 1 _tp_mfpu)
  else()
    list(GET ${_tp_row} 2 _tp_mfpu)
  endif()
  if(_tp_mfpu STREQUAL "-")
    message(FATAL_ERROR "${TINYPROP_ARM_CPU} has no '${TINYPROP_ARM_FPU_USED}' FPU "
                        "(TINYPROP_ARM_FPU: auto = ${_tp_fpu_auto}, or none)")
  endif()
  set(_tp_cpu_flags "-mcpu=${TINYPROP_ARM_CPU} -mthumb -mfpu=${_tp_mfpu} -mfloat-abi=hard")
else()
  message(FATAL_ERROR "TINYPROP_ARM_FPU must be auto, none, sp or dp, not '${TINYPROP_ARM_FPU}'")
endif()

find_program(CMAKE_C_COMPILER arm-none-eabi-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER arm-none-eabi-g++ REQUIRED)
find_program(CMAKE_ASM_COMPILER arm-none-eabi-gcc REQUIRED)
find_program(CMAKE_OBJCOPY arm-none-eabi-objcopy)
find_program(CMAKE_SIZE arm-none-eabi-size)
find_program(TINYPROP_ARM_NM arm-none-eabi-nm)

# The compiler checks (try_compile) read this file again: they must see the same core.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYPROP_ARM_CPU TINYPROP_ARM_FPU)
# The compiler checks must not try to link a hosted program.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_tp_common "${_tp_cpu_flags} -ffp-contract=off -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_tp_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_tp_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics -fno-use-cxa-atexit")
set(CMAKE_ASM_FLAGS_INIT "${_tp_cpu_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_tp_cpu_flags} -Wl,--gc-sections")

# Link C++ programs with the C driver: g++ would add -lstdc++, which is not installed.
set(CMAKE_CXX_LINK_EXECUTABLE
    "<CMAKE_C_COMPILER> <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
