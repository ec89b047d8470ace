#include "engines/sse_parser.h"

namespace docent::engines {

core::Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return core::Error(core::Code::UpstreamError, "upstream event stream line too long");
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = (c == '\r');
      line(partial_, out);
      partial_.clear();
      continue;
    }
    partial_.push_back(c);
    if (partial_.size() > max_line_) {
      failed_ = true;
      return core::Error(core::Code::UpstreamError, "upstream event stream line too long");
    }
  }
  return {};
}

void SseParser::finish(std::vector<SseEvent>& out) {
  if (!partial_.empty()) {
    line(partial_, out);
    partial_.clear();
  }
  dispatch(out);
}

void SseParser::line(std::string_view l, std::vector<SseEvent>& out) {
  if (l.empty()) {
    dispatch(out);
    return;
  }
  if (l.front() == ':') return;  // comment (heartbeats)
  std::string_view field = l, value;
  if (auto colon = l.find(':'); colon != std::string_view::npos) {
    field = l.substr(0, colon);
    value = l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event = std::string(value);
  } else if (field == "id") {
    current_.id = std::string(value);
  }
  // "retry" and unknown fields are ignored.
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
  if (has_data_) out.push_back(std::move(current_));
  current_ = SseEvent{};
  has_data_ = false;
}

}  // namespace docent::engines
