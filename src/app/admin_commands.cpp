#include "app/admin_commands.h"

#include "app/routes.h"
#include "app/runtime.h"
#include "services/principal.h"

#include <boost/json.hpp>

#include <iostream>

namespace docent::app {

namespace json = boost::json;

namespace {

// An admin principal for the command line: whoever can read the data folder owns the server.
services::Principal cli_admin() { return services::Principal{"", services::Role::Admin, "", "", false}; }

int fail(const core::Error& e) {
  std::cerr << "docent: " << e.message << std::endl;
  return e.code == core::Code::NotFound ? 3 : e.status() < 500 ? 2 : 1;
}

std::unique_ptr<Runtime> open_or_report(const core::Config& config, int& code) {
  auto rt = open_runtime(config);
  if (!rt) {
    code = fail(rt.error());
    return nullptr;
  }
  return std::move(*rt);
}

}  // namespace

int accounts_create(const core::Config& config, const NewAccountArgs& args) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  services::AccountInput in;
  in.login = args.login;
  if (args.password_stdin) {
    std::string line;
    std::getline(std::cin, line);
    in.password = line;
  } else {
    in.password = args.password;
  }
  in.role = args.role;
  in.plan = args.plan;
  in.first_name = args.first_name;
  in.last_name = args.last_name;
  in.email = args.email;
  auto account = rt->accounts->create_unchecked(in);
  if (!account) return fail(account.error());
  std::cout << account->id << std::endl;
  return 0;
}

int accounts_list(const core::Config& config, bool as_json) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  json::array out;
  std::string after;
  do {
    auto page = rt->accounts->list(cli_admin(), after, 200);
    if (!page) return fail(page.error());
    for (const auto& a : page->items) {
      if (as_json) {
        out.push_back(json::object{{"id", a.id}, {"login", a.login}, {"role", services::role_name(a.role)},
                                   {"plan", a.plan}, {"user_type", a.user_type}, {"created_at", a.created_at}});
      } else {
        std::cout << a.id << "  " << a.login << "  " << services::role_name(a.role) << "  " << a.plan << "  "
                  << a.created_at << "\n";
      }
    }
    after = page->next_cursor;
  } while (!after.empty());
  if (as_json) std::cout << json::serialize(out) << "\n";
  return 0;
}

int keys_create(const core::Config& config, const std::string& account_login, const std::string& name) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  auto account = rt->accounts->by_login(account_login);
  if (!account) return fail(account.error());
  auto key = rt->keys->create_unchecked(account->id, name);
  if (!key) return fail(key.error());
  std::cout << key->plain << std::endl;
  return 0;
}

int keys_list(const core::Config& config, const std::string& account_login, bool as_json) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  auto account = rt->accounts->by_login(account_login);
  if (!account) return fail(account.error());
  auto keys = rt->keys->list(cli_admin(), account->id, true);
  if (!keys) return fail(keys.error());
  json::array out;
  for (const auto& k : *keys) {
    if (as_json) {
      out.push_back(json::object{{"id", k.id}, {"name", k.name}, {"masked", k.masked()}, {"created_at", k.created_at},
                                 {"revoked_at", k.revoked_at ? json::value(*k.revoked_at) : json::value(nullptr)}});
    } else {
      std::cout << k.id << "  " << k.masked() << "  " << (k.name.empty() ? "-" : k.name) << "  " << k.created_at
                << (k.revoked_at ? "  revoked " + *k.revoked_at : "") << "\n";
    }
  }
  if (as_json) std::cout << json::serialize(out) << "\n";
  return 0;
}

int keys_revoke(const core::Config& config, const std::string& key_id) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  if (auto st = rt->keys->revoke(cli_admin(), key_id); !st) return fail(st.error());
  std::cout << "revoked " << key_id << std::endl;
  return 0;
}

int routes_print(const core::Config& config, bool as_json) {
  // Handlers are never called here, so the context may be empty.
  http::Router router;
  api::native::SystemDeps system;
  register_routes(router, api::Context{&config}, std::move(system), "web");
  json::array out;
  for (const http::Route* r : router.routes()) {
    if (as_json) {
      out.push_back(json::object{{"method", http::method_name(r->method)}, {"path", r->pattern},
                                 {"public", r->options.is_public}});
    } else {
      std::cout << http::method_name(r->method) << "\t" << r->pattern << (r->options.is_public ? "\tpublic" : "")
                << "\n";
    }
  }
  if (as_json) std::cout << json::serialize(out) << "\n";
  return 0;
}

}  // namespace docent::app
