# Helper functions shared by the module CMakeLists: library, test, benchmark and fuzzer targets,
# warning flags, and the target that compiles every header on its own.
#
# Sources are listed explicitly everywhere (no GLOB for sources). So that a forgotten file cannot
# silently drop out of the build, every folder that uses these helpers is checked when it ends:
# each .cpp in it (and in its subfolders that have no CMakeLists.txt of their own) must belong to
# a target or a fuzzer of that folder.

set(HEXWIRE_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wshadow=local)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  set(HEXWIRE_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter -Wno-gnu-zero-variadic-macro-arguments)
endif()

# hexwire_check_sources_listed(): fails the configure step, naming the file, when a .cpp of the
# current folder or of a subfolder without its own CMakeLists.txt (detail/, a case's folder) is in
# no target of the folder. Runs once, when the folder ends.
function(hexwire_check_sources_listed)
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  file(GLOB_RECURSE found CONFIGURE_DEPENDS ${dir}/*.cpp)
  set(on_disk)
  foreach(file ${found})
    get_filename_component(parent ${file} DIRECTORY)
    set(owned_here TRUE)
    while(NOT parent STREQUAL dir)
      if(EXISTS ${parent}/CMakeLists.txt)
        set(owned_here FALSE)  # a folder of its own: checked when that folder ends
        break()
      endif()
      get_filename_component(parent ${parent} DIRECTORY)
    endwhile()
    if(owned_here)
      list(APPEND on_disk ${file})
    endif()
  endforeach()
  get_property(listed DIRECTORY PROPERTY HEXWIRE_LISTED_SOURCES)
  get_property(targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target ${targets})
    get_target_property(sources ${target} SOURCES)
    if(NOT sources)
      continue()
    endif()
    foreach(source ${sources})
      get_filename_component(absolute ${source} ABSOLUTE BASE_DIR ${dir})
      list(APPEND listed ${absolute})
    endforeach()
  endforeach()
  foreach(file ${on_disk})
    if(NOT file IN_LIST listed)
      file(RELATIVE_PATH shown ${HEXWIRE_SOURCE_ROOT} ${file})
      message(FATAL_ERROR "${shown} is in no target: list it in ${dir}/CMakeLists.txt "
                          "(sources are listed explicitly, see cmake/HexwireHelpers.cmake)")
    endif()
  endforeach()
endfunction()

# Schedules hexwire_check_sources_listed() for the end of the current folder (once).
function(hexwire_defer_source_check)
  get_property(scheduled DIRECTORY PROPERTY HEXWIRE_SOURCE_CHECK_SCHEDULED)
  if(NOT scheduled)
    set_property(DIRECTORY PROPERTY HEXWIRE_SOURCE_CHECK_SCHEDULED TRUE)
    cmake_language(DEFER CALL hexwire_check_sources_listed)
  endif()
endfunction()

# hexwire_add_library(NAME SOURCES ... DEPS ...): one module library; includes start at the repo root.
function(hexwire_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  hexwire_defer_source_check()
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${HEXWIRE_SOURCE_ROOT})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  set_property(GLOBAL APPEND PROPERTY HEXWIRE_LIBRARIES ${name})
endfunction()

# hexwire_sanitizer_step_labels(TARGET LABELS OUT): LABELS plus `asan` when the test belongs to the
# sanitizer step of scripts/test.sh: at least one label in HEXWIRE_ASAN_LABELS and none in
# HEXWIRE_ASAN_EXCLUDED_LABELS (both set in tests/CMakeLists.txt). Such a test's binary is also
# recorded for the target hexwire_asan_tests, so the step builds nothing else.
function(hexwire_sanitizer_step_labels target labels out)
  set(selected FALSE)
  foreach(label ${labels})
    if(label IN_LIST HEXWIRE_ASAN_EXCLUDED_LABELS)
      set(${out} "${labels}" PARENT_SCOPE)
      return()
    endif()
    if(label IN_LIST HEXWIRE_ASAN_LABELS)
      set(selected TRUE)
    endif()
  endforeach()
  if(selected)
    list(APPEND labels asan)
    set_property(GLOBAL APPEND PROPERTY HEXWIRE_ASAN_TEST_TARGETS ${target})
  endif()
  set(${out} "${labels}" PARENT_SCOPE)
endfunction()

# hexwire_add_test(NAME SOURCES ... DEPS ... [LABELS ...]): a Catch2 v2 test binary whose
# TEST_CASEs become individual ctest tests. A test counts as skipped when it prints a line starting
# "SKIPPED: " (core/testing/loopback_support.hpp and the test engines do so before exiting). Not an
# exit code: a Catch2 binary exits with its number of failed assertions, so any skip code could
# turn exactly that many failures into a "skipped" test.
# Each ctest test runs its binary with --warn NoTests, so a ctest entry that selects no TEST_CASE
# fails instead of passing with "No tests ran": Catch's discovery splits a name at ';' (a CMake
# list separator) into two entries that match nothing, and passes a '\' to Catch's test-spec
# parser as an escape, so test names must contain neither ';' nor '\'.
function(hexwire_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  hexwire_defer_source_check()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE hexwire_catch_main ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
  target_precompile_headers(${name} REUSE_FROM hexwire_test_pch)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  catch_discover_tests(${name}
    TEST_PREFIX "${name}: "
    DISCOVERY_TIMEOUT 30
    EXTRA_ARGS --warn NoTests
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} SKIP_REGULAR_EXPRESSION "SKIPPED: ")
  # Labels are set by a ctest include file read after the discovered tests (Catch's ${name}_TESTS
  # lists them): through PROPERTIES a list of labels would keep only its first entry.
  hexwire_sanitizer_step_labels(${name} "${ARG_LABELS}" labels)
  if(labels)
    set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
    file(WRITE ${labels_file}
         "if(DEFINED ${name}_TESTS)\n"
         "  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${labels}\")\n"
         "endif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
  endif()
endfunction()

# hexwire_add_bench(NAME SOURCES ... DEPS ...): a Google Benchmark program (not run by ctest).
function(hexwire_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  hexwire_defer_source_check()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE benchmark::benchmark benchmark::benchmark_main ${ARG_DEPS})
  target_compile_options(${name} PRIVATE ${HEXWIRE_WARNINGS})
endfunction()

# hexwire_add_fuzzer(NAME SOURCES ... [RUN_SECONDS N] [CORPUS DIR]): a libFuzzer target built with
# address + undefined-behaviour sanitizers. SOURCES must include the code under test itself (not a
# prebuilt library) so that it is instrumented. ctest runs it for RUN_SECONDS over the seed corpus.
function(hexwire_add_fuzzer name)
  cmake_parse_arguments(ARG "" "RUN_SECONDS;CORPUS" "SOURCES;DEPS" ${ARGN})
  hexwire_defer_source_check()
  foreach(source ${ARG_SOURCES})  # listed even when fuzzers are not built
    get_filename_component(absolute ${source} ABSOLUTE)
    set_property(DIRECTORY APPEND PROPERTY HEXWIRE_LISTED_SOURCES ${absolute})
  endforeach()
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
  foreach(module core net pubsub geo redis scaleout app sim)
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

# hexwire_use_lld(): every executable of this tree is linked by lld when HEXWIRE_LLD is on and
# ld.lld is installed, else by the compiler's default linker (GNU ld), with a note. lld links the
# ~130 test, tool and benchmark executables of a release build in a fraction of GNU ld's time
# (docs/build.md has the figures).
function(hexwire_use_lld)
  if(NOT HEXWIRE_LLD)
    return()
  endif()
  find_program(HEXWIRE_LLD_PROGRAM ld.lld)
  if(HEXWIRE_LLD_PROGRAM)
    add_link_options(-fuse-ld=lld)
  else()
    message(STATUS "ld.lld not found: linking with the default linker (scripts/setup.sh installs lld)")
  endif()
endfunction()
