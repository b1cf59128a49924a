// libFuzzer target for RequestHeadScanner (router/edge/request_checks.h), the first parser a
// client's bytes reach. The first 8 input bytes are the setting, the rest the bytes received:
//   [0] max_uri   [1] max_field_bytes   [2] max_header_bytes / 16   [3] max_header_count % 32
//   [4..7] piece sizes minus one, used in turn: how the received bytes are split into reads
// Small limits, so that inputs of a few hundred bytes reach every refusal.
// Checks: the verdict (state, head_size, refusal status and reason) is the same whether the bytes
// arrive all at once or in those pieces, as a resumable scanner must give; a verdict, once given,
// stays the same however many more bytes are fed; a complete head fits in what was received and
// in the limit, ends with its empty line and has only CRLF line ends; a refusal is a 400, 414 or
// 431 with a one-line reason.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "router/edge/request_checks.h"

namespace {

using strangler::HeadLimits;
using strangler::HeadScan;
using strangler::RequestHeadScanner;

constexpr std::size_t kSettingBytes = 8;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

bool same_verdict(const HeadScan& a, const HeadScan& b) {
  if (a.state != b.state) return false;
  if (a.state == HeadScan::State::complete) return a.head_size == b.head_size;
  if (a.state == HeadScan::State::refused) {
    return a.refusal.status == b.refusal.status && a.refusal.reason == b.refusal.reason;
  }
  return true;
}

struct Setting {
  HeadLimits limits;
  std::uint8_t pieces[4];
};

Setting setting_from(const std::uint8_t* data) {
  Setting s;
  s.limits.max_uri = data[0];
  s.limits.max_field_bytes = data[1];
  s.limits.max_header_bytes = std::size_t{data[2]} * 16;
  s.limits.max_header_count = data[3] % 32;
  for (int i = 0; i < 4; ++i) s.pieces[i] = data[4 + i];
  return s;
}

// Feeds `input` in the setting's pieces; returns the first verdict that is not "incomplete", then
// keeps feeding the rest to the same scanner, which must repeat it.
HeadScan scan_in_pieces(std::string_view input, const Setting& s) {
  RequestHeadScanner scanner(s.limits);
  HeadScan verdict;
  std::size_t received = 0;
  for (int piece = 0; received < input.size(); ++piece) {
    received = std::min(input.size(), received + s.pieces[piece % 4] + std::size_t{1});
    auto scan = scanner.scan(input.substr(0, received));
    if (verdict.state == HeadScan::State::incomplete) {
      verdict = scan;
    } else {
      require(same_verdict(scan, verdict), "a verdict does not change when more bytes arrive");
    }
  }
  return verdict;
}

void check_complete(std::string_view input, const HeadScan& verdict, const HeadLimits& limits) {
  require(verdict.head_size <= input.size(), "a complete head fits in the bytes received");
  require(verdict.head_size <= limits.max_header_bytes, "a complete head is within the limit");
  const auto head = input.substr(0, verdict.head_size);
  require(head.ends_with("\r\n\r\n"), "a complete head ends with CRLF and the empty line");
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') require(i > 0 && head[i - 1] == '\r', "every LF in a head follows a CR");
    if (head[i] == '\r')
      require(i + 1 < head.size() && head[i + 1] == '\n', "every CR ends a line");
  }
}

void check_refusal(const HeadScan& verdict) {
  const int status = verdict.refusal.status;
  require(status == 400 || status == 414 || status == 431, "a refusal is a 400, 414 or 431");
  const auto reason = verdict.refusal.reason;
  require(!reason.empty() && reason.find('\n') == std::string_view::npos,
          "a refusal has a one-line reason");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kSettingBytes) return 0;
  const Setting s = setting_from(data);
  const std::string_view input(reinterpret_cast<const char*>(data + kSettingBytes),
                               size - kSettingBytes);

  RequestHeadScanner whole_scanner(s.limits);
  const HeadScan whole = whole_scanner.scan(input);
  require(same_verdict(whole_scanner.scan(input), whole), "scanning the same bytes again agrees");
  require(same_verdict(scan_in_pieces(input, s), whole),
          "the verdict in pieces is the verdict all at once");

  if (whole.state == HeadScan::State::complete) check_complete(input, whole, s.limits);
  if (whole.state == HeadScan::State::refused) check_refusal(whole);
  return 0;
}
