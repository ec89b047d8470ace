#include "services/quota.h"

#include "core/time.h"
#include "store/accounts.h"
#include "store/auth_generation.h"
#include "store/devices.h"
#include "store/plans.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>

namespace docent::services {

using core::Code;
using core::Error;

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::File: return "files";
    case Metric::Page: return "pages";
    case Metric::Question: return "questions";
    case Metric::Extraction: return "extractions";
    case Metric::Media: return "media";
  }
  return "unknown";
}

namespace {

const Error kPlanNotFound(Code::NotFound, "plan not found");

// The file types a plan may name: what uploads are sniffed as (engines/sniff.h kind_name).
constexpr std::string_view kFileTypes[] = {"pdf", "docx", "html", "markdown", "csv", "text", "image"};

bool valid_plan_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(),
                     [](unsigned char c) { return (std::isalnum(c) && !std::isupper(c)) || c == '-' || c == '_'; });
}

core::Status apply(const PlanInput& in, core::PlanConfig& p) {
  struct Field {
    const char* name;
    const std::optional<std::int64_t>* value;
    std::int64_t* out;
  };
  std::int64_t file_size = static_cast<std::int64_t>(p.file_size);
  const Field fields[] = {{"rank", &in.rank, &p.rank},
                          {"fileSize", &in.file_size, &file_size},
                          {"filePerDay", &in.file_per_day, &p.file_per_day},
                          {"filePerMonth", &in.file_per_month, &p.file_per_month},
                          {"pagePerMonth", &in.page_per_month, &p.page_per_month},
                          {"questionPerDay", &in.question_per_day, &p.question_per_day},
                          {"questionPerMonth", &in.question_per_month, &p.question_per_month},
                          {"fileCappacity", &in.file_capacity, &p.file_capacity},
                          {"extractionPerMonth", &in.extraction_per_month, &p.extraction_per_month},
                          {"mediaPerDay", &in.media_per_day, &p.media_per_day},
                          {"mediaPerMonth", &in.media_per_month, &p.media_per_month}};
  for (const auto& f : fields) {
    if (!*f.value) continue;
    if (**f.value < 0) return Error(Code::InvalidInput, std::string(f.name) + " must not be negative", f.name);
    *f.out = **f.value;
  }
  p.file_size = static_cast<std::uint64_t>(file_size);
  if (in.file_types) {
    for (const auto& t : *in.file_types) {
      if (std::find(std::begin(kFileTypes), std::end(kFileTypes), t) == std::end(kFileTypes)) {
        return Error(Code::InvalidInput,
                     "fileTypes: '" + t + "' is not a file type (pdf, docx, html, markdown, csv, text, image)",
                     "fileTypes");
      }
    }
    p.file_types = *in.file_types;
  }
  if (in.self_service) p.self_service = *in.self_service;
  return {};
}

Plan to_plan(store::PlanRecord r, int64_t accounts) {
  return Plan{std::move(r.name), std::move(r.source),     std::move(r.limits),
              accounts,          std::move(r.created_at), std::move(r.updated_at)};
}

}  // namespace

int64_t QuotaView::remaining_pages() const {
  return plan.page_per_month == 0 ? -1 : std::max<int64_t>(0, plan.page_per_month - used.pages_month);
}

int64_t QuotaView::remaining_questions() const {
  return plan.question_per_month == 0 ? -1 : std::max<int64_t>(0, plan.question_per_month - used.questions_month);
}

QuotaService::QuotaService(store::Database& db, const core::Config& config, AccountService& accounts)
    : db_(db), config_(config), accounts_(accounts) {}

std::string QuotaService::day_period() { return "day:" + core::rfc3339_now().substr(0, 10); }
std::string QuotaService::month_period() { return "month:" + core::rfc3339_now().substr(0, 7); }

std::string QuotaService::next_day() {
  using namespace std::chrono;
  return core::rfc3339(floor<days>(system_clock::now()) + days(1));
}

std::string QuotaService::next_month() {
  using namespace std::chrono;
  year_month_day today{floor<days>(system_clock::now())};
  year_month next = year_month{today.year(), today.month()} + months(1);
  return core::rfc3339(sys_days{next / 1});
}

core::Status QuotaService::sync_config_plans() {
  return db_.write([&](store::Tx& tx) -> core::Status {
    const std::string now = core::rfc3339_now();
    std::vector<std::string> names;
    for (const auto& [name, plan] : config_.plans) {
      names.push_back(name);
      if (auto st = store::plans::upsert_config(tx, name, plan, now); !st) return st;
    }
    return store::plans::release_unconfigured(tx, names, now);
  });
}

