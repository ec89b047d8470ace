#include "services/keys.h"

#include "core/crypto.h"
#include "core/id.h"
#include "core/time.h"
#include "services/rate_limiter.h"
#include "store/accounts.h"
#include "store/api_keys.h"
#include "store/auth_generation.h"

namespace docent::services {

using core::Code;
using core::Error;

namespace {

constexpr std::string_view kPurpose = "api-key";
constexpr size_t kPrefixChars = 7;  // "dk_" and four characters of the random part
const Error kKeyNotFound(Code::NotFound, "API key not found");

ApiKey to_key(const store::ApiKeyRecord& r) {
  return ApiKey{r.id, r.account_id, r.name, r.prefix, r.last4, r.created_at, r.revoked_at};
}

core::Status check_name(std::string_view name) {
  if (name.size() > 100) return Error(Code::InvalidInput, "name must be at most 100 characters", "name");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return Error(Code::InvalidInput, "name must not contain control characters", "name");
  }
  return {};
}

}  // namespace

KeyService::KeyService(store::Database& db, const Secrets& secrets) : db_(db), secrets_(secrets) {}

core::Result<NewKey> KeyService::make_key(store::Tx& tx, std::string_view account_id, std::string_view name) {
  auto account = store::accounts::by_id(tx, account_id);
  if (!account) return account.error();
  if (!*account) return Error(Code::NotFound, "account not found");
  NewKey out;
  out.plain = core::crypto::new_api_key();
  store::ApiKeyRecord r;
  r.id = core::new_id();
  r.account_id = std::string(account_id);
  r.name = std::string(name);
  r.prefix = out.plain.substr(0, kPrefixChars);
  r.last4 = out.plain.substr(out.plain.size() - 4);
  r.digest = secrets_.digest(kPurpose, out.plain);
  r.sealed = secrets_.seal(out.plain);
  r.created_at = core::rfc3339_now();
  if (auto st = store::api_keys::insert(tx, r); !st) return st.error();
  out.key = to_key(r);
  return out;
}

core::Status KeyService::audit(store::Tx& tx, const Principal* actor, const RequestOrigin& origin, const char* action,
                               const ApiKey& key) {
  if (!audit_) return {};
  auto e = actor ? AuditEntry::by(*actor, origin, action) : AuditEntry::anonymous(origin, action);
  // The key's id and its masked form identify it; the key itself never goes in.
  return audit_->record(tx,
                        e.on("api_key", key.id, key.account_id).with("name", key.name).with("masked", key.masked()));
}

core::Result<NewKey> KeyService::create(const Principal& actor, std::string_view account_id, std::string_view name,
                                        const RequestOrigin& origin) {
  if (!actor.may_access(account_id)) return Error(Code::NotFound, "account not found");
  return create_unchecked(account_id, name, origin, &actor);
}

core::Result<NewKey> KeyService::create_unchecked(std::string_view account_id, std::string_view name,
                                                  const RequestOrigin& origin, const Principal* actor) {
  if (auto st = check_name(name); !st) return st.error();
  std::optional<NewKey> made;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto k = make_key(tx, account_id, name);
    if (!k) return k.error();
    made = std::move(*k);
    return audit(tx, actor, origin, "key.create", made->key);
  });
  if (!st) return st.error();
  return std::move(*made);
}

core::Result<std::vector<ApiKey>> KeyService::list(const Principal& actor, std::string_view account_id,
                                                   bool include_revoked) {
  if (!actor.may_access(account_id)) return Error(Code::NotFound, "account not found");
  std::vector<ApiKey> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::api_keys::of_account(tx, account_id, include_revoked);
    if (!rows) return rows.error();
    for (const auto& r : *rows) out.push_back(to_key(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<ApiKey> KeyService::get(const Principal& actor, std::string_view key_id) {
  std::optional<store::ApiKeyRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::api_keys::by_id(tx, key_id);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || !actor.may_access(found->account_id)) return kKeyNotFound;
  return to_key(*found);
}

core::Status KeyService::revoke(const Principal& actor, std::string_view key_id, const RequestOrigin& origin) {
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::api_keys::by_id(tx, key_id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kKeyNotFound;
    if ((*found)->revoked_at) return Error(Code::Conflict, "API key is already revoked");
    if (auto r = store::api_keys::revoke(tx, key_id, core::rfc3339_now()); !r) return r;
    auto g = store::auth_generation::bump(tx);
    if (!g) return g.error();
    generation = *g;
    return audit(tx, &actor, origin, "key.revoke", to_key(**found));
  });
  if (cache_ && st) cache_->invalidate_key(key_id, generation);
  return st;
}

core::Status KeyService::revoke_unchecked(std::string_view key_id) {
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto r = store::api_keys::revoke(tx, key_id, core::rfc3339_now()); !r) return r;
    auto g = store::auth_generation::bump(tx);
    if (!g) return g.error();
    generation = *g;
    return {};
  });
  if (cache_ && st) cache_->invalidate_key(key_id, generation);
  return st;
}

core::Result<NewKey> KeyService::rotate(const Principal& actor, std::string_view key_id, const RequestOrigin& origin) {
  std::optional<NewKey> made;
  int64_t generation = 0;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::api_keys::by_id(tx, key_id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kKeyNotFound;
    if ((*found)->revoked_at) return Error(Code::Conflict, "API key is revoked; create a new one");
    if (auto r = store::api_keys::revoke(tx, key_id, core::rfc3339_now()); !r) return r;
    auto k = make_key(tx, (*found)->account_id, (*found)->name);
    if (!k) return k.error();
    made = std::move(*k);
    auto g = store::auth_generation::bump(tx);
    if (!g) return g.error();
    generation = *g;
    if (!audit_) return {};
    auto e = AuditEntry::by(actor, origin, "key.rotate").on("api_key", (*found)->id, (*found)->account_id);
    return audit_->record(tx, e.with("replaced_by", made->key.id).with("masked", made->key.masked()));
  });
  if (!st) return st.error();
  if (cache_) cache_->invalidate_key(key_id, generation);
  return std::move(*made);
}

const core::Error& KeyService::denied() {
  static const Error kDenied(Code::Unauthenticated, "invalid or revoked API key");
  return kDenied;
}

std::optional<std::string> KeyService::digest_of(std::string_view presented) const {
  if (presented.size() < 8 || presented.size() > 200) return std::nullopt;
  return secrets_.digest(kPurpose, presented);
}

core::Result<std::optional<Principal>> KeyService::resolve_digest(const std::string& digest) {
  std::optional<Principal> principal;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto key = store::api_keys::by_digest(tx, digest);
    if (!key) return key.error();
    // The digest matched through an index; compare again in constant time before trusting it.
    if (!*key || (*key)->revoked_at || !core::crypto::constant_time_equals((*key)->digest, digest)) return {};
    auto account = store::accounts::by_id(tx, (*key)->account_id);
    if (!account) return account.error();
    if (!*account) return {};
    principal = Principal{(*account)->id, (*account)->role == "admin" ? Role::Admin : Role::User, (*account)->plan,
                          (*key)->id, false};
    principal->tier = (*account)->tier;
    principal->rate_limits = parse_rate_overrides((*account)->rate_limits);
    return {};
  });
  if (!st) return st.error();
  return principal;
}

core::Result<Principal> KeyService::authenticate(std::string_view presented) {
  auto digest = digest_of(presented);
  if (!digest) return denied();
  auto principal = resolve_digest(*digest);
  if (!principal) return principal.error();
  if (!*principal) return denied();
  return std::move(**principal);
}

}  // namespace docent::services
