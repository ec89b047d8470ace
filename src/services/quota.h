#pragma once
// Plans and usage: what each account may consume (its plan, a row of the plans table) and what it
// has consumed (counters per day and month in usage_counters). Every billable action of every face
// goes through here: check() before any work, record() with the change that consumed it (the
// transaction forms make the two atomic with that change). docs/ARCHITECTURE.md, "Plans and quotas".

#include "core/config.h"
#include "services/accounts.h"
#include "services/principal.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::services {

// What a billable action consumes. Files and pages: uploads; questions: chat and answers;
// extractions: PDFs through an extraction route; media: media jobs (transcription, speech, ...).
enum class Metric { File, Page, Question, Extraction, Media };

// "files", "pages", "questions", "extractions", "media" (the usage_counters metric and the
// `metric` of a QuotaExceeded error's details).
std::string_view metric_name(Metric m);

struct Usage {
  int64_t files_today = 0, files_month = 0;
  int64_t pages_month = 0;
  int64_t questions_today = 0, questions_month = 0;
  int64_t extractions_month = 0;
  int64_t media_today = 0, media_month = 0;
};

struct QuotaView {
  std::string plan_name;
  core::PlanConfig plan;
  std::string plan_granted_by;  // "admin", "self", or "" (the plan the account was created with)
  Usage used;
  // What is left this month; -1 when the plan sets no limit.
  int64_t remaining_pages() const;
  int64_t remaining_questions() const;
};

// A plan as the plan API shows it.
struct Plan {
  std::string name;
  std::string source;  // "config" (docent.toml or built in; read-only here) or "admin"
  core::PlanConfig limits;
  int64_t accounts = 0;  // live accounts on it (admins only; 0 otherwise)
  std::string created_at, updated_at;
};

// A create or a partial edit: absent fields keep their value (or the default 0 on create).
struct PlanInput {
  std::optional<std::string> name;
  std::optional<std::int64_t> rank, file_size, file_per_day, file_per_month, page_per_month, question_per_day,
      question_per_month, file_capacity, extraction_per_month, media_per_day, media_per_month;
  std::optional<std::vector<std::string>> file_types;
  std::optional<bool> self_service;
};

class QuotaService {
 public:
  QuotaService(store::Database& db, const core::Config& config, AccountService& accounts);

  // Writes the configured plans (built-ins and [plans.NAME]) into the plans table as 'config'
  // rows, replacing what an earlier start wrote; run once at start, before anything reads a plan.
  core::Status sync_config_plans();

  core::Result<QuotaView> quota(const Principal& actor);
  // The same read inside the caller's transaction (a write that checks and records in one step).
  core::Result<QuotaView> quota(store::Tx& tx, const Principal& actor);
  core::Result<QuotaView> quota_of(store::Tx& tx, std::string_view account_id);
  core::Result<QuotaView> quota_of(std::string_view account_id);
  // Any account's (admins), or the caller's own; NotFound for another's when not an admin.
  core::Result<QuotaView> usage_of(const Principal& actor, std::string_view account_id);

  // Changes the caller's plan to a self-service plan (chatpdf's packageType). PermissionDenied
  // when self-service upgrades are off (accounts.self_upgrade) or when the change would lower a
  // plan an admin granted; InvalidInput for other plans.
  core::Result<Account> upgrade(const Principal& actor, std::string_view plan, const RequestOrigin& origin = {});

  // QuotaExceeded when consuming `n` more of `metric` would pass a limit of the account's plan.
  // The error's details: metric, limit, used, period ("day" or "month"), resets_at (RFC 3339),
  // plan. Every face renders those in its own envelope.
  core::Status check(const Principal& actor, Metric metric, int64_t n = 1);
  // Adds `n` to today's and this month's counters.
  core::Status record(std::string_view account_id, Metric metric, int64_t n = 1);
  // check and record inside the caller's write transaction: the check sees the counters as the
  // transaction does, and the record commits or rolls back with the change that consumed the
  // quota. Checked and recorded in one write transaction, two requests racing for the last unit
  // cannot both pass (writers are serialised; on PostgreSQL the counter row's lock does it).
  core::Status check(store::Tx& tx, const Principal& actor, Metric metric, int64_t n = 1);
  core::Status record(store::Tx& tx, std::string_view account_id, Metric metric, int64_t n = 1);
  // check then record in one write transaction (an action with nothing else to commit).
  core::Status consume(const Principal& actor, Metric metric, int64_t n = 1);
  // The check's verdict on a view already read (no database access).
  static core::Status check(const QuotaView& view, Metric metric, int64_t n = 1);

  // The plan API (GET|POST /v1/plans, GET|PATCH|DELETE /v1/plans/{plan}). Admins see and change
  // every plan; other callers see only their own plan. Config plans are read-only (Conflict);
  // a plan in use cannot be deleted (Conflict).
  core::Result<std::vector<Plan>> list_plans(const Principal& actor);
  core::Result<Plan> get_plan(const Principal& actor, std::string_view name);
  core::Result<Plan> create_plan(const Principal& actor, const PlanInput& in, const RequestOrigin& origin = {});
  core::Result<Plan> update_plan(const Principal& actor, std::string_view name, const PlanInput& in,
                                 const RequestOrigin& origin = {});
  core::Status delete_plan(const Principal& actor, std::string_view name, const RequestOrigin& origin = {});

  // "day:2024-04-04" and "month:2024-04" for now (UTC).
  static std::string day_period();
  static std::string month_period();
  // The start of the next day and month (UTC, RFC 3339): when day and month counters reset.
  static std::string next_day();
  static std::string next_month();

  // Where upgrade() records plan.change and whose entries of the account it drops; null: none. Set
  // by the composition root before use.
  void set_audit(AuditTrail* audit) { audit_ = audit; }
  void set_auth_cache(AuthCache* cache) { cache_ = cache; }

 private:
  core::Result<Usage> usage(store::Tx& tx, std::string_view account_id);

  store::Database& db_;
  const core::Config& config_;
  AccountService& accounts_;
  AuditTrail* audit_ = nullptr;
  AuthCache* cache_ = nullptr;
};

}  // namespace docent::services