core::Result<Usage> QuotaService::usage(store::Tx& tx, std::string_view account_id) {
  Usage u;
  const std::string day = day_period(), month = month_period();
  // One statement for every counter: a check runs on every question, upload and job.
  static const std::vector<std::string> kMetrics{"files", "pages", "questions", "extractions", "media"};
  auto values = store::usage::of(tx, account_id, kMetrics, day, month);
  if (!values) return values.error();
  for (const auto& v : *values) {
    const bool today = v.period == day;
    if (!today && v.period != month) continue;
    int64_t* out = nullptr;
    if (v.metric == "files") out = today ? &u.files_today : &u.files_month;
    if (v.metric == "pages" && !today) out = &u.pages_month;
    if (v.metric == "questions") out = today ? &u.questions_today : &u.questions_month;
    if (v.metric == "extractions" && !today) out = &u.extractions_month;
    if (v.metric == "media") out = today ? &u.media_today : &u.media_month;
    if (out != nullptr) *out = v.value;
  }
  return u;
}

core::Result<QuotaView> QuotaService::quota(const Principal& actor) {
  std::optional<QuotaView> view;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto v = quota(tx, actor);
    if (!v) return v.error();
    view = std::move(*v);
    return {};
  });
  if (!st) return st.error();
  return std::move(*view);
}

core::Result<QuotaView> QuotaService::quota(store::Tx& tx, const Principal& actor) {
  return quota_of(tx, actor.account_id);
}

core::Result<QuotaView> QuotaService::quota_of(store::Tx& tx, std::string_view account_id) {
  auto account = store::accounts::by_id(tx, account_id);
  if (!account) return account.error();
  if (!*account) return Error(Code::NotFound, "account not found");
  const std::string& plan = (*account)->plan;
  // Read per check inside the caller's transaction: an admin's edit is seen by the next request of
  // every process sharing the database, with no cache to invalidate.
  auto row = store::plans::by_name(tx, plan);
  if (!row) return row.error();
  core::PlanConfig limits;
  if (*row) {
    limits = std::move((*row)->limits);
  } else if (auto it = config_.plans.find(plan); it != config_.plans.end()) {
    limits = it->second;  // configured, not yet synced (tools and tests that skip sync_config_plans)
  } else {
    return Error(Code::Internal, "account's plan '" + plan + "' is not defined");
  }
  auto grant = store::plans::grant_of(tx, account_id);
  if (!grant) return grant.error();
  auto used = usage(tx, account_id);
  if (!used) return used.error();
  return QuotaView{plan, std::move(limits), *grant ? (*grant)->source : std::string(), *used};
}

core::Result<QuotaView> QuotaService::usage_of(const Principal& actor, std::string_view account_id) {
  if (!actor.may_access(account_id)) return Error(Code::NotFound, "account not found");
  return quota_of(account_id);
}

core::Result<QuotaView> QuotaService::quota_of(std::string_view account_id) {
  std::optional<QuotaView> view;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto v = quota_of(tx, account_id);
    if (!v) return v.error();
    view = std::move(*v);
    return {};
  });
  if (!st) return st.error();
  return std::move(*view);
}

