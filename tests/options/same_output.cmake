# cmake -DA=<program> -DB=<program> -P same_output.cmake: fails unless both programs succeed and
# print the same text.
execute_process(COMMAND ${A} OUTPUT_VARIABLE out_a RESULT_VARIABLE rc_a)
execute_process(COMMAND ${B} OUTPUT_VARIABLE out_b RESULT_VARIABLE rc_b)
if(NOT rc_a EQUAL 0 OR NOT rc_b EQUAL 0 OR NOT out_a STREQUAL out_b OR out_a STREQUAL "")
  message(FATAL_ERROR "differ: ${A} (status ${rc_a}) printed '${out_a}', ${B} (status ${rc_b}) printed '${out_b}'")
endif()
message(STATUS "same output: ${out_a}")
