#pragma once
// Wall-clock helpers. Timestamps in API responses are RFC 3339 UTC with a 'Z'.

#include <chrono>
#include <cstdint>
#include <string>

namespace docent::core {

// e.g. "2024-01-15T10:30:00Z" (seconds precision, as the seeds show).
std::string rfc3339(std::chrono::system_clock::time_point t);
std::string rfc3339_now();
// Milliseconds precision: "2024-01-15T10:30:00.123Z" (logs).
std::string rfc3339_ms(std::chrono::system_clock::time_point t);
int64_t unix_seconds_now();
// Unix seconds of an RFC 3339 UTC timestamp ("2024-01-15T10:30:00Z", fraction ignored); 0 if malformed.
int64_t unix_seconds(const std::string& rfc3339);

}  // namespace docent::core
