#include "app/cli.h"

#include "app/admin_commands.h"
#include "app/extract_command.h"
#include "app/serve.h"
#include "core/config.h"
#include "core/log.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace docent::app {

namespace {

// Flags shared by every subcommand that reads the configuration. Each one given on the command
// line becomes a flag-level setting (the highest precedence).
struct ConfigFlags {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> values;  // dotted key -> text
  std::vector<std::string> sets;              // --set key=value

  void add_to(CLI::App& cmd) {
    cmd.add_option("-c,--config", config_file, "Configuration file (default: $DOCENT_CONFIG or ./docent.toml)");
    add(cmd, "--host", "server.host", "Address to listen on");
    add(cmd, "-p,--port", "server.port", "Port to listen on; 0 picks a free port");
    add(cmd, "-d,--data", "data.dir", "Data folder (database, blobs, master key)");
    add(cmd, "--threads", "server.threads", "Network threads (0 = one per core)");
    add(cmd, "--workers", "server.workers", "Handler worker threads (0 = automatic)");
    add(cmd, "--log-level", "log.level", "trace, debug, info, warn, error or off");
    add(cmd, "--log-format", "log.format", "text or json");
    add(cmd, "--web-dir", "server.web_dir", "Folder of the web UI");
    add(cmd, "--llm-url", "llm.url", "OpenAI-compatible upstream base URL");
    add(cmd, "--llm-key", "llm.key", "API key for the upstream (prefer DOCENT_LLM_KEY: flags show in ps)");
    add(cmd, "--llm-model", "llm.model", "Default upstream model");
    cmd.add_option("--set", sets, "Any setting as key=value, e.g. --set server.max_body_bytes=2MiB");
  }

  void add(CLI::App& cmd, const std::string& flag, const std::string& key, const std::string& help) {
    cmd.add_option_function<std::string>(
        flag, [this, key](const std::string& v) { values[key] = v; }, help);
  }

