// Whether the running doctest test case has failed an assertion so far (see
// failure_listener.cpp). Fixtures use it to print process logs only for failing tests.
#pragma once

namespace strangler::test {

bool current_test_failed();

}  // namespace strangler::test
