# ctest script: libagentos.so exports the C API and nothing else, under a
# versioned SONAME.
#   cmake -DLIBRARY=path/to/libagentos.so -DSONAME=libagentos.so.0 -P check_exports.cmake
# What the linker itself defines in every shared object may appear too.
cmake_minimum_required(VERSION 3.20)
set(_linker_symbols _init _fini _edata _end __bss_start _DYNAMIC _GLOBAL_OFFSET_TABLE_ _PROCEDURE_LINKAGE_TABLE_)
# A few entry points every caller needs; their absence means the filter
# below looked at the wrong file or the version script hid too much.
set(_required agentos_version agentos_version_number agentos_errmsg agentos_kernel_check agentos_venv_step
              agentos_venv_send agentos_venv_recv
              agentos_task_register agentos_venv_step_discrete agentos_venv_numeric_observations
              agentos_venv_send_discrete agentos_venv_send_numeric
              agentos_recorder_open)

find_program(NM nm REQUIRED)
find_program(READELF readelf REQUIRED)
if(NOT EXISTS "${LIBRARY}")
  message(FATAL_ERROR "no library at '${LIBRARY}'")
endif()

execute_process(COMMAND ${NM} -D --defined-only "${LIBRARY}" OUTPUT_VARIABLE _nm RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "nm -D --defined-only ${LIBRARY} failed (${_rc})")
endif()
string(REPLACE "\n" ";" _lines "${_nm}")
set(_foreign "")
set(_exported "")
foreach(_line IN LISTS _lines)
  if(_line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE "^.* " "" _name "${_line}")  # "address type name"
  string(REGEX REPLACE "@.*$" "" _name "${_name}")  # a version suffix, if any
  if(_name MATCHES "^agentos_")
    list(APPEND _exported ${_name})
  elseif(NOT _name IN_LIST _linker_symbols)
    list(APPEND _foreign ${_name})
  endif()
endforeach()
if(_foreign)
  list(LENGTH _foreign _n)
  list(JOIN _foreign "\n  " _text)
  message(FATAL_ERROR "${LIBRARY} exports ${_n} symbol(s) outside the C API:\n  ${_text}")
endif()
foreach(_name IN LISTS _required)
  if(NOT _name IN_LIST _exported)
    message(FATAL_ERROR "${LIBRARY} does not export ${_name}")
  endif()
endforeach()

execute_process(COMMAND ${READELF} -d "${LIBRARY}" OUTPUT_VARIABLE _dynamic RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "readelf -d ${LIBRARY} failed (${_rc})")
endif()
if(NOT _dynamic MATCHES "\\(SONAME\\)[^\n]*\\[([^]\n]*)\\]")
  message(FATAL_ERROR "${LIBRARY} has no SONAME")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL SONAME)
  message(FATAL_ERROR "${LIBRARY} has SONAME '${CMAKE_MATCH_1}', expected '${SONAME}'")
endif()
list(LENGTH _exported _n)
message(STATUS "${LIBRARY}: ${_n} symbols, all agentos_*; SONAME ${SONAME}")