core::Result<Account> QuotaService::upgrade(const Principal& actor, std::string_view plan,
                                            const RequestOrigin& origin) {
  if (!config_.accounts.self_upgrade) {
    return Error(Code::PermissionDenied,
                 "plan changes are made by an administrator here (accounts.self_upgrade is off)");
  }
  std::optional<store::AccountRecord> changed;
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto target = store::plans::by_name(tx, plan);
    if (!target) return target.error();
    if (!*target || !(*target)->limits.self_service) {
      auto all = store::plans::list(tx);
      if (!all) return all.error();
      std::string choices;
      for (const auto& p : *all) {
        if (p.limits.self_service) choices += (choices.empty() ? "" : ", ") + p.name;
      }
      return Error(Code::InvalidInput, "packageType must be one of: " + choices, "packageType");
    }
    auto account = store::accounts::by_id(tx, actor.account_id);
    if (!account) return account.error();
    if (!*account) return Error(Code::NotFound, "account not found");
    auto grant = store::plans::grant_of(tx, actor.account_id);
    if (!grant) return grant.error();
    if (*grant && (*grant)->source == "admin") {
      auto current = store::plans::by_name(tx, (*account)->plan);
      if (!current) return current.error();
      if (*current && (*target)->limits.rank < (*current)->limits.rank) {
        return Error(Code::PermissionDenied,
                     "your plan '" + (*account)->plan + "' was granted by an administrator and ranks above '" +
                         std::string(plan) + "'; only an administrator can lower it",
                     "packageType");
      }
    }
    const std::string old_plan = (*account)->plan;
    changed = std::move(**account);
    changed->plan = std::string(plan);
    changed->updated_at = core::rfc3339_now();
    if (auto s = store::accounts::update(tx, *changed); !s) return s;
    auto g = store::auth_generation::bump(tx);  // the account's cached principals carry its plan
    if (!g) return g.error();
    generation = *g;
    if (audit_) {
      auto e = AuditEntry::by(actor, origin, "plan.change").on("account", changed->id, changed->id);
      if (auto s = audit_->record(tx, e.with("from", old_plan).with("to", changed->plan)); !s) return s;
    }
    return store::plans::set_grant(tx, actor.account_id,
                                   store::PlanGrant{"self", actor.account_id, changed->updated_at});
  });
  if (!st) return st.error();
  if (cache_) cache_->invalidate_account(actor.account_id, generation);
  return accounts_.get(actor, actor.account_id);
}

core::Status QuotaService::check(const Principal& actor, Metric metric, int64_t n) {
  auto view = quota(actor);
  if (!view) return view.error();
  return check(*view, metric, n);
}

core::Status QuotaService::check(store::Tx& tx, const Principal& actor, Metric metric, int64_t n) {
  auto view = quota(tx, actor);
  if (!view) return view.error();
  return check(*view, metric, n);
}

core::Status QuotaService::check(const QuotaView& view, Metric metric, int64_t n) {
  const auto& p = view.plan;
  const auto& u = view.used;
  auto over = [&](int64_t limit, int64_t used, bool daily) -> core::Status {
    if (limit == 0 || used + n <= limit) return {};
    const std::string what = std::string(metric_name(metric)) + (daily ? " per day" : " per month");
    Error e(Code::QuotaExceeded,
            "quota exceeded: " + what + " (" + std::to_string(limit) + ") on plan '" + view.plan_name + "'");
    e.details["metric"] = metric_name(metric);
    e.details["limit"] = limit;
    e.details["used"] = used;
    e.details["period"] = daily ? "day" : "month";
    e.details["resets_at"] = daily ? next_day() : next_month();
    e.details["plan"] = view.plan_name;
    return e;
  };
  switch (metric) {
    case Metric::File:
      if (auto st = over(p.file_per_day, u.files_today, true); !st) return st;
      return over(p.file_per_month, u.files_month, false);
    case Metric::Page: return over(p.page_per_month, u.pages_month, false);
    case Metric::Question:
      if (auto st = over(p.question_per_day, u.questions_today, true); !st) return st;
      return over(p.question_per_month, u.questions_month, false);
    case Metric::Extraction: return over(p.extraction_per_month, u.extractions_month, false);
    case Metric::Media:
      if (auto st = over(p.media_per_day, u.media_today, true); !st) return st;
      return over(p.media_per_month, u.media_month, false);
  }
  return {};
}

core::Status QuotaService::record(std::string_view account_id, Metric metric, int64_t n) {
  return db_.write([&](store::Tx& tx) { return record(tx, account_id, metric, n); });
}

core::Status QuotaService::record(store::Tx& tx, std::string_view account_id, Metric metric, int64_t n) {
  const std::string day = day_period(), month = month_period();
  if (auto st = store::usage::add(tx, account_id, metric_name(metric), day, n); !st) return st;
  return store::usage::add(tx, account_id, metric_name(metric), month, n);
}

core::Status QuotaService::consume(const Principal& actor, Metric metric, int64_t n) {
  return db_.write([&](store::Tx& tx) -> core::Status {
    if (auto st = check(tx, actor, metric, n); !st) return st;
    return record(tx, actor.account_id, metric, n);
  });
}

