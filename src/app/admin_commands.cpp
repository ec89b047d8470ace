#include "app/admin_commands.h"

#include "app/routes.h"
#include "app/runtime.h"
#include "core/id.h"
#include "services/principal.h"

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <thread>

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

namespace {

core::Result<services::Principal> principal_of(Runtime& rt, const std::string& login) {
  auto account = rt.accounts->by_login(login);
  if (!account) return account.error();
  return services::Principal{account->id, account->role, account->plan, "", false};
}

void draw_progress(size_t done, size_t total, const std::string& current) {
  if (!::isatty(2)) return;  // a bar is for people; logs and pipes get the report lines only
  constexpr int kWidth = 30;
  int filled = total ? static_cast<int>(kWidth * done / total) : kWidth;
  std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] " << done << "/" << total
            << "  " << current.substr(0, 40) << "\033[K" << std::flush;
}

}  // namespace

int ingest_files(const core::Config& config, const std::vector<std::string>& paths, const std::string& folder,
                 const std::string& account_login) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  if (auto admin = bootstrap_admin(*rt); admin && *admin) {
    std::cerr << "docent: first start: created admin account 'admin'; its API key (shown once): " << **admin << "\n";
  }
  auto who = principal_of(*rt, account_login);
  if (!who) return fail(who.error());
  if (auto st = start_background_work(*rt); !st) return fail(st.error());

  std::optional<std::string> folder_id;
  // Each level of "a/b/c" is found or made.
  std::string path_so_far;
  for (size_t i = 0; i < folder.size();) {
    size_t j = folder.find('/', i);
    if (j == std::string::npos) j = folder.size();
    std::string name = folder.substr(i, j - i);
    i = j + 1;
    if (name.empty()) continue;
    path_so_far += (path_so_far.empty() ? "" : "/") + name;
    auto existing = rt->knowledge->resolve_folder(*who, path_so_far);
    auto made = existing ? existing : rt->knowledge->create_folder(*who, name, "", folder_id);
    if (!made) return fail(made.error());
    folder_id = made->id;
  }
  std::vector<std::pair<std::string, std::string>> queued;  // (id, name)
  int failures = 0;
  for (const auto& p : paths) {
    std::filesystem::path path(p);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      std::cerr << "docent: " << p << ": not a file\n";
      ++failures;
      continue;
    }
    // The service takes ownership of what it is given: hand it a copy, never the user's file.
    auto copy = std::filesystem::path(config.data.dir) / "tmp" / ("ingest-" + core::random_hex(8));
    std::filesystem::create_directories(copy.parent_path(), ec);
    std::filesystem::copy_file(path, copy, ec);
    if (ec) {
      std::cerr << "docent: " << p << ": " << ec.message() << "\n";
      ++failures;
      continue;
    }
    services::NewFile info;
    info.name = path.filename().string();
    info.folder = folder_id;
    auto file = rt->knowledge->add_file(*who, copy, std::move(info));
    std::filesystem::remove(copy, ec);
    if (!file) {
      std::cerr << "docent: " << p << ": " << file.error().message << "\n";
      ++failures;
      continue;
    }
    queued.emplace_back(file->id, file->name);
  }
  size_t done = 0;
  std::vector<std::string> report;
  for (const auto& [id, name] : queued) {
    while (true) {
      auto f = rt->knowledge->get_file(*who, id);
      if (!f) break;
      draw_progress(done, queued.size(), name + " (" + f->status + ")");
      if (f->status == "processed") {
        report.push_back("  ok      " + name + ": " + std::to_string(f->pages) + " pages, " +
                         std::to_string(f->chunk_count) + " chunks  " + id);
        break;
      }
      if (f->status == "failed") {
        report.push_back("  failed  " + name + ": " + f->status_reason);
        ++failures;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ++done;
  }
  draw_progress(done, queued.size(), "done");
  if (::isatty(2)) std::cerr << "\n";
  for (const auto& line : report) std::cout << line << "\n";
  stop_background_work(*rt, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  return failures ? 1 : 0;
}

int search_print(const core::Config& config, const std::string& query, const std::string& account_login, int limit,
                 bool as_json) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  auto who = principal_of(*rt, account_login);
  if (!who) return fail(who.error());
  if (auto st = rt->index->open(); !st) return fail(st.error());
  services::SearchQuery q;
  q.text = query;
  q.limit = limit;
  auto hits = rt->knowledge->search(*who, q);
  if (!hits) return fail(hits.error());
  json::array out;
  int n = 0;
  for (const auto& h : *hits) {
    if (as_json) {
      out.push_back(json::object{{"file_id", h.file_id}, {"filename", h.file_name}, {"page", h.page},
                                 {"section", h.section}, {"score", h.score}, {"text", h.text}});
      continue;
    }
    std::string snippet = h.text.substr(0, 240);
    std::replace(snippet.begin(), snippet.end(), '\n', ' ');
    std::cout << ++n << ". " << h.file_name << ", page " << h.page << (h.section.empty() ? "" : " — " + h.section)
              << "\n   " << snippet << (h.text.size() > 240 ? "..." : "") << "\n";
  }
  if (as_json) std::cout << json::serialize(out) << "\n";
  if (!as_json && hits->empty()) std::cout << "no results\n";
  return 0;
}

}  // namespace docent::app
