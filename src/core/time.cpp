#include "core/time.h"

#include <ctime>

namespace docent::core {

namespace {

std::string format_utc(std::chrono::system_clock::time_point t, bool millis) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (millis) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms));
    out += frac;
  }
  out.push_back('Z');
  return out;
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) { return format_utc(t, false); }
std::string rfc3339_now() { return rfc3339(std::chrono::system_clock::now()); }
std::string rfc3339_ms(std::chrono::system_clock::time_point t) { return format_utc(t, true); }
int64_t unix_seconds_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t unix_seconds(const std::string& rfc3339) {
  std::tm tm{};
  if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace docent::core
