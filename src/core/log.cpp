#include "core/log.h"

#include "core/thread_annotations.h"

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/base_sink-inl.h>  // the compiled library instantiates base_sink for std::mutex only
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <ostream>

namespace docent::core {

namespace {

using Buffer = fmt::memory_buffer;

enum class Format { Text, Json };

// Our own lines reach the sink through one of two loggers, named after how their payload was
// rendered, so a line is always framed the way it was formatted even while init_logging switches
// format. Anything else (spdlog's default logger) carries plain text.
constexpr std::string_view kTextLogger = "docent.text";
constexpr std::string_view kJsonLogger = "docent.json";

std::atomic<Format> g_format{Format::Text};

void append(Buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

// The length of the valid UTF-8 sequence starting at s[i] (a non-ASCII byte), or 0.
size_t utf8_sequence(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return 0;
  if (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return 0;
  return n;
}

// A JSON string literal; invalid UTF-8 becomes U+FFFD so every line stays parseable.
void append_json_string(Buffer& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = utf8_sequence(s, i);
      if (n == 0) {
        append(out, "\\ufffd");
        ++i;
      } else {
        append(out, s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"': append(out, "\\\""); break;
      case '\\': append(out, "\\\\"); break;
      case '\n': append(out, "\\n"); break;
      case '\r': append(out, "\\r"); break;
      case '\t': append(out, "\\t"); break;
      case '\b': append(out, "\\b"); break;
      case '\f': append(out, "\\f"); break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

// Text mode: control characters are escaped so one call is always one line.
void append_text(Buffer& out, std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      append(out, "\\n");
    } else if (c == '\r') {
      append(out, "\\r");
    } else if (c == '\t') {
      append(out, "\\t");
    } else if (c < 0x20 || c == 0x7f) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    } else {
      out.push_back(ch);
    }
  }
}

// Text mode values are quoted when empty or when they hold a space, '=', '"' or a control byte.
void append_text_value(Buffer& out, std::string_view s) {
  const bool quote = s.empty() || std::any_of(s.begin(), s.end(), [](char ch) {
                       const auto c = static_cast<unsigned char>(ch);
                       return c <= 0x20 || c == 0x7f || ch == '=' || ch == '"';
                     });
  if (!quote) {
    append(out, s);
    return;
  }
  out.push_back('"');
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else {
      append_text(out, std::string_view(&ch, 1));
    }
  }
  out.push_back('"');
}

void append_value(Buffer& out, const log::Value& v, Format format) {
  using Kind = log::Value::Kind;
  switch (v.kind()) {
    case Kind::String:
      if (format == Format::Json) {
        append_json_string(out, v.as_string());
      } else {
        append_text_value(out, v.as_string());
      }
      return;
    case Kind::Int: {
      const fmt::format_int f(v.as_int());
      out.append(f.data(), f.data() + f.size());
    }
      return;
    case Kind::Uint: {
      const fmt::format_int f(v.as_uint());
      out.append(f.data(), f.data() + f.size());
    }
      return;
    case Kind::Double:
      if (format == Format::Json && !std::isfinite(v.as_double())) {
        append(out, "null");
      } else {
        fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}"), v.as_double());
      }
      return;
    case Kind::Bool: append(out, v.as_bool() ? "true" : "false"); return;
  }
}

spdlog::level::level_enum to_spdlog(log::Level level) {
  switch (level) {
    case log::Level::Trace: return spdlog::level::trace;
    case log::Level::Debug: return spdlog::level::debug;
    case log::Level::Info: return spdlog::level::info;
    case log::Level::Warn: return spdlog::level::warn;
    case log::Level::Error: return spdlog::level::err;
    case log::Level::Off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::optional<log::Level> parse_level(std::string_view text) {
  std::string v(text);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "trace") return log::Level::Trace;
  if (v == "debug") return log::Level::Debug;
  if (v == "info") return log::Level::Info;
  if (v == "warn" || v == "warning") return log::Level::Warn;
  if (v == "error") return log::Level::Error;
  if (v == "off") return log::Level::Off;
  return std::nullopt;
}

std::string_view level_name(spdlog::level::level_enum level, Format format) {
  const bool json = format == Format::Json;
  switch (level) {
    case spdlog::level::trace: return json ? "trace" : "TRACE";
    case spdlog::level::debug: return json ? "debug" : "DEBUG";
    case spdlog::level::info: return json ? "info" : "INFO ";
    case spdlog::level::warn: return json ? "warn" : "WARN ";
    case spdlog::level::err: return json ? "error" : "ERROR";
    case spdlog::level::critical: return json ? "critical" : "CRIT ";
    default: return json ? "off" : "OFF  ";
  }
}

// RFC 3339, UTC, milliseconds: 2024-06-01T12:00:00.123Z. Lines come many a second, so each
// thread keeps the text of the last second it formatted and only writes the milliseconds anew.
void append_timestamp(Buffer& out, std::chrono::system_clock::time_point tp) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch());
  const auto whole = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto ms = static_cast<int>((since_epoch - whole).count());
  thread_local std::int64_t cached_second = INT64_MIN;
  thread_local char cached_text[24];  // "2024-06-01T12:00:00."
  thread_local size_t cached_size = 0;
  if (whole.count() != cached_second) {
    const std::time_t secs = static_cast<std::time_t>(whole.count());
    std::tm tm{};
    gmtime_r(&secs, &tm);
    const auto end = fmt::format_to_n(cached_text, sizeof cached_text,
                                      FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}."), tm.tm_year + 1900,
                                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_size = std::min(end.size, sizeof cached_text);
    cached_second = whole.count();
  }
  out.append(cached_text, cached_text + cached_size);
  const char digits[4] = {static_cast<char>('0' + ms / 100), static_cast<char>('0' + ms / 10 % 10),
                          static_cast<char>('0' + ms % 10), 'Z'};
  out.append(digits, digits + 4);
}

