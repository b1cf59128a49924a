// A doctest listener that remembers whether the running test case has failed, so that fixtures
// can show the logs of the processes they started (in their destructors, which run before doctest
// reports the end of the test case) only when they are useful.
#include "tests/support/failure_listener.h"

#include <doctest/doctest.h>

#include <atomic>

namespace strangler::test {
namespace {

std::atomic<bool> g_failed{false};

class FailureListener : public doctest::IReporter {
 public:
  explicit FailureListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { g_failed = false; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override { g_failed = true; }
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& data) override {
    if (data.m_failed) g_failed = true;
  }
  void log_message(const doctest::MessageData& data) override {
    // FAIL_CHECK and FAIL count as failures; MESSAGE and WARN do not.
    if (data.m_severity & (doctest::assertType::is_check | doctest::assertType::is_require)) {
      g_failed = true;
    }
  }
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("strangler_failure_listener", 1, FailureListener);

}  // namespace

bool current_test_failed() {
  return g_failed.load();
}

}  // namespace strangler::test
