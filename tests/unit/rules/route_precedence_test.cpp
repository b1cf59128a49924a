// Route precedence: the order between routes, pattern overlap, ambiguity and find_conflict's
// messages.
#include "rules/route_precedence.h"

#include <doctest/doctest.h>

#include <string>

using strangler::ambiguous;
using strangler::compare_specificity;
using strangler::find_conflict;
using strangler::MethodSet;
using strangler::parse_pattern;
using strangler::patterns_overlap;
using strangler::Route;

namespace {

Route route(std::string_view pattern, bool exact = false, std::string_view methods = "",
            std::int64_t id = 0) {
  Route r;
  r.id = id;
  r.pattern = parse_pattern(pattern, exact);
  r.methods = MethodSet::parse(methods);
  r.target = "svc";
  return r;
}

// a beats b, and the order is antisymmetric.
void check_beats(const Route& a, const Route& b) {
  CAPTURE(a.pattern.text());
  CAPTURE(b.pattern.text());
  CHECK(compare_specificity(a, b) < 0);
  CHECK(compare_specificity(b, a) > 0);
  CHECK_FALSE(ambiguous(a, b));
}

}  // namespace

TEST_CASE("exact beats prefix, whatever the segments") {
  check_beats(route("/orders", true), route("/orders"));
  check_beats(route("/*", true), route("/a/b/c"));
  check_beats(route("/", true), route("/"));
}

TEST_CASE("then more literal segments") {
  check_beats(route("/customers/*/orders"), route("/customers/*/*"));
  check_beats(route("/a/b"), route("/*/*/*"));
  check_beats(route("/orders/7", true), route("/orders/*", true));
}

TEST_CASE("then more segments") {
  check_beats(route("/orders/*"), route("/orders"));
  check_beats(route("/*"), route("/"));
  check_beats(route("/*/b"), route("/a"));
}

TEST_CASE("then a route limited by methods over an all-methods route") {
  check_beats(route("/orders", false, "GET"), route("/orders"));
  check_beats(route("/orders", false, "GET,POST,PUT"), route("/orders"));
  // methods rank below the pattern
  check_beats(route("/orders/*"), route("/orders", false, "GET"));
}

TEST_CASE("equal rank") {
  CHECK(compare_specificity(route("/a"), route("/b")) == 0);
  CHECK(compare_specificity(route("/a", false, "GET"), route("/a", false, "POST")) == 0);
  CHECK(compare_specificity(route("/a/*"), route("/*/b")) == 0);
  CHECK(strangler::specificity_key(route("/a/*")) == strangler::specificity_key(route("/*/b")));
  CHECK(strangler::specificity_key(route("/a")) < strangler::specificity_key(route("/a", true)));
}

TEST_CASE("patterns_overlap") {
  const auto p = [](std::string_view text, bool exact = false) {
    return parse_pattern(text, exact);
  };
  CHECK(patterns_overlap(p("/a"), p("/a/b")));
  CHECK(patterns_overlap(p("/"), p("/x", true)));
  CHECK(patterns_overlap(p("/a/*"), p("/*/b")));
  CHECK(patterns_overlap(p("/a/*", true), p("/*/b", true)));
  CHECK(patterns_overlap(p("/a", false), p("/a/b", true)));
  CHECK_FALSE(patterns_overlap(p("/a/b", false), p("/a", true)));  // exact is above the prefix
  CHECK_FALSE(patterns_overlap(p("/a", true), p("/a/b", true)));
  CHECK_FALSE(patterns_overlap(p("/a"), p("/b")));
  CHECK_FALSE(patterns_overlap(p("/a/*/c"), p("/*/b/d")));
  CHECK_FALSE(patterns_overlap(p("/orders"), p("/ordersX")));
}

TEST_CASE("ambiguous needs overlapping methods, equal rank and a common path") {
  CHECK(ambiguous(route("/a/*"), route("/*/b")));
  CHECK(ambiguous(route("/a/*", true), route("/*/b", true)));
  CHECK(ambiguous(route("/a", false, "GET"), route("/a", false, "GET,POST")));
  CHECK(ambiguous(route("/*/b/*"), route("/a/*/*")));
  CHECK_FALSE(ambiguous(route("/a", false, "GET"), route("/a", false, "POST")));
  CHECK_FALSE(ambiguous(route("/a", false, "GET"), route("/a")));  // ranked by methods
  CHECK_FALSE(ambiguous(route("/a/*"), route("/*/b", true)));      // exact wins
  CHECK_FALSE(ambiguous(route("/a/*/c"), route("/*/b/d")));        // no common path
  CHECK_FALSE(ambiguous(route("/a"), route("/b")));
  CHECK_FALSE(ambiguous(route("/a/*"), route("/*/*/b")));  // more segments wins
  // Equal-rank prefix patterns with a common prefix path: "/a/b/x" matches both.
  CHECK(ambiguous(route("/a/*/*"), route("/*/b/*")));
}

TEST_CASE("find_conflict: duplicates") {
  const std::vector<Route> existing = {route("/orders", false, "GET,POST", 1),
                                       route("/orders", true, "", 2)};
  CHECK(find_conflict(existing, route("/orders", false, "GET")) ==
        "duplicate route: \"/orders\" (prefix, GET) overlaps the existing route \"/orders\" "
        "(prefix, GET,POST); change or remove that route instead");
  CHECK(find_conflict(existing, route("/orders", true)) ==
        "duplicate route: \"/orders\" (exact, all methods) overlaps the existing route "
        "\"/orders\" (exact, all methods); change or remove that route instead");
  // Same pattern, disjoint methods or a different rank: fine.
  CHECK_FALSE(find_conflict(existing, route("/orders", false, "DELETE")).has_value());
  CHECK_FALSE(find_conflict(existing, route("/orders")).has_value());
  CHECK_FALSE(find_conflict(existing, route("/orders", true, "GET")).has_value());
}

TEST_CASE("find_conflict: ambiguous routes name the other route and a common path") {
  const std::vector<Route> existing = {route("/customers/*/orders", false, "", 1),
                                       route("/a/*", false, "GET", 2)};
  CHECK(find_conflict(existing, route("/*/7/orders")) ==
        "route \"/*/7/orders\" (prefix, all methods) is ambiguous with route "
        "\"/customers/*/orders\" (prefix, all methods): both match \"/customers/7/orders\" with "
        "equal precedence; make one more specific or limit their methods so they do not overlap");
  const auto message = find_conflict(existing, route("/*/x", false, "HEAD,GET"));
  REQUIRE(message.has_value());
  CHECK(message->find("route \"/a/*\" (prefix, GET)") != std::string::npos);
  CHECK(message->find("\"/a/x\"") != std::string::npos);
  CHECK_FALSE(find_conflict(existing, route("/*/x", false, "POST")).has_value());
  CHECK_FALSE(find_conflict(existing, route("/customers/*/orders", true)).has_value());
  CHECK_FALSE(find_conflict({}, route("/x")).has_value());
}

TEST_CASE("find_conflict skips the candidate's own id") {
  const std::vector<Route> existing = {route("/orders", false, "", 5)};
  CHECK_FALSE(find_conflict(existing, route("/orders", false, "", 5)).has_value());
  CHECK(find_conflict(existing, route("/orders", false, "", 6)).has_value());
  CHECK(find_conflict(existing, route("/orders", false, "", 0)).has_value());
}