// Frames each message as a whole line and writes it to stderr or the stream given by
// init_logging, under the sink's mutex (base_sink::mutex_ guards out_ and every write).
class LineSink final : public spdlog::sinks::base_sink<Mutex> {
 public:
  void set_output(std::ostream* out) EXCLUDES(mutex_) {
    MutexLock lock(mutex_);
    if (out_ != nullptr) out_->flush();
    out_ = out;
  }

 protected:
  // base_sink calls these two with mutex_ held.
  void sink_it_(const spdlog::details::log_msg& msg) override REQUIRES(mutex_) {
    const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const bool ours = logger == kTextLogger || logger == kJsonLogger;
    const Format format = logger == kJsonLogger   ? Format::Json
                          : logger == kTextLogger ? Format::Text
                                                  : g_format.load(std::memory_order_relaxed);
    Buffer line;
    if (format == Format::Json) {
      append(line, "{\"ts\":\"");
      append_timestamp(line, msg.time);
      append(line, "\",\"level\":\"");
      append(line, level_name(msg.level, format));
      append(line, "\",");
      if (ours) {
        append(line, payload);
      } else {
        append(line, "\"msg\":");
        append_json_string(line, payload);
      }
      append(line, "}\n");
    } else {
      append_timestamp(line, msg.time);
      line.push_back(' ');
      append(line, level_name(msg.level, format));
      line.push_back(' ');
      if (ours) {
        append(line, payload);
      } else {
        append_text(line, payload);
      }
      line.push_back('\n');
    }
    if (out_ != nullptr) {
      out_->write(line.data(), static_cast<std::streamsize>(line.size()));
      return;
    }
    // stderr is unbuffered: one write(2) per line would cost more than the request it logs. Lines
    // collect here and go out when 64 KiB gather, at once for warnings and errors, and at least
    // every 200 ms from the flusher thread (a crash loses at most that much info-level output).
    pending_.append(line.data(), line.size());
    if (pending_.size() >= kPendingLimit || msg.level >= spdlog::level::warn) write_pending();
  }

