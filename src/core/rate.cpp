#include "core/rate.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>

namespace docent::core {

namespace {

struct Unit {
  std::string_view names[4];
  std::int64_t seconds;
  std::string_view canonical;  // what format_rate writes for a period of one unit
  std::string_view word;
};

constexpr std::array<Unit, 4> kUnits = {{
    {{"s", "sec", "second", "seconds"}, 1, "s", "second"},
    {{"m", "min", "minute", "minutes"}, 60, "min", "minute"},
    {{"h", "hr", "hour", "hours"}, 3600, "hour", "hour"},
    {{"d", "day", "days", "d"}, 86400, "day", "day"},
}};

constexpr std::int64_t kMaxCount = 1'000'000'000;
constexpr std::int64_t kMaxSeconds = 366 * 86400;

std::string lower_trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Leading digits of `s` as a number (consumed from `s`); nullopt when there are none or too many.
std::optional<std::int64_t> take_number(std::string_view& s) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ptr == s.data() || ec != std::errc()) return std::nullopt;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  return n;
}

}  // namespace

std::optional<Rate> parse_rate(std::string_view text) {
  const std::string t = lower_trimmed(text);
  if (t == "0" || t == "off" || t == "unlimited" || t == "none") return Rate{};
  const size_t slash = t.find('/');
  if (slash == std::string::npos) return std::nullopt;
  std::string_view count_text = std::string_view(t).substr(0, slash);
  std::string_view period_text = std::string_view(t).substr(slash + 1);
  while (!count_text.empty() && count_text.back() == ' ') count_text.remove_suffix(1);
  while (!period_text.empty() && period_text.front() == ' ') period_text.remove_prefix(1);
  auto count = take_number(count_text);
  if (!count || !count_text.empty() || *count < 1 || *count > kMaxCount) return std::nullopt;
  std::int64_t multiple = 1;
  if (!period_text.empty() && std::isdigit(static_cast<unsigned char>(period_text.front()))) {
    auto m = take_number(period_text);
    if (!m || *m < 1 || *m > kMaxSeconds) return std::nullopt;
    multiple = *m;
    while (!period_text.empty() && period_text.front() == ' ') period_text.remove_prefix(1);
  }
  for (const Unit& unit : kUnits) {
    for (std::string_view name : unit.names) {
      if (period_text != name) continue;
      const std::int64_t seconds = multiple * unit.seconds;
      if (seconds > kMaxSeconds) return std::nullopt;
      return Rate{*count, std::chrono::seconds(seconds)};
    }
  }
  return std::nullopt;
}

std::string format_rate(const Rate& rate) {
  if (rate.unlimited()) return "off";
  const std::int64_t seconds = rate.period.count() / 1000;
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (seconds % it->seconds != 0) continue;
    const std::int64_t n = seconds / it->seconds;
    if (n == 1) return fmt::format("{}/{}", rate.count, it->canonical);
    return fmt::format("{}/{}{}", rate.count, n, it->names[0]);
  }
  return fmt::format("{}/{}s", rate.count, seconds);
}

std::string describe_rate(const Rate& rate) {
  if (rate.unlimited()) return "unlimited";
  const std::int64_t seconds = rate.period.count() / 1000;
  const std::string_view requests = rate.count == 1 ? "request" : "requests";
  for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
    if (seconds % it->seconds != 0) continue;
    const std::int64_t n = seconds / it->seconds;
    if (n == 1) return fmt::format("{} {} per {}", rate.count, requests, it->word);
    return fmt::format("{} {} per {} {}s", rate.count, requests, n, it->word);
  }
  return fmt::format("{} {} per {} seconds", rate.count, requests, seconds);
}

}  // namespace docent::core
