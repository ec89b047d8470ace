#pragma once
// `docent accounts ...`, `docent keys ...` and `docent routes`: administration on a data folder
// without a running server (SQLite in WAL mode lets them run beside one). Each returns the
// process exit code and prints errors to stderr.

#include "core/config.h"

#include <optional>
#include <string>

namespace docent::app {

struct NewAccountArgs {
  std::string login;
  std::string password;
  bool password_stdin = false;
  std::string role = "user";
  std::optional<std::string> plan, first_name, last_name, email;
};

int accounts_create(const core::Config& config, const NewAccountArgs& args);
int accounts_list(const core::Config& config, bool as_json);
// Prints the new key alone on stdout, so scripts can capture it.
int keys_create(const core::Config& config, const std::string& account_login, const std::string& name);
int keys_list(const core::Config& config, const std::string& account_login, bool as_json);
int keys_revoke(const core::Config& config, const std::string& key_id);
// Every route of every face: method, pattern, public or not (JSON with as_json).
int routes_print(const core::Config& config, bool as_json);

}  // namespace docent::app