  void flush_() override REQUIRES(mutex_) {
    if (out_ != nullptr) {
      out_->flush();
    } else {
      write_pending();
    }
  }

 private:
  static constexpr size_t kPendingLimit = 64 * 1024;

  void write_pending() REQUIRES(mutex_) {
    if (pending_.empty()) return;
    std::fwrite(pending_.data(), 1, pending_.size(), stderr);
    std::fflush(stderr);
    pending_.clear();
  }

  std::ostream* out_ GUARDED_BY(mutex_) = nullptr;  // nullptr: stderr.
  std::string pending_ GUARDED_BY(mutex_);          // lines not yet written to stderr.
};

struct State;
State& state();

struct State {
  std::shared_ptr<LineSink> sink = std::make_shared<LineSink>();
  std::shared_ptr<spdlog::logger> text = std::make_shared<spdlog::logger>(std::string(kTextLogger), sink);
  std::shared_ptr<spdlog::logger> json = std::make_shared<spdlog::logger>(std::string(kJsonLogger), sink);
  std::shared_ptr<spdlog::logger> plain = std::make_shared<spdlog::logger>("", sink);

  State() {
    // Our loggers pass everything; log::enabled() already decided.
    text->set_level(spdlog::level::trace);
    json->set_level(spdlog::level::trace);
    plain->set_level(spdlog::level::info);
    spdlog::set_default_logger(plain);
    // The flusher owns a reference to the sink and State is never destroyed, so nothing it touches
    // can go away under it: detaching it is safe, and it dies with the process.
    std::thread([sink = sink] {
      while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        sink->flush();
      }
    }).detach();
    std::atexit([] { state().sink->flush(); });
  }
};

// Built on first use and never destroyed, so threads still logging while the process exits
// don't touch a dead logger.
State& state() {
  alignas(State) static unsigned char storage[sizeof(State)];
  static State* const instance = ::new (static_cast<void*>(storage)) State();
  return *instance;
}

}  // namespace

void init_logging(std::string_view level, std::string_view format, std::ostream* out) {
  State& s = state();
  s.sink->set_output(out);

  const std::optional<log::Level> parsed_level = parse_level(level);
  const log::Level min = parsed_level.value_or(log::Level::Info);
  const bool json = format == "json" || format == "JSON";
  const bool known_format = json || format == "text" || format == "TEXT";

  g_format.store(json ? Format::Json : Format::Text, std::memory_order_relaxed);
  log::detail::g_min_level.store(static_cast<int>(min), std::memory_order_relaxed);
  s.plain->set_level(to_spdlog(min));

  if (!parsed_level) log::warn("unknown log level, using info", {{"level", level}});
  if (!known_format) log::warn("unknown log format, using text", {{"format", format}});
}

namespace log {

void write(Level level, std::string_view msg, Fields fields) {
  if (level == Level::Off) return;
  const Format format = g_format.load(std::memory_order_relaxed);
  Buffer payload;
  if (format == Format::Json) {
    append(payload, "\"msg\":");
    append_json_string(payload, msg);
    for (const Field& f : fields) {
      payload.push_back(',');
      if (f.key == "ts" || f.key == "level" || f.key == "msg") {
        Buffer renamed;
        renamed.push_back('_');
        append(renamed, f.key);
        append_json_string(payload, std::string_view(renamed.data(), renamed.size()));
      } else {
        append_json_string(payload, f.key);
      }
      payload.push_back(':');
      append_value(payload, f.value, format);
    }
  } else {
    append_text(payload, msg);
    for (const Field& f : fields) {
      payload.push_back(' ');
      append_text(payload, f.key);
      payload.push_back('=');
      append_value(payload, f.value, format);
    }
  }
  State& s = state();
  (format == Format::Json ? s.json : s.text)
      ->log(to_spdlog(level), spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace log
}  // namespace docent::core
