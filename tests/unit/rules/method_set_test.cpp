// MethodSet: parsing (case-insensitive, blanks around commas), case-sensitive admission, overlap
// and canonical text.
#include "rules/method_set.h"

#include <doctest/doctest.h>

#include "rules/rule_error.h"

using strangler::MethodSet;
using strangler::RuleError;

TEST_CASE("an empty method list admits every method, including extension methods") {
  for (const char* list : {"", "  ", "\t"}) {
    const auto set = MethodSet::parse(list);
    CHECK(set.all());
    CHECK(set.text() == "");
    CHECK(set.admits("GET"));
    CHECK(set.admits("PURGE"));
    CHECK(set.admits("get"));
  }
  CHECK(MethodSet().all());
  CHECK(MethodSet() == MethodSet::parse(""));
}

TEST_CASE("parse is case-insensitive and allows blanks around commas") {
  const auto set = MethodSet::parse(" get , Head,POST ");
  CHECK_FALSE(set.all());
  CHECK(set.text() == "GET,HEAD,POST");
  CHECK(set == MethodSet::parse("POST,HEAD,GET"));
  CHECK(MethodSet::parse("GET,GET").text() == "GET");
}

TEST_CASE("every known method parses and prints in a fixed order") {
  const auto set = MethodSet::parse("connect,trace,options,patch,delete,put,post,head,get");
  CHECK(set.text() == "GET,HEAD,POST,PUT,DELETE,PATCH,OPTIONS,TRACE,CONNECT");
  for (const char* m :
       {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"}) {
    CHECK(set.admits(m));
    CHECK(MethodSet::parse(m).text() == m);
  }
  CHECK_FALSE(set.admits("PURGE"));
}

TEST_CASE("admits compares the request method case-sensitively") {
  const auto set = MethodSet::parse("GET");
  CHECK(set.admits("GET"));
  CHECK_FALSE(set.admits("get"));
  CHECK_FALSE(set.admits("Get"));
  CHECK_FALSE(set.admits("HEAD"));  // GET does not imply HEAD
  CHECK_FALSE(set.admits(""));
  CHECK_FALSE(set.admits("GETX"));
  CHECK(MethodSet::method_bit("get") == 0);
  CHECK(MethodSet::method_bit("GET") != 0);
  CHECK(set.admits_bit(MethodSet::method_bit("GET")));
  CHECK_FALSE(set.admits_bit(0));
}

TEST_CASE("unknown or empty method names are refused with a one-line message") {
  CHECK_THROWS_WITH_AS(MethodSet::parse("GET,FETCH"), doctest::Contains("unknown method \"FETCH\""),
                       RuleError);
  CHECK_THROWS_WITH_AS(MethodSet::parse("GET,,POST"),
                       "invalid method list \"GET,,POST\": empty method name", RuleError);
  CHECK_THROWS_WITH_AS(MethodSet::parse("GET,"), doctest::Contains("empty method name"), RuleError);
  CHECK_THROWS_WITH_AS(MethodSet::parse(","), doctest::Contains("empty method name"), RuleError);
  CHECK_THROWS_AS(MethodSet::parse("GET POST"), RuleError);
  CHECK_THROWS_AS(MethodSet::parse("*"), RuleError);
}

TEST_CASE("overlaps") {
  const auto all = MethodSet();
  const auto get = MethodSet::parse("GET");
  const auto get_head = MethodSet::parse("GET,HEAD");
  const auto post = MethodSet::parse("POST");
  CHECK(all.overlaps(all));
  CHECK(all.overlaps(get));
  CHECK(get.overlaps(all));
  CHECK(get.overlaps(get_head));
  CHECK(get_head.overlaps(get));
  CHECK_FALSE(get.overlaps(post));
  CHECK_FALSE(post.overlaps(get_head));
}
