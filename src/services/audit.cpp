#include "services/audit.h"

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "store/audit.h"

#include <boost/json.hpp>

#include <algorithm>
#include <array>

namespace docent::services {

using core::Code;
using core::Error;

namespace {

// Details whose key contains one of these are never written, whatever the caller passed.
constexpr std::array<std::string_view, 7> kSecretWords = {"password", "key",  "secret",       "token",
                                                          "digest",   "hash", "authorization"};

bool looks_secret(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view w) { return key.find(w) != std::string::npos; });
}

std::string details_json(const std::map<std::string, std::string>& details) {
  boost::json::object o;
  for (const auto& [k, v] : details) {
    if (!looks_secret(k)) o[k] = v.substr(0, 256);
  }
  return boost::json::serialize(o);
}

std::map<std::string, std::string> details_map(const std::string& text) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [k, val] : v.as_object()) {
    if (val.is_string()) out[std::string(k)] = std::string(val.as_string());
  }
  return out;
}

std::optional<std::string> non_empty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

}  // namespace

AuditEntry AuditEntry::by(const Principal& actor, const RequestOrigin& origin, std::string action) {
  AuditEntry e;
  e.action = std::move(action);
  e.actor_account_id = non_empty(actor.account_id);
  e.actor_key_id = non_empty(actor.key_id);
  e.actor_device = actor.via_device;
  e.origin = origin;
  return e;
}

AuditEntry AuditEntry::anonymous(const RequestOrigin& origin, std::string action) {
  AuditEntry e;
  e.action = std::move(action);
  e.origin = origin;
  return e;
}

AuditEntry& AuditEntry::on(std::string type, std::string id, std::optional<std::string> subject_account) {
  target_type = std::move(type);
  target_id = std::move(id);
  subject_account_id = std::move(subject_account);
  return *this;
}

AuditEntry& AuditEntry::failed(std::string reason_code) {
  success = false;
  reason = std::move(reason_code);
  return *this;
}

AuditEntry& AuditEntry::with(std::string key, std::string value) {
  details[std::move(key)] = std::move(value);
  return *this;
}

AuditTrail::AuditTrail(store::Database& db, WallClock clock)
    : db_(db), clock_(clock ? std::move(clock) : WallClock([] { return std::chrono::system_clock::now(); })) {}

core::Status AuditTrail::record(store::Tx& tx, const AuditEntry& e) {
  const auto now = clock_();
  store::AuditRecord r;
  r.id = core::new_id();
  r.created_at = core::rfc3339(now);
  r.created_unix = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  r.actor_account_id = e.actor_account_id;
  r.actor_key_id = e.actor_key_id;
  r.actor_device = e.actor_device;
  r.action = e.action;
  r.target_type = e.target_type;
  r.target_id = e.target_id;
  r.subject_account_id = e.subject_account_id;
  r.outcome = e.success ? "success" : "failure";
  r.reason = e.reason;
  r.client_address = e.origin.client_address.substr(0, 64);
  r.request_id = e.origin.request_id.substr(0, 128);
  r.details = details_json(e.details);
  auto seq = store::audit::insert(tx, r);
  if (!seq) return seq.error();
  return {};
}

core::Status AuditTrail::record(const AuditEntry& e) {
  auto st = db_.write([&](store::Tx& tx) { return record(tx, e); });
  if (!st) core::log::warn("audit record not written", {{"action", e.action}, {"error", st.error().message}});
  return st;
}

core::Result<AuditPage> AuditTrail::list(const Principal& actor, const AuditFilter& f) {
  store::AuditQuery q;
  q.limit = std::clamp<int64_t>(f.limit, 1, 100) + 1;
  if (actor.is_admin()) {
    q.involving = f.account_id;
  } else {
    if (f.account_id && *f.account_id != actor.account_id) {
      return Error(Code::PermissionDenied, "only an admin can read another account's audit records", "account_id");
    }
    q.involving = actor.account_id;
  }
  if (f.outcome && *f.outcome != "success" && *f.outcome != "failure") {
    return Error(Code::InvalidInput, "outcome must be 'success' or 'failure'", "outcome");
  }
  q.action = f.action;
  q.outcome = f.outcome;
  q.since_unix = f.since_unix;
  q.until_unix = f.until_unix;
  if (!f.after.empty()) {
    int64_t seq = 0;
    try {
      size_t used = 0;
      seq = std::stoll(f.after, &used);
      if (used != f.after.size() || seq < 1) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      return Error(Code::InvalidInput, "after is not a cursor this API returned", "after");
    }
    q.before_seq = seq;
  }
  std::vector<store::AuditRecord> rows;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::audit::list(tx, q);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  AuditPage page;
  if (static_cast<int64_t>(rows.size()) == q.limit) {
    rows.pop_back();
    page.has_more = true;
  }
  for (auto& r : rows) {
    AuditRecordView v;
    v.id = r.id;
    v.seq = r.seq;
    v.created_at = r.created_at;
    v.entry.action = r.action;
    v.entry.actor_account_id = r.actor_account_id;
    v.entry.actor_key_id = r.actor_key_id;
    v.entry.actor_device = r.actor_device;
    v.entry.target_type = r.target_type;
    v.entry.target_id = r.target_id;
    v.entry.subject_account_id = r.subject_account_id;
    v.entry.success = r.outcome == "success";
    v.entry.reason = r.reason;
    v.entry.origin = RequestOrigin{r.client_address, r.request_id};
    v.entry.details = details_map(r.details);
    page.items.push_back(std::move(v));
  }
  if (page.has_more) page.next_cursor = std::to_string(page.items.back().seq);
  return page;
}

core::Result<int64_t> AuditTrail::purge_expired(int retention_days) {
  if (retention_days <= 0) return int64_t{0};
  const auto cutoff = clock_() - std::chrono::hours(24) * retention_days;
  const int64_t before = std::chrono::duration_cast<std::chrono::seconds>(cutoff.time_since_epoch()).count();
  int64_t n = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto r = store::audit::purge(tx, before);
    if (!r) return r.error();
    n = *r;
    return {};
  });
  if (!st) return st.error();
  return n;
}

}  // namespace docent::services
