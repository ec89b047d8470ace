#pragma once
// `docent accounts ...`, `docent keys ...` and `docent routes`: administration on a data folder
// without a running server (SQLite in WAL mode lets them run beside one). `ingest`, `search` and
// `ask` use the knowledge base and own the data folder while they run (data_folder_lock.h): beside
// a server, or each other, they are refused (exit code 2) with a message naming the holder. Each
// returns the process exit code and prints errors to stderr.

#include "core/config.h"

#include <optional>
#include <string>
#include <vector>

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
// An account's usage and limits today and this month (GET /v1/usage's numbers). `account` is a
// login or an account id; empty means the first-start admin ("admin"). Read-only: runs beside a
// serving process like accounts and keys.
int usage_print(const core::Config& config, const std::string& account, bool as_json);
// Every route of every face: method, pattern, public or not (JSON with as_json).
int routes_print(const core::Config& config, bool as_json);
// `docent openapi`: prints the OpenAPI document the server serves at /openapi.json (or, with
// `postman`, its Postman collection). With `check`, also names on stderr every route the
// description lacks and every described operation no route serves, and exits 1 if there is any.
int openapi_print(const core::Config& config, bool check, bool postman);

// Adds files to an account's knowledge base and waits for their ingestion, drawing progress on
// stderr. A path that is a folder is read recursively (folder_walk.h): its files go to `folder`, its
// sub-folders become folders under it, and every entry left out gets a line on stderr. Exit code 0
// when every file was processed, 1 when any failed or could not be read.
int ingest_files(const core::Config& config, const std::vector<std::string>& paths, const std::string& folder,
                 const std::string& account_login);
// Prints the best passages for a query, with file, page and section.
int search_print(const core::Config& config, const std::string& query, const std::string& account_login, int limit,
                 bool as_json);

struct AskArgs {
  std::string question;
  std::vector<std::string> files;  // asked about (ingested first unless the same bytes already are)
  std::string conversation;        // go on in this conversation instead of starting one
  std::string model;               // empty: the default model
  std::string account = "admin";
};

// Answers a question from the account's documents: streams the answer to stdout, then lists its
// sources with pages. Exit code 0 for a complete answer, 1 when it failed midway, 2 for bad input,
// 3 for an unknown conversation or account.
int ask(const core::Config& config, const AskArgs& args);

}  // namespace docent::app
