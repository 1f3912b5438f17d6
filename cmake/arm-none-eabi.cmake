# CMake toolchain file: bare-metal Cortex-M with Debian's arm-none-eabi-gcc and newlib.
#
#   cmake -S <project> -B <build> -DCMAKE_TOOLCHAIN_FILE=cmake/arm-none-eabi.cmake \
#         -DTINYPROP_ARM_CPU=cortex-m4        # or cortex-m7
#
# cortex-m4: Cortex-M4F, single-precision FPU (fpv4-sp-d16), hard-float ABI.
# cortex-m7: Cortex-M7 with the double-precision FPU (fpv5-d16), hard-float ABI.
#
# C++ is compiled without exceptions, RTTI or thread-safe statics, and linked with the C driver
# (arm-none-eabi-gcc): the code uses no part of libstdc++ that needs the library (Debian's
# toolchain ships none). -ffp-contract=off everywhere: no fused multiply-add contraction, so the
# target rounds exactly like the host build.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYPROP_ARM_CPU "cortex-m4" CACHE STRING "Target core: cortex-m4 (M4F) or cortex-m7")
set_property(CACHE TINYPROP_ARM_CPU PROPERTY STRINGS cortex-m4 cortex-m7)

if(TINYPROP_ARM_CPU STREQUAL "cortex-m4")
  set(_tp_cpu_flags "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
elseif(TINYPROP_ARM_CPU STREQUAL "cortex-m7")
  set(_tp_cpu_flags "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
else()
  message(FATAL_ERROR "TINYPROP_ARM_CPU must be cortex-m4 or cortex-m7, not '${TINYPROP_ARM_CPU}'")
endif()

find_program(CMAKE_C_COMPILER arm-none-eabi-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER arm-none-eabi-g++ REQUIRED)
find_program(CMAKE_ASM_COMPILER arm-none-eabi-gcc REQUIRED)
find_program(CMAKE_OBJCOPY arm-none-eabi-objcopy)
find_program(CMAKE_SIZE arm-none-eabi-size)
find_program(TINYPROP_ARM_NM arm-none-eabi-nm)

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
