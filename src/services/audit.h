#pragma once
// The audit trail: security-relevant events (logins, key and account changes, plan changes,
// webhook changes) with who did it, from which address, when, and how it ended.
//
// Recording: inside the transaction of the change (record(tx, entry)), so the record commits or
// rolls back with it; or on its own (record(entry)) for outcomes that change nothing, such as a
// failed login. Nothing that is a secret goes in: AuditEntry names ids (account, key, webhook),
// never a key, password, token or signing secret, and `details` keys that look like one
// ("password", "key", "secret", "token", ...) are dropped before the row is written.
//
// Example, where a plan is assigned inside a write transaction:
//   audit->record(tx, services::AuditEntry::by(actor, origin, "plan.change")
//                         .on("account", account_id, account_id)
//                         .with("from", old_plan).with("to", new_plan));
//
// Thread-safe. Records are rows of the shared database: every process sees every record.

#include "services/principal.h"
#include "store/database.h"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

// Where a request came from, filled by the HTTP layer (api::origin) and passed through services
// that record audit events. The CLI passes cli_origin().
struct RequestOrigin {
  std::string client_address;  // "127.0.0.1"; "cli" for the command line
  std::string request_id;      // the X-Request-Id the response carries; empty for the CLI
};
inline RequestOrigin cli_origin() { return RequestOrigin{"cli", ""}; }

struct AuditEntry {
  std::string action;  // "auth.login", "key.create", "account.delete", "plan.change", "webhook.update", ...
  std::optional<std::string> actor_account_id;  // none: a failed login, the CLI
  std::optional<std::string> actor_key_id;
  bool actor_device = false;
  std::string target_type;  // "account", "api_key", "webhook", ...
  std::string target_id;
  std::optional<std::string> subject_account_id;  // the account it concerns: its user sees the record
  bool success = true;
  std::string reason;  // a code for a failure, e.g. "wrong_credentials"
  RequestOrigin origin;
  std::map<std::string, std::string> details;  // small, never a secret

  // An entry for `action` done by `actor` (a principal with an empty account id, like the CLI's,
  // records no actor account).
  static AuditEntry by(const Principal& actor, const RequestOrigin& origin, std::string action);
  static AuditEntry anonymous(const RequestOrigin& origin, std::string action);
  AuditEntry& on(std::string type, std::string id, std::optional<std::string> subject_account = std::nullopt);
  AuditEntry& failed(std::string reason_code);
  AuditEntry& with(std::string key, std::string value);
};

// One record as read back.
struct AuditRecordView {
  std::string id;
  int64_t seq = 0;
  std::string created_at;
  AuditEntry entry;
};

struct AuditFilter {
  std::optional<std::string> account_id;  // actor or subject; admins only (users see their own)
  std::optional<std::string> action;
  std::optional<std::string> outcome;  // "success" or "failure"
  std::optional<int64_t> since_unix, until_unix;
  std::string after;   // a cursor next_cursor returned
  int64_t limit = 50;  // 1..100
};

struct AuditPage {
  std::vector<AuditRecordView> items;
  bool has_more = false;
  std::string next_cursor;
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

class AuditTrail {
 public:
  explicit AuditTrail(store::Database& db, WallClock clock = {});

  // Writes the record in the caller's transaction.
  core::Status record(store::Tx& tx, const AuditEntry& entry);
  // Writes the record in a transaction of its own. A failure is logged and returned; callers whose
  // outcome stands anyway (a refused login) may ignore it.
  core::Status record(const AuditEntry& entry);

  // Admins see every record (filtered); anyone else only records where they are the actor or the
  // subject (an account_id filter naming another account is PermissionDenied). Newest first.
  core::Result<AuditPage> list(const Principal& actor, const AuditFilter& filter);

  // Deletes records older than `retention_days` days (0: keeps all). Idempotent: any process may
  // run it, twice or at once. Returns how many went.
  core::Result<int64_t> purge_expired(int retention_days);

 private:
  store::Database& db_;
  WallClock clock_;
};

}  // namespace docent::services
