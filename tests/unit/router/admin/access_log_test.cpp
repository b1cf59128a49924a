// The JSON access log: the line format (fields, nulls, escaping, invalid UTF-8), the writer thread
// (every record written, in order), drops when the queue is full, stop() flushing, a failing
// sink, and the file sink.
#include <doctest/doctest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "router/admin/access_log.h"
#include "rules/utc_time.h"

using namespace strangler;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// 2026-11-26T23:51:02.123Z
const std::chrono::system_clock::time_point kTime =
    std::chrono::system_clock::time_point{std::chrono::seconds{1795737062}} + 123ms;

AccessRecord sample_record(int n = 0) {
  AccessRecord r;
  r.time = kTime;
  r.request_id = "req-" + std::to_string(n);
  r.method = "GET";
  r.path = "/orders/" + std::to_string(n);
  r.route = "orders";
  r.target = "orders-svc";
  r.status = 200;
  r.latency = 3125us;
  r.breaker = "closed";
  r.client = "203.0.113.9";
  r.peer = "10.0.0.1";
  return r;
}

// Collects what the writer hands to the sink, split into lines.
struct Captured {
  std::mutex mutex;
  std::vector<std::string> lines;
  int batches = 0;

  AccessLog::Sink sink() {
    return [this](std::string_view text) {
      std::lock_guard lock{mutex};
      ++batches;
      std::istringstream in{std::string{text}};
      for (std::string line; std::getline(in, line);) lines.push_back(line);
    };
  }
};

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("access log: times are RFC 3339 UTC with milliseconds") {
  CHECK(format_rfc3339(kTime, true) == "2026-11-26T23:51:02.123Z");
  CHECK(format_rfc3339(std::chrono::system_clock::time_point{}, true) ==
        "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(kTime + 876999us, true) == "2026-11-26T23:51:02.999Z");
}

TEST_CASE("access log: a record is one JSON line with every field") {
  auto text = format_access_record(sample_record(7));
  REQUIRE(text.back() == '\n');
  CHECK(text.find('\n') == text.size() - 1);
  CHECK(text == R"({"time":"2026-11-26T23:51:02.123Z","request_id":"req-7","method":"GET",)"
                R"("path":"/orders/7","route":"orders","target":"orders-svc","status":200,)"
                R"("latency_ms":3.125,"fallback":null,"refusal":null,"breaker":"closed",)"
                R"("client":"203.0.113.9","peer":"10.0.0.1"})"
                "\n");
}

TEST_CASE("access log: fallback reason, empty fields as null, escaping and bad UTF-8") {
  auto r = sample_record();
  r.fallback = "breaker-open";
  r.refusal = "bad-framing";
  r.route.clear();
  r.target.clear();
  r.breaker.clear();
  r.path = "/a\"b\\c\nd\x01";
  r.request_id = std::string{"bad-\xff\xfe-utf8"};
  std::string text;
  REQUIRE_NOTHROW(text = format_access_record(r));
  auto line = json::parse(text);
  CHECK(line["fallback"] == "breaker-open");
  CHECK(line["refusal"] == "bad-framing");
  CHECK(line["route"].is_null());
  CHECK(line["target"].is_null());
  CHECK(line["breaker"].is_null());
  CHECK(line["path"] == "/a\"b\\c\nd\x01");  // round-trips through the escaping
  CHECK(line["request_id"] == "bad-\xEF\xBF\xBD\xEF\xBF\xBD-utf8");  // U+FFFD twice
}

TEST_CASE("access log: every logged record is written, in order, as valid JSON") {
  Captured captured;
  {
    AccessLog log{captured.sink()};
    for (int i = 0; i < 500; ++i) log.log(sample_record(i));
    log.stop();
    CHECK(log.written() == 500);
    CHECK(log.dropped() == 0);
  }
  REQUIRE(captured.lines.size() == 500);
  for (int i = 0; i < 500; ++i) {
    auto line = json::parse(captured.lines[static_cast<std::size_t>(i)]);
    CHECK(line["request_id"] == "req-" + std::to_string(i));
    CHECK(line["status"] == 200);
    CHECK(line["latency_ms"] == 3.125);
    for (const char* key : {"time", "method", "path", "route", "target", "fallback", "refusal",
                            "breaker", "client", "peer"}) {
      CHECK_MESSAGE(line.contains(key), key);
    }
  }
}

TEST_CASE("access log: a record without a time gets the current one") {
  Captured captured;
  AccessLog log{captured.sink()};
  auto before = std::chrono::system_clock::now();
  auto r = sample_record();
  r.time = {};
  log.log(std::move(r));
  log.stop();
  REQUIRE(captured.lines.size() == 1);
  std::string time = json::parse(captured.lines[0])["time"];
  CHECK(time >= format_rfc3339(before, true));  // same format: compares chronologically
}

TEST_CASE("access log: a full queue drops and counts instead of blocking") {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  Captured captured;
  auto capture = captured.sink();
  bool first = true;
  AccessLog log{[&](std::string_view text) {
                  if (std::exchange(first, false)) {
                    entered.set_value();
                    released.wait();  // the writer is stuck on a slow disk
                  }
                  capture(text);
                },
                AccessLogSettings{3}};
  log.log(sample_record(0));
  entered.get_future().wait();  // the writer holds record 0; the queue is empty again
  for (int i = 1; i <= 10; ++i) log.log(sample_record(i));  // 3 fit, 7 are dropped
  CHECK(log.dropped() == 7);
  release.set_value();
  log.stop();
  CHECK(log.written() == 4);
  REQUIRE(captured.lines.size() == 4);
  CHECK(json::parse(captured.lines[3])["request_id"] == "req-3");
  log.log(sample_record(99));  // after stop: dropped, never written
  CHECK(log.dropped() == 8);
  CHECK(captured.lines.size() == 4);
}

TEST_CASE("access log: stop writes everything still queued behind a slow sink") {
  Captured captured;
  auto capture = captured.sink();
  AccessLog log{[&](std::string_view text) {
    std::this_thread::sleep_for(20ms);
    capture(text);
  }};
  for (int i = 0; i < 2000; ++i) log.log(sample_record(i));
  log.stop();
  CHECK(captured.lines.size() == 2000);
  CHECK(captured.batches < 2000);  // batched, not one write per record
  log.stop();                      // idempotent
}

TEST_CASE("access log: a failing sink loses its batch, counts it, and the writer goes on") {
  Captured captured;
  auto capture = captured.sink();
  std::promise<void> failed;
  bool fail_next = true;
  AccessLog log{[&](std::string_view text) {
    if (std::exchange(fail_next, false)) {
      failed.set_value();
      throw std::runtime_error("disk full");
    }
    capture(text);
  }};
  log.log(sample_record(1));
  failed.get_future().wait();
  log.log(sample_record(2));
  log.stop();
  CHECK(log.write_failures() == 1);
  CHECK(log.written() == 1);
  REQUIRE(captured.lines.size() == 1);
  CHECK(json::parse(captured.lines[0])["request_id"] == "req-2");
}

TEST_CASE("access log: open() appends to a file and refuses an unwritable path") {
  auto dir = std::filesystem::temp_directory_path() /
             ("strangler-access-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / "access.log";
  std::filesystem::remove(path);
  for (int round = 0; round < 2; ++round) {
    auto log = AccessLog::open(path.string());
    log->log(sample_record(round * 2));
    log->log(sample_record(round * 2 + 1));
    log->stop();
  }
  auto lines = read_lines(path);
  REQUIRE(lines.size() == 4);  // the second open appended
  CHECK(json::parse(lines[0])["request_id"] == "req-0");
  CHECK(json::parse(lines[3])["request_id"] == "req-3");
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH_AS(AccessLog::open((dir / "missing" / "access.log").string()),
                       doctest::Contains("cannot open access log"), std::runtime_error);
}
