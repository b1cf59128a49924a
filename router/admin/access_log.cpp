// The JSON access log and its writer thread; see access_log.h.
#include "router/admin/access_log.h"

#include "router/admin/log.h"

#include "rules/utc_time.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace strangler {

namespace {

nlohmann::ordered_json text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

// Writes a batch with stdio and flushes it, so a crash loses at most the batch being written.
// `file` is swapped by a reopen, on the same (writer) thread.
AccessLog::Sink file_sink(std::shared_ptr<std::shared_ptr<std::FILE>> file) {
  return [file = std::move(file)](std::string_view lines) {
    auto written = std::fwrite(lines.data(), 1, lines.size(), file->get());
    if (written != lines.size() || std::fflush(file->get()) != 0) {
      throw std::runtime_error(fmt::format("access log write failed: {}", std::strerror(errno)));
    }
  };
}

std::shared_ptr<std::FILE> open_for_append(const std::string& path) {
  std::FILE* raw = std::fopen(path.c_str(), "a");
  if (raw == nullptr) {
    throw std::runtime_error(
        fmt::format("cannot open access log {}: {}; check the directory "
                    "exists and is writable",
                    path, std::strerror(errno)));
  }
  return {raw, [](std::FILE* f) { std::fclose(f); }};
}

}  // namespace

std::string format_access_record(const AccessRecord& record) {
  // ordered_json keeps the documented field order, which people reading the file rely on.
  nlohmann::ordered_json line;
  line["time"] = format_rfc3339(record.time, /*millis=*/true);
  line["request_id"] = record.request_id;
  line["method"] = record.method;
  line["path"] = record.path;
  line["route"] = text_or_null(record.route);
  line["target"] = text_or_null(record.target);
  line["status"] = record.status;
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(record.latency).count();
  line["latency_ms"] = static_cast<double>(micros) / 1000.0;
  line["fallback"] = record.fallback ? nlohmann::ordered_json(*record.fallback) : nullptr;
  line["refusal"] = record.refusal ? nlohmann::ordered_json(*record.refusal) : nullptr;
  line["breaker"] = text_or_null(record.breaker);
  line["client"] = text_or_null(record.client);
  line["peer"] = text_or_null(record.peer);
  // Paths are raw client bytes and may be invalid UTF-8: replace, never throw.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + '\n';
}

std::unique_ptr<AccessLog> AccessLog::open(const std::string& path, AccessLogSettings settings) {
  if (path == "-") {
    std::shared_ptr<std::FILE> out{stdout, [](std::FILE*) {}};  // not ours to close
    return std::make_unique<AccessLog>(
        file_sink(std::make_shared<std::shared_ptr<std::FILE>>(std::move(out))), settings);
  }
  auto file = std::make_shared<std::shared_ptr<std::FILE>>(open_for_append(path));
  auto reopen = [file, path] { *file = open_for_append(path); };  // throws: the old one stays
  return std::make_unique<AccessLog>(file_sink(file), settings, std::move(reopen));
}

AccessLog::AccessLog(Sink sink, AccessLogSettings settings, Reopen reopen)
    : sink_{std::move(sink)},
      reopen_{std::move(reopen)},
      capacity_{settings.capacity == 0 ? 1 : settings.capacity},
      writer_{[this] { run(); }} {}

AccessLog::~AccessLog() {
  stop();
}

void AccessLog::log(AccessRecord&& record) {
  if (record.time == std::chrono::system_clock::time_point{}) {
    record.time = std::chrono::system_clock::now();
  }
  bool was_empty = false;
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || pending_.size() >= capacity_) {
      ++dropped_;
      return;
    }
    was_empty = pending_.empty();
    pending_.push_back(std::move(record));
  }
  // The writer only sleeps on an empty queue, so only the push that ends emptiness wakes it.
  if (was_empty) wake_.notify_one();
}

void AccessLog::reopen() {
  {
    std::lock_guard lock{mutex_};
    reopen_requested_ = true;
  }
  wake_.notify_one();
}

void AccessLog::stop() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

std::uint64_t AccessLog::dropped() const {
  std::lock_guard lock{mutex_};
  return dropped_;
}

std::uint64_t AccessLog::written() const {
  std::lock_guard lock{mutex_};
  return written_;
}

std::uint64_t AccessLog::write_failures() const {
  std::lock_guard lock{mutex_};
  return write_failures_;
}

void AccessLog::run() {
  std::vector<AccessRecord> batch;
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || reopen_requested_ || !pending_.empty(); });
    if (std::exchange(reopen_requested_, false)) {
      lock.unlock();
      reopen_destination();
      lock.lock();
    }
    if (pending_.empty()) {
      if (stopping_) return;  // everything written
      continue;
    }
    // Take the whole queue; both vectors keep their capacity, so the steady state reuses them.
    batch.swap(pending_);
    lock.unlock();
    write_batch(batch);
    lock.lock();
  }
}

void AccessLog::reopen_destination() {
  if (!reopen_) return;
  try {
    reopen_();
    log_line("access log reopened");
  } catch (const std::exception& e) {
    log_line(fmt::format("{}; still writing to the old file", e.what()));
  }
}

void AccessLog::write_batch(std::vector<AccessRecord>& batch) {
  std::string lines;
  for (const auto& record : batch) lines += format_access_record(record);
  bool ok = true;
  try {
    sink_(lines);
  } catch (const std::exception&) {
    ok = false;  // nowhere better to report it than the counter; the proxy keeps serving
  }
  std::lock_guard lock{mutex_};
  if (ok) {
    written_ += batch.size();
  } else {
    ++write_failures_;
  }
  batch.clear();
}

}  // namespace strangler
