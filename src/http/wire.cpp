#include "http/wire.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <charconv>

namespace docent::http {

namespace beast = boost::beast;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Error framing_error(std::string message) { return core::Error(core::Code::BadRequest, std::move(message)); }

}  // namespace

core::Status check_request_framing(const Headers& headers, unsigned version) {
  size_t length_fields = 0, coding_fields = 0;
  std::string_view length, coding;
  for (const auto& [name, value] : headers.items()) {
    if (iequals(name, "Content-Length")) {
      ++length_fields;
      length = trim_ows(value);
    } else if (iequals(name, "Transfer-Encoding")) {
      ++coding_fields;
      coding = trim_ows(value);
    }
  }
  if (coding_fields && length_fields) {
    return framing_error("a request may not carry both Transfer-Encoding and Content-Length");
  }
  if (coding_fields) {
    if (version < 11) return framing_error("Transfer-Encoding is not allowed on an HTTP/1.0 request");
    if (coding_fields > 1 || !iequals(coding, "chunked")) {
      return framing_error("unsupported Transfer-Encoding; the only coding accepted is a single 'chunked'");
    }
  }
  if (length_fields > 1) return framing_error("Content-Length may be given only once");
  if (length_fields) {
    const bool digits = !length.empty() && length.size() <= 19 &&
                        std::all_of(length.begin(), length.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return framing_error("Content-Length must be one decimal number");
  }
  return {};
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

core::Status parse_target(std::string_view target, Request& req) {
  req.target = std::string(target);
  if (target.empty() || target[0] != '/') {
    return core::Error(core::Code::BadRequest, "request target must be an absolute path");
  }
  for (unsigned char c : target) {
    if (c <= 0x20 || c == 0x7f)
      return core::Error(core::Code::BadRequest, "request target contains a control character");
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  size_t hash = raw_path.find('#');
  if (hash != std::string_view::npos) raw_path = raw_path.substr(0, hash);
  auto path = percent_decode(raw_path);
  if (!path) return core::Error(core::Code::BadRequest, "request path has a malformed percent-escape");
  req.path = std::move(*path);
  req.query.clear();
  if (q != std::string_view::npos) {
    std::string_view qs = target.substr(q + 1);
    if (size_t h = qs.find('#'); h != std::string_view::npos) qs = qs.substr(0, h);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view pair = qs.substr(0, amp);
      qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
      if (pair.empty()) continue;
      size_t eq = pair.find('=');
      auto key = percent_decode(pair.substr(0, eq), true);
      auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
      if (!key || !value) return core::Error(core::Code::BadRequest, "query string has a malformed percent-escape");
      req.query.emplace_back(std::move(*key), std::move(*value));
    }
  }
  return {};
}

core::Result<Request> parse_request_bytes(std::string_view raw, const WireLimits& limits) {
  beast::http::request_parser<beast::http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  parser.eager(true);
  beast::error_code ec;
  size_t used = 0;
  while (used < raw.size() && !parser.is_done()) {
    size_t n = parser.put(boost::asio::buffer(raw.data() + used, raw.size() - used), ec);
    if (ec == beast::http::error::need_more) break;
    if (ec) break;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_done() && !ec) {
    if (!parser.got_some()) return core::Error(core::Code::BadRequest, "empty request");
    parser.put_eof(ec);
    if (!ec && !parser.is_done()) ec = beast::http::error::partial_message;
  }
  if (ec == beast::http::error::header_limit)
    return core::Error(core::Code::HeadersTooLarge, "request headers are too large");
  if (ec == beast::http::error::body_limit)
    return core::Error(core::Code::PayloadTooLarge, "request body is too large");
  if (ec) return core::Error(core::Code::BadRequest, "malformed HTTP request: " + ec.message());

  auto msg = parser.release();
  Request req;
  req.method = parse_method(std::string_view(msg.method_string().data(), msg.method_string().size()));
  if (auto st = parse_target(std::string_view(msg.target().data(), msg.target().size()), req); !st) return st.error();
  for (const auto& field : msg) {
    req.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  if (auto st = check_request_framing(req.headers, msg.version()); !st) return st.error();
  req.body = std::move(msg.body());
  return req;
}

bool status_has_no_body(int status) { return (status >= 100 && status < 200) || status == 204 || status == 304; }

namespace {

void append_header_text(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

void append_number(std::string& out, size_t n) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

}  // namespace

void write_response_head(std::string& out, int status, const Headers& headers, size_t body_size, bool keep_alive) {
  if (status < 100 || status > 999) status = 500;
  out += "HTTP/1.1 ";
  append_number(out, static_cast<size_t>(status));
  out.push_back(' ');
  const auto reason = beast::http::obsolete_reason(static_cast<beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  bool named_server = false, sniffing_said = false;
  for (const auto& [name, value] : headers.items()) {
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection")) continue;
    if (iequals(name, "Server")) named_server = true;
    if (iequals(name, "X-Content-Type-Options")) sniffing_said = true;
    append_header_text(out, name);
    out += ": ";
    append_header_text(out, value);
    out += "\r\n";
  }
  if (!named_server) out += "Server: docent\r\n";
  if (!sniffing_said) out += "X-Content-Type-Options: nosniff\r\n";
  if (!status_has_no_body(status)) {
    out += "Content-Length: ";
    append_number(out, body_size);
    out += "\r\n";
  }
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

}  // namespace docent::http
