#pragma once
// Accounts: create, read, update, soft delete, list, and password login. No value returned from
// here ever carries a password or its hash.

#include "core/config.h"
#include "core/crypto.h"
#include "services/auth_cache.h"
#include "services/audit.h"
#include "services/principal.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct Account {
  std::string id;
  int64_t seq = 0;
  std::string login;
  std::string first_name, last_name, email, phone, company, department;
  Role role = Role::User;
  std::string plan;
  std::string user_type;          // REGISTERED or ANONYMOUS (device accounts)
  std::string tier = "standard";  // standard, premium or enterprise: picks the chatbot face's rate limit
  // An admin's per-account rates: policy name -> canonical "N/period" or "off" (services/rate_limiter.h).
  std::vector<std::pair<std::string, std::string>> rate_limits;
  int64_t version = 0;
  std::string created_at, updated_at;
};

// Fields for create (login and password required) and update (any subset).
struct AccountInput {
  std::optional<std::string> login, password, first_name, last_name, email, phone, company, department;
  std::optional<std::string> role;  // "admin" or "user"; admins only
  std::optional<std::string> plan;  // a configured plan; admins only
  std::optional<std::string> tier;  // standard, premium or enterprise; admins only
  // Per-account rate overrides, merged into the stored ones: a policy name -> "N/period" or "off"
  // sets it, -> nullopt removes it (the configured rate applies again). Admins only.
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> rate_limits;
};

template <typename T>
struct Page {
  std::vector<T> items;
  bool has_more = false;
  std::string next_cursor;  // pass back as `after` for the next page; empty at the end
};

std::string_view role_name(Role role);

class AccountService {
 public:
  AccountService(store::Database& db, const core::Config& config, core::crypto::PasswordParams password_params = {});

  // Records audit events (account.create, account.update, account.delete, plan.change,
  // auth.login) in `audit` from now on; null records none. Set by the composition root before use.
  void set_audit(AuditTrail* audit) { audit_ = audit; }

  // Admins only (PermissionDenied otherwise). Conflict when the login is taken.
  core::Result<Account> create(const Principal& actor, const AccountInput& input, const RequestOrigin& origin = {});
  // For the CLI and first start, where there is no caller yet.
  core::Result<Account> create_unchecked(const AccountInput& input, const RequestOrigin& origin = {});
  // The same for an account that has no password yet and signs in with API keys only (login
  // refuses it until a password is set): the first-start admin, whose password nobody would know.
  core::Result<Account> create_key_only(const AccountInput& input);

  // NotFound for another account's id unless the caller is an admin (never 403: ids don't leak).
  core::Result<Account> get(const Principal& actor, std::string_view id);
  // A changed plan is recorded as plan.change, any other change as account.update.
  core::Result<Account> update(const Principal& actor, std::string_view id, const AccountInput& input,
                               const RequestOrigin& origin = {});
  // Soft delete; revokes the account's keys. The last admin cannot be deleted (Conflict).
  core::Status remove(const Principal& actor, std::string_view id, const RequestOrigin& origin = {});
  // Admins page through every account; others see only their own.
  core::Result<Page<Account>> list(const Principal& actor, std::string_view after, int64_t limit);

  // The account for this login and password; Unauthenticated for any mismatch (same message,
  // whether the login exists or not). Both outcomes are recorded as auth.login (never the password).
  core::Result<Account> login(std::string_view login, std::string_view password, const RequestOrigin& origin = {});
  core::Result<Account> by_login(std::string_view login);
  core::Result<int64_t> count();

  // The cache whose entries update() and remove() drop (services/auth_cache.h); may be null.
  void set_auth_cache(AuthCache* cache) { cache_ = cache; }

 private:
  core::Status validate(const AccountInput& input, bool creating, bool password_required = true) const;
  core::Result<Account> insert_new(const AccountInput& input, std::string password_hash, const Principal* actor,
                                   const RequestOrigin& origin);

  store::Database& db_;
  const core::Config& config_;
  core::crypto::PasswordParams password_params_;
  AuthCache* cache_ = nullptr;
  AuditTrail* audit_ = nullptr;
};

}  // namespace docent::services
