#pragma once
// Plan rows (0014_plans.sql) and who granted an account its plan. A plan's limits are a
// core::PlanConfig; 0 means "no limit".

#include "core/config.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct PlanRecord {
  std::string name;
  std::string source = "admin";  // "config" (from the configuration, read-only) or "admin"
  core::PlanConfig limits;
  std::string created_at, updated_at;
};

struct PlanGrant {
  std::string source;  // "admin" or "self"
  std::string granted_by;
  std::string granted_at;
};

namespace plans {

// Inserts a plan; Conflict when the name is taken.
core::Status insert(Tx& tx, const PlanRecord& plan);
// Writes every limit of an existing plan (and its source); NotFound when absent.
core::Status update(Tx& tx, const PlanRecord& plan);
// Inserts or rewrites a configured plan (source 'config'), keeping created_at.
core::Status upsert_config(Tx& tx, const std::string& name, const core::PlanConfig& limits, std::string_view now);
// Plans that were 'config' but are no longer configured become 'admin' (editable, kept for the
// accounts on them).
core::Status release_unconfigured(Tx& tx, const std::vector<std::string>& configured, std::string_view now);
core::Result<std::optional<PlanRecord>> by_name(Tx& tx, std::string_view name);
// Every plan, by rank then name (plans are few: an operator's list, not user data).
core::Result<std::vector<PlanRecord>> list(Tx& tx);
core::Status remove(Tx& tx, std::string_view name);
// Live accounts on the plan.
core::Result<int64_t> accounts_on(Tx& tx, std::string_view name);

core::Status set_grant(Tx& tx, std::string_view account_id, const PlanGrant& grant);
core::Result<std::optional<PlanGrant>> grant_of(Tx& tx, std::string_view account_id);

}  // namespace plans
}  // namespace docent::store
