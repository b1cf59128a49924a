# The fuzz targets, one per line: the name (<name>_fuzzer.cpp, corpus/<name>/) and the libraries
# it links. Read by CMakeLists.txt here (the libFuzzer builds) and by replay.cmake (the corpus
# replays that run with the tests), so a new target gets both by being listed once.
#
# Every target links only pure libraries (tools/cmake/StranglerTargets.cmake), which is what lets
# the replays build in every preset, clang `pure` included. strangler_router_core does not compile
# with clang 14 here (Boost 1.74's Asio does not turn on co_await for clang with libstdc++), so the
# JSON differ is fuzzed through strangler_shadow_compare and the head scanner through
# strangler_protocol, their pure libraries.
set(STRANGLER_FUZZ_TARGETS
  "path_normalizer strangler_rules"
  "pattern strangler_rules"
  "json_differ strangler_shadow_compare"
  "request_head_scanner strangler_protocol")
