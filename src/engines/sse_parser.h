#pragma once
// An incremental Server-Sent Events parser for upstream model streams (the WHATWG event-stream
// format): feed it bytes as they arrive, in pieces of any size, and it yields complete events.
//   - lines end in LF, CRLF or CR (a CRLF split across two feeds is handled);
//   - "data:" lines of one event are joined with '\n'; "event:" and "id:" are kept; a line
//     starting with ':' is a comment and ignored; a blank line ends the event;
//   - one optional space after the colon is removed; a field with no colon has an empty value.
// A line longer than the limit is an error (a server that never sends a newline must not grow
// our memory without bound).

#include "core/error.h"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

struct SseEvent {
  std::string event;  // empty = "message"
  std::string data;
  std::string id;
};

class SseParser {
 public:
  static constexpr size_t kDefaultMaxLine = 4 * 1024 * 1024;
  explicit SseParser(size_t max_line = kDefaultMaxLine) : max_line_(max_line) {}

  // Consumes bytes and appends every event they complete to `out`. Errors: UpstreamError for a
  // line past the limit (the parser stays failed).
  core::Status feed(std::string_view bytes, std::vector<SseEvent>& out);
  // At the end of the stream: an event that lacked its final blank line is dispatched, as
  // servers that close right after the last "data:" line expect.
  void finish(std::vector<SseEvent>& out);

 private:
  void line(std::string_view l, std::vector<SseEvent>& out);
  void dispatch(std::vector<SseEvent>& out);

  size_t max_line_;
  std::string partial_;  // an unfinished line
  bool after_cr_ = false;
  bool failed_ = false;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace docent::engines
