#pragma once
// API key rows: metadata, the lookup digest and the sealed key. Never the plain key.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct ApiKeyRecord {
  std::string id;
  std::string account_id;
  std::string name;
  std::string prefix;
  std::string last4;
  std::string digest;
  std::string sealed;
  std::string created_at;
  std::optional<std::string> revoked_at;
};

namespace api_keys {

core::Status insert(Tx& tx, const ApiKeyRecord& key);
// The key with this digest, revoked or not (callers decide).
core::Result<std::optional<ApiKeyRecord>> by_digest(Tx& tx, std::string_view digest);
core::Result<std::optional<ApiKeyRecord>> by_id(Tx& tx, std::string_view id);
// Keys of one account, newest first; revoked ones too when asked.
core::Result<std::vector<ApiKeyRecord>> of_account(Tx& tx, std::string_view account_id, bool include_revoked);
// Marks a key revoked; NotFound if it does not exist or is revoked already.
core::Status revoke(Tx& tx, std::string_view id, std::string_view at);
// Revokes every live key of an account (account deletion).
core::Status revoke_all(Tx& tx, std::string_view account_id, std::string_view at);

}  // namespace api_keys
}  // namespace docent::store
