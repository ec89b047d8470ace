#include "http/message.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace docent::http {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::Get: return "GET";
    case Method::Head: return "HEAD";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Patch: return "PATCH";
    case Method::Delete: return "DELETE";
    case Method::Options: return "OPTIONS";
    case Method::Other: return "OTHER";
  }
  return "OTHER";
}

Method parse_method(std::string_view s) {
  if (s == "GET") return Method::Get;
  if (s == "POST") return Method::Post;
  if (s == "PUT") return Method::Put;
  if (s == "DELETE") return Method::Delete;
  if (s == "PATCH") return Method::Patch;
  if (s == "HEAD") return Method::Head;
  if (s == "OPTIONS") return Method::Options;
  return Method::Other;
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

std::string format_sse_event(std::string_view data, std::string_view event, std::string_view id) {
  std::string out;
  out.reserve(data.size() + 16);
  // Field values may not contain line breaks; strip them from event and id.
  auto one_line = [](std::string_view v) {
    std::string s(v);
    std::erase_if(s, [](char c) { return c == '\n' || c == '\r'; });
    return s;
  };
  if (!event.empty()) out += "event: " + one_line(event) + "\n";
  if (!id.empty()) out += "id: " + one_line(id) + "\n";
  // Each line of the payload (split on \r\n, \n or \r) becomes its own data: line.
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    out += "\n";
    if (end == std::string_view::npos) break;
    start = end + ((data[end] == '\r' && end + 1 < data.size() && data[end + 1] == '\n') ? 2 : 1);
    if (start == data.size()) {  // a trailing line break: one empty data line keeps it
      out += "data: \n";
      break;
    }
  }
  out += "\n";
  return out;
}

Response Response::json(int status, const boost::json::value& body) {
  return json(status, boost::json::serialize(body));
}

Response Response::json(int status, std::string serialized) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = std::move(serialized);
  return r;
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::stream(std::function<void(SseSink&)> producer) {
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", "text/event-stream");
  r.headers.set("Cache-Control", "no-cache");
  r.headers.set("X-Accel-Buffering", "no");
  r.sse = std::move(producer);
  return r;
}

Response Response::stream_on_first_event(std::function<void(SseSink&)> producer) {
  Response r = stream(std::move(producer));
  r.sse_head_on_first_event = true;
  return r;
}

Response Response::byte_stream(std::string content_type, std::function<void(SseSink&)> producer) {
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", std::move(content_type));
  r.headers.set("Cache-Control", "no-cache");
  r.headers.set("X-Accel-Buffering", "no");
  r.sse = std::move(producer);
  r.sse_head_on_first_event = true;
  r.raw_stream = true;
  return r;
}

Response Response::send_file(std::filesystem::path path, std::string content_type) {
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", std::move(content_type));
  r.file = std::move(path);
  return r;
}

}  // namespace docent::http
