// Message heads as bytes; see message_head.h.
#include "router/http/message_head.h"

#include "router/http/forwarding_headers.h"

namespace strangler {

namespace {

void append_version(std::string& out, unsigned version) {
  out.append("HTTP/");
  out.push_back(static_cast<char>('0' + version / 10));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + version % 10));
}

void append_fields(std::string& out, const http::fields& fields) {
  for (const auto& field : fields) {
    out.append(to_std(field.name_string()));
    out.append(": ");
    out.append(to_std(field.value()));
    out.append("\r\n");
  }
  out.append("\r\n");
}

}  // namespace

void append_head(std::string& out, const http::request_header<>& request) {
  out.append(to_std(request.method_string()));
  out.push_back(' ');
  out.append(to_std(request.target()));
  out.push_back(' ');
  append_version(out, request.version());
  out.append("\r\n");
  append_fields(out, request);
}

void append_head(std::string& out, const http::response_header<>& response) {
  append_version(out, response.version());
  unsigned code = response.result_int();
  char digits[] = {' ', static_cast<char>('0' + code / 100 % 10),
                   static_cast<char>('0' + code / 10 % 10), static_cast<char>('0' + code % 10),
                   ' '};
  out.append(digits, sizeof digits);
  out.append(to_std(response.reason()));  // the upstream's own phrase, else the standard one
  out.append("\r\n");
  append_fields(out, response);
}

}  // namespace strangler