  core::Result<core::Config> load() {
    core::ConfigInputs in;
    in.flags = values;
    for (const auto& s : sets) {
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        return core::Error(core::Code::InvalidInput, "--set expects key=value, got '" + s + "'");
      }
      in.flags[s.substr(0, eq)] = s.substr(eq + 1);
    }
    in.env = core::current_environment();
    if (config_file) in.file = *config_file;
    return core::load_config(in);
  }
};

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"docent: a self-hosted AI document and chat server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(DOCENT_VERSION));

  // Every subcommand that reads the configuration has its own flags; `selected` runs the one
  // that was parsed, with its configuration loaded.
  std::vector<std::unique_ptr<ConfigFlags>> flag_sets;
  std::function<int(const core::Config&)> selected;
  ConfigFlags* selected_flags = nullptr;
  auto command = [&](CLI::App& parent, const std::string& name, const std::string& help) {
    auto* cmd = parent.add_subcommand(name, help);
    flag_sets.push_back(std::make_unique<ConfigFlags>());
    flag_sets.back()->add_to(*cmd);
    return std::pair{cmd, flag_sets.back().get()};
  };
  auto on_run = [&](CLI::App* cmd, ConfigFlags* flags, std::function<int(const core::Config&)> fn) {
    cmd->callback([&selected, &selected_flags, flags, fn = std::move(fn)] {
      selected = fn;
      selected_flags = flags;
    });
  };

  auto [serve_cmd, serve_flags] = command(app, "serve", "Start the HTTP server");
  on_run(serve_cmd, serve_flags, [](const core::Config& c) {
    core::init_logging(c.log.level, c.log.format);
    for (const auto& w : c.warnings) core::log::warn(w);
    return serve(c);
  });

  auto [config_cmd, config_flags] = command(app, "config", "Print the effective configuration (secrets masked)");
  on_run(config_cmd, config_flags, [](const core::Config& c) {
    std::cout << core::render_config(c);
    return 0;
  });

  auto* version_cmd = app.add_subcommand("version", "Print the version");
  version_cmd->callback([&] {
    selected = [](const core::Config&) {
      std::cout << "docent " << DOCENT_VERSION << "\n";
      return 0;
    };
  });

  bool routes_json = false;
  auto [routes_cmd, routes_flags] = command(app, "routes", "List every HTTP route and whether it is public");
  routes_cmd->add_flag("--json", routes_json, "Print JSON");
  on_run(routes_cmd, routes_flags, [&](const core::Config& c) { return routes_print(c, routes_json); });

  bool openapi_check = false, openapi_postman = false;
  auto [openapi_cmd, openapi_flags] = command(app, "openapi", "Print the OpenAPI 3.1 document of every route");
  openapi_cmd->add_flag("--check", openapi_check, "Exit 1 naming any route undocumented or documentation stale");
  openapi_cmd->add_flag("--postman", openapi_postman, "Print the Postman collection instead");
  on_run(openapi_cmd, openapi_flags,
         [&](const core::Config& c) { return openapi_print(c, openapi_check, openapi_postman); });

  auto* accounts_cmd = app.add_subcommand("accounts", "Manage accounts in the data folder");
  accounts_cmd->require_subcommand(1);
  NewAccountArgs new_account;
  auto [acc_create, acc_create_flags] = command(*accounts_cmd, "create", "Create an account; prints its id");
  acc_create->add_option("--login", new_account.login, "Login")->required();
  auto* pw = acc_create->add_option("--password", new_account.password, "Password (8+ characters)");
  auto* pw_stdin = acc_create->add_flag("--password-stdin", new_account.password_stdin, "Read the password from stdin");
  pw->excludes(pw_stdin);
  acc_create->add_option("--role", new_account.role, "admin or user")->check(CLI::IsMember({"admin", "user"}));
  acc_create->add_option("--plan", new_account.plan, "Plan name (default: accounts.default_plan)");
  acc_create->add_option("--first-name", new_account.first_name, "First name");
  acc_create->add_option("--last-name", new_account.last_name, "Last name");
  acc_create->add_option("--email", new_account.email, "Email");
  on_run(acc_create, acc_create_flags, [&](const core::Config& c) { return accounts_create(c, new_account); });
  bool accounts_json = false;
  auto [acc_list, acc_list_flags] = command(*accounts_cmd, "list", "List accounts");
  acc_list->add_flag("--json", accounts_json, "Print JSON");
  on_run(acc_list, acc_list_flags, [&](const core::Config& c) { return accounts_list(c, accounts_json); });

  std::string usage_account;
  bool usage_json = false;
  auto [usage_cmd, usage_flags] = command(app, "usage", "Show an account's usage and limits (today, this month)");
  usage_cmd->add_option("--account", usage_account, "Login or id of the account (default: admin)");
  usage_cmd->add_flag("--json", usage_json, "Print JSON (the body of GET /v1/usage)");
  on_run(usage_cmd, usage_flags, [&](const core::Config& c) { return usage_print(c, usage_account, usage_json); });

  auto* keys_cmd = app.add_subcommand("keys", "Manage API keys in the data folder");
  keys_cmd->require_subcommand(1);
  std::string key_account, key_name, key_id;
  bool keys_json = false;
  auto [key_create, key_create_flags] = command(*keys_cmd, "create", "Create an API key; prints it alone on stdout");
  key_create->add_option("--account", key_account, "Login of the account")->required();
  key_create->add_option("--name", key_name, "A name to tell the key apart");
  on_run(key_create, key_create_flags, [&](const core::Config& c) { return keys_create(c, key_account, key_name); });
  auto [key_list, key_list_flags] = command(*keys_cmd, "list", "List an account's keys (masked)");
  key_list->add_option("--account", key_account, "Login of the account")->required();
  key_list->add_flag("--json", keys_json, "Print JSON");
  on_run(key_list, key_list_flags, [&](const core::Config& c) { return keys_list(c, key_account, keys_json); });
  auto [key_revoke, key_revoke_flags] = command(*keys_cmd, "revoke", "Revoke an API key by id");
  key_revoke->add_option("id", key_id, "The key's id (from keys list)")->required();
  on_run(key_revoke, key_revoke_flags, [&](const core::Config& c) { return keys_revoke(c, key_id); });

  std::vector<std::string> ingest_paths;
  std::string ingest_folder, as_account = "admin";
  auto [ingest_cmd, ingest_flags] = command(app, "ingest", "Add files to the knowledge base and wait for them");
  ingest_cmd
      ->add_option("paths", ingest_paths,
                   "Files or folders to add; a folder is read recursively (hidden entries left out), "
                   "its sub-folders made under --folder")
      ->required();
  ingest_cmd->add_option("--folder", ingest_folder, "Folder (made if missing; a/b for nested)");
  ingest_cmd->add_option("--account", as_account, "Login of the account that owns them");
  on_run(ingest_cmd, ingest_flags,
         [&](const core::Config& c) { return ingest_files(c, ingest_paths, ingest_folder, as_account); });

  std::string search_query;
  int search_limit = 5;
  bool search_json = false;
  auto [search_cmd, search_flags] = command(app, "search", "Search the knowledge base");
  search_cmd->add_option("query", search_query, "What to look for")->required();
  search_cmd->add_option("--account", as_account, "Login of the account to search");
  search_cmd->add_option("-n,--limit", search_limit, "How many results")->check(CLI::Range(1, 100));
  search_cmd->add_flag("--json", search_json, "Print JSON");
  on_run(search_cmd, search_flags,
         [&](const core::Config& c) { return search_print(c, search_query, as_account, search_limit, search_json); });

  AskArgs ask_args;
  auto [ask_cmd, ask_flags] = command(app, "ask",
                                      "Ask a question of your documents; the answer streams, then its sources");
  ask_cmd->add_option("question", ask_args.question, "The question")->required();
  ask_cmd->add_option("-f,--file", ask_args.files, "A file to ask about (repeatable; read first if it is new)")
      ->allow_extra_args(false);
  ask_cmd->add_option("--conversation", ask_args.conversation,
                      "Go on in this conversation (id printed after an answer)");
  ask_cmd->add_option("--model", ask_args.model, "Model (default: the configured default)");
  ask_cmd->add_option("--account", ask_args.account, "Login of the account whose documents to use");
  on_run(ask_cmd, ask_flags, [&](const core::Config& c) { return ask(c, ask_args); });

  ExtractArgs extract_args;
  auto [extract_cmd,
        extract_flags] = command(app, "extract",
                                 "Read invoices, purchase orders, challans or e-way bills into an Excel workbook");
  extract_cmd->add_option("--kind", extract_args.kind, "invoice, po, dc or ewaybill");
  extract_cmd->add_option("inputs", extract_args.inputs, "The PDFs to read");
  extract_cmd->add_option("-o,--output", extract_args.output, "The workbook to write (.xlsx)");
  extract_cmd->add_flag("--json", extract_args.json, "Print each document's extraction as JSON");
  on_run(extract_cmd, extract_flags, [&](const core::Config& c) { return extract_command(c, extract_args); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (!selected) return 0;
  core::Config config;
  if (selected_flags) {
    auto loaded = selected_flags->load();
    if (!loaded) {
      std::cerr << "docent: configuration error: " << loaded.error().message << "\n";
      return 2;
    }
    config = std::move(*loaded);
  }
  // Commands other than serve keep stderr for problems unless a level was asked for.
  bool quiet = config.source("log.level") == core::ConfigSource::Default;
  core::init_logging(quiet ? "warn" : config.log.level, config.log.format);
  return selected(config);
}

}  // namespace docent::app
