// HTTP/1.1 wire helpers for the integration harness (see http_message.h).
#include "tests/support/http_message.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace strangler::test {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads one CRLF-terminated line into `line`; returns bytes consumed and whether it is complete.
std::pair<std::size_t, bool> take_line(std::string_view in, std::string& line) {
  auto nl = in.find('\n');
  if (nl == std::string_view::npos) {
    line.append(in);
    if (line.size() > 64 * 1024) throw std::runtime_error("chunked: line too long");
    return {in.size(), false};
  }
  line.append(in.substr(0, nl + 1));
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    throw std::runtime_error("chunked: bare LF in framing");
  }
  line.resize(line.size() - 2);
  return {nl + 1, true};
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<std::string> HttpHead::get(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> HttpHead::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) out.push_back(v);
  }
  return out;
}

bool HttpHead::has_token(std::string_view name, std::string_view token) const {
  for (const auto& value : get_all(name)) {
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = trim_ows(rest.substr(0, comma));
      if (iequals(item, token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::optional<HttpHead> parse_head(std::string_view buffer, std::size_t* consumed) {
  auto end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (buffer.size() > 1024 * 1024) throw std::runtime_error("head larger than 1 MiB");
    return std::nullopt;
  }
  HttpHead head;
  head.raw = std::string(buffer.substr(0, end + 4));
  std::string_view rest = buffer.substr(0, end + 2);
  bool first = true;
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (first) {
      head.start_line = std::string(line);
      first = false;
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      throw std::runtime_error("malformed header line: " + std::string(line));
    }
    head.headers.emplace_back(std::string(line.substr(0, colon)),
                              std::string(trim_ows(line.substr(colon + 1))));
  }
  *consumed = end + 4;
  return head;
}

std::size_t ChunkedDecoder::feed(std::string_view in) {
  std::size_t used = 0;
  while (used < in.size() && state_ != State::kDone) {
    auto rest = in.substr(used);
    switch (state_) {
      case State::kSizeLine: {
        auto [n, complete] = take_line(rest, line_);
        used += n;
        if (!complete) break;
        std::string_view size_text = line_;
        size_text = size_text.substr(0, size_text.find(';'));
        size_text = trim_ows(size_text);
        std::size_t size = 0;
        auto [ptr, ec] =
            std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
        if (size_text.empty() || ec != std::errc() || ptr != size_text.data() + size_text.size()) {
          throw std::runtime_error("chunked: bad chunk size line: " + line_);
        }
        line_.clear();
        remaining_ = size;
        state_ = size == 0 ? State::kTrailers : State::kData;
        break;
      }
      case State::kData: {
        auto n = std::min(remaining_, rest.size());
        body_.append(rest.substr(0, n));
        remaining_ -= n;
        used += n;
        if (remaining_ == 0) state_ = State::kDataCrlf;
        break;
      }
      case State::kDataCrlf: {
        auto [n, complete] = take_line(rest, line_);
        used += n;
        if (!complete) break;
        if (!line_.empty()) throw std::runtime_error("chunked: data not followed by CRLF");
        state_ = State::kSizeLine;
        break;
      }
      case State::kTrailers: {
        auto [n, complete] = take_line(rest, line_);
        used += n;
        if (!complete) break;
        if (line_.empty()) state_ = State::kDone;
        line_.clear();
        break;
      }
      case State::kDone:
        break;
    }
  }
  return used;
}

std::string chunk_encode(std::string_view body, std::size_t chunk_size) {
  std::string out;
  char hex[32];
  while (!body.empty()) {
    auto n = std::min(chunk_size, body.size());
    auto [ptr, ec] = std::to_chars(hex, hex + sizeof hex, n, 16);
    (void)ec;
    out.append(hex, ptr);
    out += "\r\n";
    out.append(body.substr(0, n));
    out += "\r\n";
    body.remove_prefix(n);
  }
  out += "0\r\n\r\n";
  return out;
}

}  // namespace strangler::test
