#pragma once
// Audit trail rows (migration 0017). Nothing here knows what may go into `details`: the service
// (services/audit.h) keeps secrets out.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct AuditRecord {
  int64_t seq = 0;  // given by the insert
  std::string id;
  std::string created_at;
  int64_t created_unix = 0;
  std::optional<std::string> actor_account_id, actor_key_id;
  bool actor_device = false;
  std::string action;
  std::string target_type, target_id;
  std::optional<std::string> subject_account_id;
  std::string outcome;  // "success" or "failure"
  std::string reason;
  std::string client_address, request_id;
  std::string details = "{}";  // a JSON object
};

// What a list selects; unset members select everything.
struct AuditQuery {
  std::optional<std::string> involving;  // actor or subject is this account
  std::optional<std::string> action, outcome;
  std::optional<int64_t> since_unix;  // created_unix >= since
  std::optional<int64_t> until_unix;  // created_unix < until
  std::optional<int64_t> before_seq;  // seq < before (the cursor)
  int64_t limit = 50;
};

namespace audit {

core::Result<int64_t> insert(Tx& tx, const AuditRecord& r);
// Newest first.
core::Result<std::vector<AuditRecord>> list(Tx& tx, const AuditQuery& q);
// Deletes rows created before `before_unix`; returns how many.
core::Result<int64_t> purge(Tx& tx, int64_t before_unix);

}  // namespace audit
}  // namespace docent::store
