#pragma once
// Structured logging on spdlog: a constant message plus typed key/value fields, one line each on
// stderr, either human text or one JSON object per line.
//
//   log::info("request", {{"method", "GET"}, {"path", "/health"}, {"status", 200}, {"ms", 1.2}});
//
// text: 2024-06-01T12:00:00.123Z INFO  request method=GET path=/health status=200 ms=1.2
// json: {"ts":"2024-06-01T12:00:00.123Z","level":"info","msg":"request","method":"GET",...}
//
// Thread-safe: lines from different threads never interleave. Cheap when a level is off: the
// check is one relaxed atomic load, done before anything is formatted (the fields themselves are
// only views and numbers, built without allocating). Plain spdlog::info(...) calls elsewhere go to
// the same place in the same format, with their text as msg.

#include <atomic>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>

namespace docent::core {

// Configures logging for the process; call at startup and whenever the settings change.
// `level`: trace, debug, info, warn, error or off (any case). `format`: text or json. An unknown
// level or format falls back to info / text and says so in a warning line (config.cpp validates
// both before they get here). `out`: where lines go; nullptr means stderr. Tests pass a
// std::ostringstream, which must outlive logging or be replaced by another init_logging call.
// Before the first call, logging is at info level, as text, on stderr.
void init_logging(std::string_view level, std::string_view format, std::ostream* out = nullptr);

namespace log {

enum class Level { Trace, Debug, Info, Warn, Error, Off };

// A field value: text, a signed or unsigned integer, a floating-point number or a boolean.
// Holds text by view: build Fields in the log call itself, never store them.
class Value {
 public:
  enum class Kind { String, Int, Uint, Double, Bool };

  Value(std::string_view v) : kind_(Kind::String), s_(v) {}                 // NOLINT: implicit by design
  Value(const char* v) : kind_(Kind::String), s_(v != nullptr ? v : "") {}  // NOLINT
  Value(const std::string& v) : kind_(Kind::String), s_(v) {}               // NOLINT
  Value(bool v) : kind_(Kind::Bool), b_(v) {}                               // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T v) {  // NOLINT
    if constexpr (std::signed_integral<T>) {
      kind_ = Kind::Int;
      i_ = v;
    } else {
      kind_ = Kind::Uint;
      u_ = v;
    }
  }
  template <std::floating_point T>
  Value(T v) : kind_(Kind::Double), d_(static_cast<double>(v)) {}  // NOLINT

  Kind kind() const { return kind_; }
  std::string_view as_string() const { return s_; }
  std::int64_t as_int() const { return i_; }
  std::uint64_t as_uint() const { return u_; }
  double as_double() const { return d_; }
  bool as_bool() const { return b_; }

 private:
  Kind kind_;
  std::string_view s_;
  union {
    std::int64_t i_ = 0;
    std::uint64_t u_;
    double d_;
    bool b_;
  };
};

// In JSON, a field named ts, level or msg is written as _ts, _level, _msg.
struct Field {
  std::string_view key;
  Value value;
};
using Fields = std::initializer_list<Field>;

namespace detail {
// The least severe level written, as an int of Level. Written only by init_logging.
inline std::atomic<int> g_min_level{static_cast<int>(Level::Info)};
}  // namespace detail

// Whether a line at `level` would be written: check this before building costly fields.
inline bool enabled(Level level) {
  return static_cast<int>(level) >= detail::g_min_level.load(std::memory_order_relaxed);
}

// Writes one line regardless of the level; prefer the functions below.
void write(Level level, std::string_view msg, Fields fields);

inline void trace(std::string_view msg, Fields fields = {}) {
  if (enabled(Level::Trace)) write(Level::Trace, msg, fields);
}
inline void debug(std::string_view msg, Fields fields = {}) {
  if (enabled(Level::Debug)) write(Level::Debug, msg, fields);
}
inline void info(std::string_view msg, Fields fields = {}) {
  if (enabled(Level::Info)) write(Level::Info, msg, fields);
}
inline void warn(std::string_view msg, Fields fields = {}) {
  if (enabled(Level::Warn)) write(Level::Warn, msg, fields);
}
inline void error(std::string_view msg, Fields fields = {}) {
  if (enabled(Level::Error)) write(Level::Error, msg, fields);
}

}  // namespace log
}  // namespace docent::core
