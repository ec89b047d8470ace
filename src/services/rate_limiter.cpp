#include "services/rate_limiter.h"

#include "core/log.h"
#include "store/rate_limits.h"

#include <boost/json.hpp>

#include <algorithm>
#include <atomic>

namespace docent::services {

namespace {

using std::chrono::microseconds;

int64_t period_us(const core::Rate& r) { return static_cast<int64_t>(r.period.count()) * 1000; }
// The emission interval: one request's share of the period, in integer microseconds rounded up,
// so the sustained rate never passes the limit (rounding down would: 10^9 an hour is 3.6 µs, and
// 3 µs lets 1.2 * 10^9 through).
int64_t interval_us(const core::Rate& r) { return std::max<int64_t>(1, (period_us(r) + r.count - 1) / r.count); }
// How far ahead of now the arrival time may run: `count` intervals, so a fresh counter admits
// exactly `count` at once (the period itself would admit one fewer when the interval rounded up).
int64_t burst_us(const core::Rate& r) { return interval_us(r) * r.count; }

// One GCRA step for a counter whose arrival time is `tat` (none: a fresh counter) at `now`.
struct Step {
  CounterState state;
  int64_t next_tat = 0;  // the arrival time after charging (only when admitted)
};

Step gcra(std::optional<int64_t> tat, int64_t now, const core::Rate& rate) {
  const int64_t period = burst_us(rate), interval = interval_us(rate);
  const int64_t base = std::max(tat.value_or(now), now);
  const int64_t next = base + interval;
  Step s;
  if (next - now <= period) {
    s.state.admitted = true;
    s.state.remaining = (period - (next - now)) / interval;
    s.state.reset_after = microseconds(next - now);
    s.state.retry_after = microseconds(0);
    s.next_tat = next;
  } else {
    s.state.admitted = false;
    s.state.remaining = 0;
    s.state.reset_after = microseconds(base - now);
    s.state.retry_after = microseconds(next - now - period);
  }
  return s;
}

// A counter that was not charged because another policy refused: how it stands now.
CounterState uncharged(std::optional<int64_t> tat, int64_t now, const core::Rate& rate) {
  const int64_t period = burst_us(rate), interval = interval_us(rate);
  const int64_t base = std::max(tat.value_or(now), now);
  CounterState st;
  st.admitted = true;
  st.remaining = std::max<int64_t>(0, (period - (base - now)) / interval);
  st.reset_after = microseconds(base - now);
  st.retry_after = microseconds(0);
  return st;
}

class MemoryCounters final : public RateCounters {
 public:
  explicit MemoryCounters(size_t shards) {
    for (size_t i = 0; i < std::max<size_t>(1, shards); ++i) shards_.push_back(std::make_unique<Shard>());
  }

  core::Result<std::vector<CounterState>> acquire(std::string_view subject, const std::vector<CounterCheck>& checks,
                                                  int64_t now) override {
    // Every key of one call belongs to one subject, so one shard's lock makes the call atomic.
    Shard& shard = *shards_[std::hash<std::string_view>{}(subject) % shards_.size()];
    core::MutexLock lock(shard.mu);
    std::vector<Step> steps;
    steps.reserve(checks.size());
    bool all = true;
    for (const CounterCheck& c : checks) {
      auto it = shard.tats.find(c.key);
      steps.push_back(gcra(it == shard.tats.end() ? std::nullopt : std::optional<int64_t>(it->second), now, c.rate));
      all = all && steps.back().state.admitted;
    }
    std::vector<CounterState> out;
    out.reserve(checks.size());
    for (size_t i = 0; i < checks.size(); ++i) {
      if (all) {
        shard.tats[checks[i].key] = steps[i].next_tat;
        out.push_back(steps[i].state);
      } else if (steps[i].state.admitted) {
        auto it = shard.tats.find(checks[i].key);
        out.push_back(
            uncharged(it == shard.tats.end() ? std::nullopt : std::optional<int64_t>(it->second), now, checks[i].rate));
      } else {
        out.push_back(steps[i].state);
      }
    }
    if (shard.tats.size() >= shard.sweep_at) sweep(shard, now);
    return out;
  }

 private:
  struct Shard {
    core::Mutex mu;
    std::unordered_map<std::string, int64_t> tats GUARDED_BY(mu);
    size_t sweep_at GUARDED_BY(mu) = 1024;
  };

  // A key whose arrival time has passed is a full counter, the same as no key: drop those. The
  // next sweep waits until the shard has doubled, so sweeping costs O(1) per request amortised.
  static void sweep(Shard& shard, int64_t now) REQUIRES(shard.mu) {
    for (auto it = shard.tats.begin(); it != shard.tats.end();) {
      if (it->second <= now) {
        it = shard.tats.erase(it);
      } else {
        ++it;
      }
    }
    shard.sweep_at = std::max<size_t>(1024, 2 * shard.tats.size());
  }

  std::vector<std::unique_ptr<Shard>> shards_;
};

class DatabaseCounters final : public RateCounters {
 public:
  explicit DatabaseCounters(store::Database& db) : db_(db) {}

