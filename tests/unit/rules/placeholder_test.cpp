#include <doctest/doctest.h>
// placeholder until the rules tests land
TEST_CASE("rules placeholder") { CHECK(true); }
