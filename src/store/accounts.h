#pragma once
// Account rows. Functions take the caller's transaction so services compose several changes
// into one. Deleted accounts (deleted_at set) are invisible unless asked for.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct AccountRecord {
  std::string id;
  int64_t seq = 0;
  std::string login;
  std::string password_hash;  // empty when the account has no password (devices)
  std::string first_name, last_name, email, phone, company, department;
  std::string role = "user";
  std::string plan;
  std::string user_type = "REGISTERED";
  std::string tier = "standard";   // standard, premium or enterprise (the chatbot face's limits)
  std::string rate_limits = "{}";  // JSON object: policy name -> "N/period" (an admin's overrides)
  int64_t version = 0;
  std::string created_at, updated_at;
  std::optional<std::string> deleted_at;
};

namespace accounts {

// Inserts a new account; seq is assigned (the next of the "accounts" counter) and written back.
// A live account with the same login (any case) -> Code::Conflict.
core::Status insert(Tx& tx, AccountRecord& account);
core::Result<std::optional<AccountRecord>> by_id(Tx& tx, std::string_view id);
core::Result<std::optional<AccountRecord>> by_login(Tx& tx, std::string_view login);
// Writes every field of a live account and bumps its version. NotFound if it is gone.
core::Status update(Tx& tx, AccountRecord& account);
core::Status soft_delete(Tx& tx, std::string_view id, std::string_view at);
// Live accounts, oldest first, after the given seq (keyset pagination).
core::Result<std::vector<AccountRecord>> list(Tx& tx, int64_t after_seq, int64_t limit);
core::Result<int64_t> count_live(Tx& tx);
core::Result<int64_t> count_admins(Tx& tx);

}  // namespace accounts
}  // namespace docent::store
