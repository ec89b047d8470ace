#pragma once
// Plans and usage: what each account may consume (its plan, from configuration) and what it has
// consumed (counters per day and month). Features that consume quota call check() then record().

#include "core/config.h"
#include "services/accounts.h"
#include "services/principal.h"
#include "store/database.h"

#include <string>

namespace docent::services {

enum class Metric { File, Page, Question };

struct Usage {
  int64_t files_today = 0, files_month = 0;
  int64_t pages_month = 0;
  int64_t questions_today = 0, questions_month = 0;
};

struct QuotaView {
  std::string plan_name;
  core::PlanConfig plan;
  Usage used;
  // What is left this month; -1 when the plan sets no limit.
  int64_t remaining_pages() const;
  int64_t remaining_questions() const;
};

class QuotaService {
 public:
  QuotaService(store::Database& db, const core::Config& config, AccountService& accounts);

  core::Result<QuotaView> quota(const Principal& actor);
  // The same read inside the caller's transaction (a write that checks and records in one step).
  core::Result<QuotaView> quota(store::Tx& tx, const Principal& actor);
  // Changes the caller's plan to a self-service plan (chatpdf's packageType). PermissionDenied
  // when self-service upgrades are off (accounts.self_upgrade); InvalidInput for other plans.
  core::Result<Account> upgrade(const Principal& actor, std::string_view plan, const RequestOrigin& origin = {});

  // QuotaExceeded when consuming `n` more of `metric` would pass a limit of the account's plan.
  core::Status check(const Principal& actor, Metric metric, int64_t n = 1);
  // Adds `n` to today's and this month's counters.
  core::Status record(std::string_view account_id, Metric metric, int64_t n = 1);
  // check and record inside the caller's write transaction: the check sees the counters as the
  // transaction does, and the record commits or rolls back with the change that consumed the
  // quota. Checked and recorded in one write transaction, two requests racing for the last unit
  // cannot both pass (writers are serialised; on PostgreSQL the counter row's lock does it).
  core::Status check(store::Tx& tx, const Principal& actor, Metric metric, int64_t n = 1);
  core::Status record(store::Tx& tx, std::string_view account_id, Metric metric, int64_t n = 1);
  // The check's verdict on a view already read (no database access).
  static core::Status check(const QuotaView& view, Metric metric, int64_t n = 1);

  // "day:2024-04-04" and "month:2024-04" for now (UTC).
  static std::string day_period();
  static std::string month_period();

 private:
  core::Result<Usage> usage(store::Tx& tx, std::string_view account_id);

  store::Database& db_;
  const core::Config& config_;
  AccountService& accounts_;
};

}  // namespace docent::services
