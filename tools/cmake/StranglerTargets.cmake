# How Strangler's own targets are declared: warnings for every target, and the rule that keeps the
# pure cores pure.
#
# A pure library (matching, normalization, the head scanner, breaker, budget, backoff, failover,
# differ, sampler) may link only other pure libraries, fmt and nlohmann-json, and its sources and
# tests compile with a "poison" include folder first on the path: its boost/config.hpp, sqlite3.h
# and httplib.h stop the build with an #error. Every Boost header reaches boost/config.hpp, so a
# pure file that includes Asio, Beast or our own router/net/asio.h (directly or through another
# header) does not compile. The `pure` preset builds only these libraries, with clang.

set(STRANGLER_POISON_DIR ${CMAKE_BINARY_DIR}/poison)
foreach(header boost/config.hpp boost/version.hpp sqlite3.h httplib.h)
  file(WRITE ${STRANGLER_POISON_DIR}/${header}
    "#error \"a pure Strangler library or its test includes <${header}>: pure cores link neither \
Boost nor SQLite nor cpp-httplib (tools/cmake/StranglerTargets.cmake)\"\n")
endforeach()

set(STRANGLER_PURE_LINKS fmt::fmt nlohmann_json::nlohmann_json doctest::doctest)

function(strangler_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-missing-field-initializers)
  if(STRANGLER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Makes `target` compile against the poison headers and refuses any link that is not pure.
function(strangler_keep_pure target)
  target_include_directories(${target} BEFORE PRIVATE ${STRANGLER_POISON_DIR})
  get_target_property(links ${target} LINK_LIBRARIES)
  if(NOT links)
    return()
  endif()
  foreach(link IN LISTS links)
    if(link IN_LIST STRANGLER_PURE_LINKS)
      continue()
    endif()
    get_property(pure GLOBAL PROPERTY STRANGLER_PURE_${link})
    if(NOT pure)
      message(FATAL_ERROR "${target} is pure and must not link ${link}")
    endif()
  endforeach()
endfunction()

# strangler_pure_library(name SOURCES file... LINKS lib...)
function(strangler_pure_library name)
  cmake_parse_arguments(arg "" "" "SOURCES;LINKS" ${ARGN})
  add_library(${name} STATIC ${arg_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  if(arg_LINKS)
    target_link_libraries(${name} PUBLIC ${arg_LINKS})
  endif()
  strangler_warnings(${name})
  set_property(GLOBAL PROPERTY STRANGLER_PURE_${name} TRUE)
  strangler_keep_pure(${name})
endfunction()
