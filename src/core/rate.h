#pragma once
// A request rate, "N per period", as the settings and an admin's per-account overrides write it:
// "100/hour", "10/min", "5/30s", "2000/1m"; "0", "off" and "unlimited" mean no limit.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace docent::core {

struct Rate {
  std::int64_t count = 0;  // requests admitted per period; 0 = unlimited
  std::chrono::milliseconds period{0};

  bool unlimited() const { return count <= 0 || period.count() <= 0; }
  bool operator==(const Rate&) const = default;
};

// Parses "N/period". The period is an optional whole number followed by a unit: s, sec, second,
// m, min, minute, h, hour, d, day (plural and any case accepted): "3/2s" is three every two
// seconds. N is 1 to 1,000,000,000, the period 1 second to 366 days. nullopt for anything else.
std::optional<Rate> parse_rate(std::string_view text);

// The canonical text that parse_rate reads back: "100/hour", "10/min", "3/2s", "off".
std::string format_rate(const Rate& rate);

// In words, as the nexus seed writes a limit: "100 requests per hour", "3 requests per 2 seconds".
std::string describe_rate(const Rate& rate);

}  // namespace docent::core
