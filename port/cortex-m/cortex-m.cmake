# Helpers for Cortex-M firmware builds (use with cmake/arm-none-eabi.cmake).
#
#   include(<repo>/port/cortex-m/cortex-m.cmake)
#   tinyprop_add_firmware(<target> BOARD <board> SOURCES <files...>)
#
# Boards: mps2-an386 (Cortex-M4F), netduinoplus2 (STM32F405, Cortex-M4F, 128 KiB RAM),
# mps2-an500 (Cortex-M7). The target gets our startup code, semihosting port and markers, the
# board's link script, a map file, and the heap trap: malloc, free, realloc, calloc, _sbrk and
# newlib's reentrant variants are --wrap'ed without a definition, so any reference to them fails
# the link ("undefined reference to `__wrap_malloc'"). newlib's stdio needs the heap and is
# therefore unusable by design: output goes through tp_port_write (port/cortex-m/tp_port.h).
set(TINYPROP_CORTEX_M_DIR ${CMAKE_CURRENT_LIST_DIR})

set(TINYPROP_HEAP_SYMBOLS malloc free calloc realloc memalign aligned_alloc posix_memalign
    _malloc_r _free_r _calloc_r _realloc_r _memalign_r _sbrk _sbrk_r)

function(tinyprop_board_cpu board out_var)
  if(board STREQUAL "mps2-an386" OR board STREQUAL "netduinoplus2")
    set(${out_var} cortex-m4 PARENT_SCOPE)
  elseif(board STREQUAL "mps2-an500")
    set(${out_var} cortex-m7 PARENT_SCOPE)
  else()
    message(FATAL_ERROR "unknown board '${board}' (mps2-an386, netduinoplus2, mps2-an500)")
  endif()
endfunction()

function(tinyprop_add_firmware target)
  cmake_parse_arguments(FW "" "BOARD" "SOURCES" ${ARGN})
  tinyprop_board_cpu(${FW_BOARD} cpu)
  if(NOT cpu STREQUAL TINYPROP_ARM_CPU)
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
