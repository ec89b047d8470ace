#pragma once
// API keys: created with the full key shown once, listed by prefix and metadata, revoked,
// rotated, and checked on every authenticated request.

#include "services/auth_cache.h"
#include "services/audit.h"
#include "services/principal.h"
#include "services/secrets.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct ApiKey {
  std::string id;
  std::string account_id;
  std::string name;
  std::string prefix;  // e.g. "dk_7Hq2"
  std::string last4;
  std::string created_at;
  std::optional<std::string> revoked_at;

  // "dk_7Hq2…wXyZ": enough to recognise a key, useless to an attacker.
  std::string masked() const { return prefix + "..." + last4; }
};

// A key as created or rotated: the plain key exists only here, to be shown once.
struct NewKey {
  ApiKey key;
  std::string plain;
};

class KeyService {
 public:
  KeyService(store::Database& db, const Secrets& secrets);

  // Records key.create, key.rotate and key.revoke in `audit` from now on (null: none). Set by the
  // composition root before use.
  void set_audit(AuditTrail* audit) { audit_ = audit; }

  // Keys for the caller's own account, or any account for an admin (NotFound otherwise).
  core::Result<NewKey> create(const Principal& actor, std::string_view account_id, std::string_view name,
                              const RequestOrigin& origin = {});
  // No ownership check (login, first start, the CLI). `actor` is who the audit record names: the
  // account signing in; null for the CLI and first start.
  core::Result<NewKey> create_unchecked(std::string_view account_id, std::string_view name,
                                        const RequestOrigin& origin = {}, const Principal* actor = nullptr);
  core::Result<std::vector<ApiKey>> list(const Principal& actor, std::string_view account_id, bool include_revoked);
  core::Result<ApiKey> get(const Principal& actor, std::string_view key_id);
  core::Status revoke(const Principal& actor, std::string_view key_id, const RequestOrigin& origin = {});
  core::Status revoke_unchecked(std::string_view key_id);
  // Revokes the key and makes a new one with the same name, in one transaction.
  core::Result<NewKey> rotate(const Principal& actor, std::string_view key_id, const RequestOrigin& origin = {});

  // The principal for a presented key: Unauthenticated when it is unknown, revoked, or its
  // account is deleted (one message for all, so nothing is learnt by guessing). Reads the
  // database every time; services::Authenticator answers from its cache first.
  core::Result<Principal> authenticate(std::string_view presented);
  // The two halves of authenticate(): the lookup digest of a presented key (nullopt when it
  // cannot be a key), and the principal for a digest (nullopt when no live key has it).
  std::optional<std::string> digest_of(std::string_view presented) const;
  core::Result<std::optional<Principal>> resolve_digest(const std::string& digest);
  static const core::Error& denied();

  // The cache whose entries revoke() and rotate() drop (services/auth_cache.h); may be null.
  void set_auth_cache(AuthCache* cache) { cache_ = cache; }

 private:
  core::Result<NewKey> make_key(store::Tx& tx, std::string_view account_id, std::string_view name);
  core::Status audit(store::Tx& tx, const Principal* actor, const RequestOrigin& origin, const char* action,
                     const ApiKey& key);

  store::Database& db_;
  const Secrets& secrets_;
  AuthCache* cache_ = nullptr;
  AuditTrail* audit_ = nullptr;
};

}  // namespace docent::services
