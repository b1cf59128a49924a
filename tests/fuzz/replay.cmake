# Corpus replays, included by tests/CMakeLists.txt so that they build and run with the tests in
# every build (gcc release, ASan+UBSan, TSan, and the clang `pure` preset): each fuzz target's
# source linked with replay_main.cpp instead of libFuzzer, as replay_<name>, and the ctest
# "fuzz replay: <name>" that feeds it every committed input in corpus/<name>/. A change that makes
# a committed input crash or break a property fails the test suite, without a long fuzz run.
#
# They compile against the poison headers like the pure libraries' tests: a fuzz target that
# reached for Boost or SQLite would no longer build in the fuzz or pure presets.
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)
foreach(entry IN LISTS STRANGLER_FUZZ_TARGETS)
  separate_arguments(entry)
  list(POP_FRONT entry name)
  add_executable(replay_${name} ${CMAKE_CURRENT_LIST_DIR}/${name}_fuzzer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/replay_main.cpp)
  target_include_directories(replay_${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(replay_${name} PRIVATE ${entry})
  strangler_warnings(replay_${name})
  strangler_keep_pure(replay_${name})
  add_test(NAME "fuzz replay: ${name}"
    COMMAND replay_${name} ${CMAKE_CURRENT_LIST_DIR}/corpus/${name})
  set_tests_properties("fuzz replay: ${name}" PROPERTIES LABELS fuzz)
endforeach()