  core::Result<std::vector<CounterState>> acquire(std::string_view, const std::vector<CounterCheck>& checks,
                                                  int64_t now) override {
    std::vector<CounterState> out;
    bool refused = false;
    const bool evict = calls_.fetch_add(1, std::memory_order_relaxed) % kEvictEvery == 0;
    // A refusal rolls the transaction back (so the counters charged before it are not), and is
    // told apart from a failure by this flag.
    auto st = db_.write([&](store::Tx& tx) -> core::Status {
      out.clear();
      refused = false;
      for (const CounterCheck& c : checks) {
        auto next = store::rate_limits::charge(tx, c.key, now, interval_us(c.rate), burst_us(c.rate));
        if (!next) return next.error();
        if (*next) {
          out.push_back(gcra(**next - interval_us(c.rate), now, c.rate).state);
          continue;
        }
        auto tat = store::rate_limits::tat(tx, c.key);
        if (!tat) return tat.error();
        out.push_back(gcra(*tat, now, c.rate).state);
        refused = true;
      }
      if (refused) return core::Error(core::Code::RateLimited, "refused");
      if (evict) return store::rate_limits::evict(tx, now);
      return {};
    });
    if (!st && !refused) return st.error();
    if (refused) {
      // The admitted states above were charged and rolled back: report them as they stand.
      for (size_t i = 0; i < out.size(); ++i) {
        if (out[i].admitted) {
          const int64_t base = now + out[i].reset_after.count() - interval_us(checks[i].rate);
          out[i] = uncharged(base, now, checks[i].rate);
        }
      }
    }
    return out;
  }

 private:
  static constexpr uint64_t kEvictEvery = 1024;
  store::Database& db_;
  std::atomic<uint64_t> calls_{0};
};

int64_t system_now_us() {
  return std::chrono::duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::unique_ptr<RateCounters> memory_rate_counters(size_t shards) { return std::make_unique<MemoryCounters>(shards); }

std::unique_ptr<RateCounters> database_rate_counters(store::Database& db) {
  return std::make_unique<DatabaseCounters>(db);
}

bool is_rate_policy(std::string_view name) {
  return std::find(kRatePolicies.begin(), kRatePolicies.end(), name) != kRatePolicies.end();
}

bool is_tier(std::string_view tier) { return std::find(kTiers.begin(), kTiers.end(), tier) != kTiers.end(); }

core::Result<std::map<std::string, core::Rate, std::less<>>> configured_rates(const core::LimitsConfig& l) {
  const std::pair<std::string_view, const std::string*> fields[] = {
      {"spherechat_pdf", &l.spherechat_pdf},
      {"spherechat_chat", &l.spherechat_chat},
      {"spherechat_generation", &l.spherechat_generation},
      {"nexus_text", &l.nexus_text},
      {"nexus_image", &l.nexus_image},
      {"nexus_voice", &l.nexus_voice},
      {"nexus_sessions", &l.nexus_sessions},
      {"nexus_global", &l.nexus_global},
      {"chatbot_standard", &l.chatbot_standard},
      {"chatbot_premium", &l.chatbot_premium},
      {"chatbot_enterprise", &l.chatbot_enterprise},
      {"native_default", &l.native_default},
      {"register_device", &l.register_device},
      {"login", &l.login},
  };
  static_assert(std::size(fields) == kRatePolicies.size());
  std::map<std::string, core::Rate, std::less<>> out;
  for (const auto& [name, text] : fields) {
    auto rate = core::parse_rate(*text);
    if (!rate) {
      return core::Error(core::Code::InvalidInput,
                         "limits." + std::string(name) + ": '" + *text + "' is not a rate (N/period or off)",
                         "limits." + std::string(name));
    }
    out.emplace(name, *rate);
  }
  return out;
}

std::vector<std::pair<std::string, core::Rate>> parse_rate_overrides(std::string_view text) {
  std::vector<std::pair<std::string, core::Rate>> out;
  if (text.empty() || text == "{}") return out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [name, value] : v.as_object()) {
    if (!is_rate_policy(name) || !value.is_string()) continue;
    if (auto rate = core::parse_rate(value.as_string())) out.emplace_back(std::string(name), *rate);
  }
  return out;
}

const PolicyOutcome* LimitDecision::closest() const {
  const PolicyOutcome* best = nullptr;
  for (const PolicyOutcome& o : outcomes) {
    if (!best) {
      best = &o;
    } else if (!o.state.admitted) {
      if (best->state.admitted || o.state.retry_after > best->state.retry_after) best = &o;
    } else if (best->state.admitted && o.state.remaining < best->state.remaining) {
      best = &o;
    }
  }
  return best;
}

RateLimiter::RateLimiter(std::map<std::string, core::Rate, std::less<>> rates, std::unique_ptr<RateCounters> counters,
                         Clock clock)
    : rates_(std::move(rates)), counters_(std::move(counters)), clock_(clock ? std::move(clock) : system_now_us) {}

core::Rate RateLimiter::rate_of(std::string_view policy,
                                const std::vector<std::pair<std::string, core::Rate>>* overrides) const {
  if (overrides) {
    for (const auto& [name, rate] : *overrides) {
      if (name == policy) return rate;
    }
  }
  auto it = rates_.find(policy);
  return it == rates_.end() ? core::Rate{} : it->second;
}

core::Result<LimitDecision> RateLimiter::check(std::string_view subject, std::span<const std::string> policies,
                                               const std::vector<std::pair<std::string, core::Rate>>* overrides) {
  LimitDecision d;
  std::vector<CounterCheck> checks;
  for (const std::string& policy : policies) {
    core::Rate rate = rate_of(policy, overrides);
    if (rate.unlimited()) continue;
    // The rate is not part of the key: an admin's new rate applies to the counter as it stands.
    checks.push_back({policy + "|" + std::string(subject), rate});
    d.outcomes.push_back({policy, rate, {}});
  }
  if (checks.empty()) return d;
  auto states = counters_->acquire(subject, checks, clock_());
  if (!states) return states.error();
  for (size_t i = 0; i < states->size(); ++i) {
    d.outcomes[i].state = (*states)[i];
    d.admitted = d.admitted && (*states)[i].admitted;
  }
  return d;
}

}  // namespace docent::services
