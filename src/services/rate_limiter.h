#pragma once
// Rate limits: named policies ("nexus_text": 10 per minute), each counted per subject (an API
// key, an account or a client address), decided before any work is done (DESIGN.md §6b).
//
// The algorithm is GCRA, the generic cell rate algorithm (docs/ARCHITECTURE.md, "Rate limits"):
// a counter is one number, its theoretical arrival time `tat`. A rate of N per period admits a
// request at `now` when max(tat, now) + period/N - now <= period, and then sets tat to that sum.
// So N requests may come at once, and after that one every period/N; nothing is ever forgotten
// or counted twice at a window's edge, and Remaining, Reset and Retry-After follow from tat.
//
// Counters live behind RateCounters: in this process (memory_rate_counters, the default: one
// process owns a SQLite data folder) or in the database (database_rate_counters: one statement per
// counter in one write transaction, so every process on the database shares them).

#include "core/config.h"
#include "core/rate.h"
#include "core/thread_annotations.h"
#include "services/principal.h"
#include "store/database.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace docent::services {

// Every policy, by the name its setting (limits.NAME) and an account's overrides use.
inline constexpr std::array<std::string_view, 14> kRatePolicies = {
    "spherechat_pdf",   "spherechat_chat", "spherechat_generation", "nexus_text",
    "nexus_image",      "nexus_voice",     "nexus_sessions",        "nexus_global",
    "chatbot_standard", "chatbot_premium", "chatbot_enterprise",    "native_default",
    "register_device",  "login",
};
bool is_rate_policy(std::string_view name);

// The account tiers (accounts.tier); each names the chatbot policy "chatbot_<tier>".
inline constexpr std::array<std::string_view, 3> kTiers = {"standard", "premium", "enterprise"};
bool is_tier(std::string_view tier);

// The configured rate of every policy (limits.NAME). InvalidInput naming the setting for a value
// that is not a rate (load_config checks them too).
core::Result<std::map<std::string, core::Rate, std::less<>>> configured_rates(const core::LimitsConfig& limits);

// An account's overrides as stored (a JSON object of policy -> "N/period" or "off"). Unknown
// policies and unreadable values are skipped: what is stored was checked when it was written.
std::vector<std::pair<std::string, core::Rate>> parse_rate_overrides(std::string_view json);

// One counter to charge: the key names the policy and the subject.
struct CounterCheck {
  std::string key;
  core::Rate rate;  // never unlimited
};

// A counter after a check.
struct CounterState {
  bool admitted = false;
  int64_t remaining = 0;                  // requests still admitted at once after this one
  std::chrono::microseconds reset_after;  // until the counter is full again (Remaining = limit)
  std::chrono::microseconds retry_after;  // refused: until one request would be admitted; else 0
};

// The counters. Implementations are thread-safe.
class RateCounters {
 public:
  virtual ~RateCounters() = default;
  // Charges one request to every counter of `checks`, or to none: when any of them refuses, no
  // counter changes. All of one call's keys must belong to one subject (they share a shard).
  // One state per check, in order. `now_us`: Unix microseconds.
  virtual core::Result<std::vector<CounterState>> acquire(std::string_view subject,
                                                          const std::vector<CounterCheck>& checks, int64_t now_us) = 0;
};

// In this process: counters in a map sharded by subject, each shard under its own mutex. Keys whose
// time has passed are dropped as the shard grows, so memory follows the subjects active lately.
std::unique_ptr<RateCounters> memory_rate_counters(size_t shards = 16);
// In `db` (store/rate_limits.h), shared by every process using it. Must not be called inside
// another transaction of `db`.
std::unique_ptr<RateCounters> database_rate_counters(store::Database& db);

// What one policy said about one request.
struct PolicyOutcome {
  std::string policy;
  core::Rate rate;
  CounterState state;
};

struct LimitDecision {
  bool admitted = true;
  std::vector<PolicyOutcome> outcomes;  // the limited policies, in the order asked; empty: none
  // The outcome closest to refusal: a refusing one (the longest wait), else the least remaining.
  // Null when outcomes is empty.
  const PolicyOutcome* closest() const;
};

class RateLimiter {
 public:
  using Clock = std::function<int64_t()>;  // Unix microseconds

  RateLimiter(std::map<std::string, core::Rate, std::less<>> rates, std::unique_ptr<RateCounters> counters,
              Clock clock = {});

  // The rate of `policy` for a caller with these overrides (an admin's, from the Principal).
  core::Rate rate_of(std::string_view policy,
                     const std::vector<std::pair<std::string, core::Rate>>* overrides = nullptr) const;

  // Charges one request of `subject` ("key:<id>", "account:<id>", "address:<ip>") to each policy,
  // all or none. Unlimited policies are left out of the decision. An error from the counters
  // (the database) is returned as is; the caller decides whether to admit.
  core::Result<LimitDecision> check(std::string_view subject, std::span<const std::string> policies,
                                    const std::vector<std::pair<std::string, core::Rate>>* overrides = nullptr);

  int64_t now_us() const { return clock_(); }

 private:
  std::map<std::string, core::Rate, std::less<>> rates_;
  std::unique_ptr<RateCounters> counters_;
  Clock clock_;
};

}  // namespace docent::services
