#include "services/quota.h"

#include "core/time.h"
#include "store/accounts.h"
#include "store/devices.h"

#include <optional>
#include <tuple>

namespace docent::services {

using core::Code;
using core::Error;

namespace {

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::File: return "files";
    case Metric::Page: return "pages";
    case Metric::Question: return "questions";
  }
  return "unknown";
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

core::Result<Usage> QuotaService::usage(store::Tx& tx, std::string_view account_id) {
  Usage u;
  const std::string day = day_period(), month = month_period();
  for (auto [out, metric, period] : {std::tuple{&u.files_today, "files", &day},
                                     {&u.files_month, "files", &month},
                                     {&u.pages_month, "pages", &month},
                                     {&u.questions_today, "questions", &day},
                                     {&u.questions_month, "questions", &month}}) {
    auto v = store::usage::get(tx, account_id, metric, *period);
    if (!v) return v.error();
    *out = *v;
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
  auto account = store::accounts::by_id(tx, actor.account_id);
  if (!account) return account.error();
  if (!*account) return Error(Code::NotFound, "account not found");
  const std::string& plan = (*account)->plan;
  auto it = config_.plans.find(plan);
  if (it == config_.plans.end()) {
    return Error(Code::Internal, "account's plan '" + plan + "' is no longer configured");
  }
  auto used = usage(tx, actor.account_id);
  if (!used) return used.error();
  return QuotaView{plan, it->second, *used};
}

core::Result<Account> QuotaService::upgrade(const Principal& actor, std::string_view plan,
                                            const RequestOrigin& origin) {
  if (!config_.accounts.self_upgrade) {
    return Error(Code::PermissionDenied,
                 "plan changes are made by an administrator here (accounts.self_upgrade is off)");
  }
  auto it = config_.plans.find(std::string(plan));
  if (it == config_.plans.end() || !it->second.self_service) {
    std::string choices;
    for (const auto& [name, p] : config_.plans) {
      if (p.self_service) choices += (choices.empty() ? "" : ", ") + name;
    }
    return Error(Code::InvalidInput, "packageType must be one of: " + choices, "packageType");
  }
  // The plan field is admin-only through AccountService::update; this is the one sanctioned path.
  Principal elevated = actor;
  elevated.role = Role::Admin;
  AccountInput change;
  change.plan = std::string(plan);
  return accounts_.update(elevated, actor.account_id, change, origin);  // recorded there as plan.change
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
  auto over = [&](int64_t limit, int64_t used, std::string_view what) -> core::Status {
    if (limit == 0 || used + n <= limit) return {};
    Error e(Code::QuotaExceeded, "quota exceeded: " + std::string(what) + " (" + std::to_string(limit) + ") on plan '" +
                                     view.plan_name + "'");
    e.details["limit"] = limit;
    e.details["used"] = used;
    return e;
  };
  switch (metric) {
    case Metric::File:
      if (auto st = over(p.file_per_day, u.files_today, "files per day"); !st) return st;
      return over(p.file_per_month, u.files_month, "files per month");
    case Metric::Page: return over(p.page_per_month, u.pages_month, "pages per month");
    case Metric::Question:
      if (auto st = over(p.question_per_day, u.questions_today, "questions per day"); !st) return st;
      return over(p.question_per_month, u.questions_month, "questions per month");
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

}  // namespace docent::services
