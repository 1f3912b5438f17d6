# Helpers for Cortex-M firmware builds (use with cmake/arm-none-eabi.cmake).
#
#   include(<repo>/port/cortex-m/cortex-m.cmake)
#   tinyprop_add_firmware(<target> BOARD <board> SOURCES <files...>)
#
# Boards (QEMU machines; <board>.ld beside this file has each one's memory map):
#   microbit       nRF51822, Cortex-M0, 256 KiB flash, 16 KiB RAM (also takes cortex-m0plus code)
#   mps2-an385     Cortex-M3, 4 MiB code memory, 4 MiB RAM
#   mps2-an386     Cortex-M4F, 4 MiB code memory, 4 MiB RAM
#   netduinoplus2  STM32F405, Cortex-M4F, 1 MiB flash, 128 KiB RAM
#   mps2-an500     Cortex-M7 (double-precision FPU), 4 MiB code memory, 4 MiB RAM
#   mps2-an505     Cortex-M33 (FPU), runs in the Secure state: 4 MiB code, 4 MiB RAM
#   mps3-an547     Cortex-M55 (FPU, MVE), runs in the Secure state: 512 KiB ITCM, 4 MiB RAM
# A firmware built without the FPU (TINYPROP_ARM_FPU=none) runs on the same boards. The
# target gets our startup code, semihosting port and markers, the board's link script, a map
# file, and the heap trap: malloc, free, realloc, calloc, _sbrk and
# newlib's reentrant variants are --wrap'ed without a definition, so any reference to them fails
# the link ("undefined reference to `__wrap_malloc'"). newlib's stdio needs the heap and is
# therefore unusable by design: output goes through tp_port_write (port/cortex-m/tp_port.h).
set(TINYPROP_CORTEX_M_DIR ${CMAKE_CURRENT_LIST_DIR})

set(TINYPROP_HEAP_SYMBOLS malloc free calloc realloc memalign aligned_alloc posix_memalign
    _malloc_r _free_r _calloc_r _realloc_r _memalign_r _sbrk _sbrk_r)

set(TINYPROP_BOARDS microbit mps2-an385 mps2-an386 netduinoplus2 mps2-an500 mps2-an505 mps3-an547)
set(TINYPROP_BOARD_CPUS_microbit cortex-m0 cortex-m0plus)  # an M0+ build is ARMv6-M code too
set(TINYPROP_BOARD_CPUS_mps2-an385 cortex-m3)
set(TINYPROP_BOARD_CPUS_mps2-an386 cortex-m4)
set(TINYPROP_BOARD_CPUS_netduinoplus2 cortex-m4)
set(TINYPROP_BOARD_CPUS_mps2-an500 cortex-m7)
set(TINYPROP_BOARD_CPUS_mps2-an505 cortex-m33)
set(TINYPROP_BOARD_CPUS_mps3-an547 cortex-m55)

# The cores whose code runs on a board (the first is the board's own).
function(tinyprop_board_cpus board out_var)
  if(NOT board IN_LIST TINYPROP_BOARDS)
    string(REPLACE ";" ", " known "${TINYPROP_BOARDS}")
    message(FATAL_ERROR "unknown board '${board}' (${known})")
  endif()
  set(${out_var} ${TINYPROP_BOARD_CPUS_${board}} PARENT_SCOPE)
endfunction()

function(tinyprop_add_firmware target)
  cmake_parse_arguments(FW "" "BOARD" "SOURCES" ${ARGN})
  tinyprop_board_cpus(${FW_BOARD} cpus)
  if(NOT TINYPROP_ARM_CPU IN_LIST cpus)
    list(GET cpus 0 cpu)
    message(FATAL_ERROR "board ${FW_BOARD} has a ${cpu}, but TINYPROP_ARM_CPU=${TINYPROP_ARM_CPU}")
  endif()
  add_executable(${target} ${FW_SOURCES}
    ${TINYPROP_CORTEX_M_DIR}/startup.c
    ${TINYPROP_CORTEX_M_DIR}/semihost.c
    ${TINYPROP_CORTEX_M_DIR}/markers.c)
  set_target_properties(${target} PROPERTIES SUFFIX ".elf")
  target_include_directories(${target} PRIVATE ${TINYPROP_CORTEX_M_DIR})
  set(wraps "")
  foreach(sym ${TINYPROP_HEAP_SYMBOLS})
    string(APPEND wraps ",--wrap=${sym}")
  endforeach()
  target_link_options(${target} PRIVATE
    -nostartfiles
    -L${TINYPROP_CORTEX_M_DIR}
    -T${TINYPROP_CORTEX_M_DIR}/${FW_BOARD}.ld
    -Wl,-Map=$<TARGET_FILE_DIR:${target}>/${target}.map
    -Wl,--no-warn-rwx-segments
    "-Wl${wraps}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS
    ${TINYPROP_CORTEX_M_DIR}/${FW_BOARD}.ld ${TINYPROP_CORTEX_M_DIR}/common.ld)
  target_link_libraries(${target} PRIVATE m)
endfunction()
