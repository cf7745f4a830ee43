# Helper functions shared by the module CMakeLists: library, test, benchmark and fuzzer targets,
# warning flags, and the target that compiles every header on its own.

set(HEXWIRE_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wshadow=local)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(HEXWIRE_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-gnu-zero-variadic-macro-arguments)
endif()

# hexwire_add_library(NAME SOURCES ... DEPS ...): one module library; includes start at the repo root.
function(hexwire_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${HEXWIRE_SOURCE_ROOT})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_property(GLOBAL APPEND PROPERTY HEXWIRE_LIBRARIES ${name})
endfunction()

# hexwire_add_test(NAME SOURCES ... DEPS ... [LABELS ...]): a Catch2 v2 test binary whose
# TEST_CASEs become individual ctest tests. A test that exits with code 4 counts as skipped.
function(hexwire_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE hexwire_catch_main ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(props TIMEOUT ${ARG_TIMEOUT} SKIP_RETURN_CODE 4)
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  catch_discover_tests(${name}
    TEST_PREFIX "${name}: "
    DISCOVERY_TIMEOUT 30
    PROPERTIES ${props})
endfunction()

# hexwire_add_bench(NAME SOURCES ... DEPS ...): a Google Benchmark program (not run by ctest).
function(hexwire_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE benchmark::benchmark benchmark::benchmark_main ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
endfunction()

# hexwire_add_fuzzer(NAME SOURCES ... [RUN_SECONDS N] [CORPUS DIR]): a libFuzzer target built with
# address + undefined-behaviour sanitizers. SOURCES must include the code under test itself (not a
# prebuilt library) so that it is instrumented. ctest runs it for RUN_SECONDS over the seed corpus.
function(hexwire_add_fuzzer name)
  cmake_parse_arguments(ARG "" "RUN_SECONDS;CORPUS" "SOURCES;DEPS" ${ARGN})
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR NOT HEXWIRE_BUILD_FUZZ)
    return()
  endif()
  if(NOT ARG_RUN_SECONDS)
    set(ARG_RUN_SECONDS 20)
  endif()
  set(san -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${HEXWIRE_SOURCE_ROOT})
  target_compile_options(${name} PRIVATE ${san} -O1 -g)
  target_link_options(${name} PRIVATE ${san})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}_corpus)
  add_test(NAME "fuzz: ${name}"
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1
            ${CMAKE_SOURCE_DIR}/scripts/run-fuzzer.sh $<TARGET_FILE:${name}> ${ARG_CORPUS} ${work} ${ARG_RUN_SECONDS})
  set_tests_properties("fuzz: ${name}" PROPERTIES TIMEOUT 300 LABELS fuzz)
endfunction()

# hexwire_add_header_check(): compiles each module header alone, so every header includes what it
# uses. Runs as part of the default build.
function(hexwire_add_header_check)
  set(sources)
  foreach(module core net pubsub geo redis app sim)
    file(GLOB_RECURSE headers RELATIVE ${HEXWIRE_SOURCE_ROOT} CONFIGURE_DEPENDS
         ${HEXWIRE_SOURCE_ROOT}/${module}/*.hpp)
    foreach(header ${headers})
      string(MAKE_C_IDENTIFIER ${header} stem)
      set(out ${CMAKE_BINARY_DIR}/header_check/${stem}.cpp)
      file(CONFIGURE OUTPUT ${out} CONTENT "#include \"${header}\"  // must compile on its own\n")
      list(APPEND sources ${out})
    endforeach()
  endforeach()
  if(NOT sources)
    return()
  endif()
  get_property(libs GLOBAL PROPERTY HEXWIRE_LIBRARIES)
  add_library(hexwire_header_check OBJECT ${sources})
  target_include_directories(hexwire_header_check PRIVATE ${HEXWIRE_SOURCE_ROOT})
  foreach(lib ${libs})
    target_include_directories(hexwire_header_check PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_INCLUDE_DIRECTORIES>)
    target_link_libraries(hexwire_header_check PRIVATE ${lib})
  endforeach()
endfunction()