core::Result<std::vector<Plan>> QuotaService::list_plans(const Principal& actor) {
  std::vector<Plan> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    if (!actor.is_admin()) {
      auto account = store::accounts::by_id(tx, actor.account_id);
      if (!account) return account.error();
      if (!*account) return {};
      auto row = store::plans::by_name(tx, (*account)->plan);
      if (!row) return row.error();
      if (*row) out.push_back(to_plan(std::move(**row), 0));
      return {};
    }
    auto rows = store::plans::list(tx);
    if (!rows) return rows.error();
    for (auto& r : *rows) {
      auto n = store::plans::accounts_on(tx, r.name);
      if (!n) return n.error();
      out.push_back(to_plan(std::move(r), *n));
    }
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<Plan> QuotaService::get_plan(const Principal& actor, std::string_view name) {
  std::optional<Plan> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    if (!actor.is_admin()) {
      auto account = store::accounts::by_id(tx, actor.account_id);
      if (!account) return account.error();
      if (!*account || (*account)->plan != name) return kPlanNotFound;
    }
    auto row = store::plans::by_name(tx, name);
    if (!row) return row.error();
    if (!*row) return kPlanNotFound;
    int64_t n = 0;
    if (actor.is_admin()) {
      auto count = store::plans::accounts_on(tx, name);
      if (!count) return count.error();
      n = *count;
    }
    out = to_plan(std::move(**row), n);
    return {};
  });
  if (!st) return st.error();
  return std::move(*out);
}

core::Result<Plan> QuotaService::create_plan(const Principal& actor, const PlanInput& in, const RequestOrigin& origin) {
  if (!actor.is_admin()) return Error(Code::PermissionDenied, "only an admin can create plans");
  if (!in.name) return Error(Code::MissingField, "name is required", "name");
  if (!valid_plan_name(*in.name)) {
    return Error(Code::InvalidInput,
                 "name must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter or digit", "name");
  }
  store::PlanRecord r;
  r.name = *in.name;
  r.source = "admin";
  if (auto st = apply(in, r.limits); !st) return st.error();
  r.created_at = r.updated_at = core::rfc3339_now();
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::plans::insert(tx, r); !s) return s;
    return audit_ ? audit_->record(tx, AuditEntry::by(actor, origin, "plan.create").on("plan", r.name))
                  : core::Status{};
  });
  if (!st) return st.error();
  return to_plan(std::move(r), 0);
}

core::Result<Plan> QuotaService::update_plan(const Principal& actor, std::string_view name, const PlanInput& in,
                                             const RequestOrigin& origin) {
  if (!actor.is_admin()) return Error(Code::PermissionDenied, "only an admin can change plans");
  if (in.name && *in.name != name) return Error(Code::InvalidInput, "a plan cannot be renamed", "name");
  std::optional<Plan> out;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto row = store::plans::by_name(tx, name);
    if (!row) return row.error();
    if (!*row) return kPlanNotFound;
    store::PlanRecord r = std::move(**row);
    if (r.source == "config") {
      return Error(Code::Conflict, "plan '" + r.name + "' comes from the configuration (built in or [plans." + r.name +
                                       "] in docent.toml); change it there");
    }
    if (auto s = apply(in, r.limits); !s) return s;
    r.updated_at = core::rfc3339_now();
    if (auto s = store::plans::update(tx, r); !s) return s;
    if (audit_) {
      if (auto s = audit_->record(tx, AuditEntry::by(actor, origin, "plan.update").on("plan", r.name)); !s) return s;
    }
    auto n = store::plans::accounts_on(tx, name);
    if (!n) return n.error();
    out = to_plan(std::move(r), *n);
    return {};
  });
  if (!st) return st.error();
  return std::move(*out);
}

core::Status QuotaService::delete_plan(const Principal& actor, std::string_view name, const RequestOrigin& origin) {
  if (!actor.is_admin()) return Error(Code::PermissionDenied, "only an admin can delete plans");
  return db_.write([&](store::Tx& tx) -> core::Status {
    auto row = store::plans::by_name(tx, name);
    if (!row) return row.error();
    if (!*row) return kPlanNotFound;
    if ((*row)->source == "config") {
      return Error(Code::Conflict, "plan '" + (*row)->name + "' comes from the configuration; remove it there");
    }
    auto n = store::plans::accounts_on(tx, name);
    if (!n) return n.error();
    if (*n > 0) {
      Error e(Code::Conflict, "plan '" + std::string(name) + "' is the plan of " + std::to_string(*n) +
                                  " account(s); assign them another plan first");
      e.details["accounts"] = *n;
      return e;
    }
    if (auto s = store::plans::remove(tx, name); !s) return s;
    return audit_ ? audit_->record(tx, AuditEntry::by(actor, origin, "plan.delete").on("plan", std::string(name)))
                  : core::Status{};
  });
}

}  // namespace docent::services
