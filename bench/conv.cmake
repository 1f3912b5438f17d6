# Conv backward benchmarks (docs/CONV.md). Included at the end of bench/CMakeLists.txt, which
# returns before this point when Google Benchmark is missing.
add_library(tinyprop_bench_conv_case STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_conv_case.cpp)
target_include_directories(tinyprop_bench_conv_case
  PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${PROJECT_SOURCE_DIR}/src)  # layers/conv_layer.h
target_link_libraries(tinyprop_bench_conv_case PUBLIC tinyprop_core)
target_compile_options(tinyprop_bench_conv_case PRIVATE -Wall -Wextra -Wshadow -Wconversion)

add_executable(bench_conv ${CMAKE_CURRENT_LIST_DIR}/bench_conv.cpp)
target_link_libraries(bench_conv PRIVATE tinyprop_bench_conv_case benchmark::benchmark)
target_compile_options(bench_conv PRIVATE -Wall -Wextra)

add_executable(bench_conv_icount ${CMAKE_CURRENT_LIST_DIR}/bench_conv_icount.cpp)
target_link_libraries(bench_conv_icount PRIVATE tinyprop_bench_conv_case)
target_compile_options(bench_conv_icount PRIVATE -Wall -Wextra -Wshadow -Wconversion)
