#include "app/admin_commands.h"

#include "api/openapi/postman.h"
#include "api/openapi/routes.h"

#include "api/native/plans.h"
#include "app/data_folder_lock.h"
#include "app/folder_walk.h"
#include "app/routes.h"
#include "app/runtime.h"
#include "core/crypto.h"
#include "core/id.h"
#include "services/principal.h"

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <functional>
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

// For the commands that use the knowledge base: takes the data folder's lock for `command` into
// `lock` (declared before the runtime, so released after it), then opens the runtime.
std::unique_ptr<Runtime> open_owned(const core::Config& config, std::string_view command,
                                    std::optional<DataFolderLock>& lock, int& code) {
  auto taken = DataFolderLock::acquire(config.data.dir, command);
  if (!taken) {
    code = fail(taken.error());
    return nullptr;
  }
  lock.emplace(std::move(*taken));
  return open_or_report(config, code);
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
  auto account = rt->accounts->create_unchecked(in, services::cli_origin());
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
        out.push_back(json::object{{"id", a.id},
                                   {"login", a.login},
                                   {"role", services::role_name(a.role)},
                                   {"plan", a.plan},
                                   {"user_type", a.user_type},
                                   {"created_at", a.created_at}});
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

int usage_print(const core::Config& config, const std::string& account, bool as_json) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  const std::string who = account.empty() ? "admin" : account;
  auto found = rt->accounts->by_login(who);
  if (!found) found = rt->accounts->get(cli_admin(), who);
  if (!found) return fail(found.error());
  auto view = rt->quota->usage_of(cli_admin(), found->id);
  if (!view) return fail(view.error());
  json::object out = api::native::usage_json(found->id, *view);
  if (as_json) {
    std::cout << json::serialize(out) << "\n";
    return 0;
  }
  std::cout << "account " << found->login << " (" << found->id << ")  plan " << view->plan_name
            << (view->plan_granted_by.empty() ? "" : " (chosen by " + view->plan_granted_by + ")") << "\n";
  for (const char* period : {"today", "month"}) {
    const auto& p = out.at(period).as_object();
    std::cout << period << " " << json::value_to<std::string>(p.at("period")) << " (resets "
              << json::value_to<std::string>(p.at("resets_at")) << ")\n";
    for (const auto& [metric, c] : p) {
      if (!c.is_object()) continue;
      const auto& o = c.as_object();
      std::cout << "  " << std::string(metric) << ": " << o.at("used").as_int64() << " used";
      if (o.at("limit").is_null()) {
        std::cout << ", no limit\n";
      } else {
        std::cout << " of " << o.at("limit").as_int64() << ", " << o.at("remaining").as_int64() << " left\n";
      }
    }
  }
  return 0;
}

int keys_create(const core::Config& config, const std::string& account_login, const std::string& name) {
  int code = 0;
  auto rt = open_or_report(config, code);
  if (!rt) return code;
  auto account = rt->accounts->by_login(account_login);
  if (!account) return fail(account.error());
  auto key = rt->keys->create_unchecked(account->id, name, services::cli_origin());
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
      out.push_back(json::object{{"id", k.id},
                                 {"name", k.name},
                                 {"masked", k.masked()},
                                 {"created_at", k.created_at},
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
  if (auto st = rt->keys->revoke(cli_admin(), key_id, services::cli_origin()); !st) return fail(st.error());
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
      out.push_back(json::object{{"method", http::method_name(r->method)},
                                 {"path", r->pattern},
                                 {"public", r->options.is_public}});
    } else {
      std::cout << http::method_name(r->method) << "\t" << r->pattern << (r->options.is_public ? "\tpublic" : "")
                << "\n";
    }
  }
  if (as_json) std::cout << json::serialize(out) << "\n";
  return 0;
}

int openapi_print(const core::Config& config, bool check, bool postman) {
  http::Router router;
  register_routes(router, api::Context{&config}, api::native::SystemDeps{}, "web");
  auto assembly = api::openapi::assemble(api::openapi::route_infos(router));
  if (postman) {
    std::cout << json::serialize(api::openapi::postman_collection(assembly.document)) << "\n";
  } else {
    std::cout << json::serialize(assembly.document) << "\n";
  }
  if (!check) return 0;
  for (const auto& e : assembly.errors) std::cerr << "openapi: " << e << "\n";
  for (const auto& r : assembly.undocumented) std::cerr << "openapi: undocumented route " << r << "\n";
  for (const auto& r : assembly.stale) std::cerr << "openapi: documented but not served: " << r << "\n";
  return assembly.ok() ? 0 : 1;
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

// Adds a copy of the local file at `path` (the service takes ownership of what it is given; the
// user's file is never moved).
core::Result<services::File> add_copy(Runtime& rt, const core::Config& config, const services::Principal& who,
                                      const std::filesystem::path& path, std::optional<std::string> folder_id) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return core::Error(core::Code::InvalidInput, "not a file");
  auto copy = std::filesystem::path(config.data.dir) / "tmp" / ("ingest-" + core::random_hex(8));
  std::filesystem::create_directories(copy.parent_path(), ec);
  std::filesystem::copy_file(path, copy, ec);
  if (ec) return core::Error(core::Code::Internal, ec.message());
  services::NewFile info;
  info.name = path.filename().string();
  info.folder = std::move(folder_id);
  auto file = rt.knowledge->add_file(who, copy, std::move(info));
  std::filesystem::remove(copy, ec);
  return file;
}

// Polls the file until its ingestion ends (processed or failed), calling on_poll each time.
core::Result<services::File> wait_ingested(Runtime& rt, const services::Principal& who, const std::string& id,
                                           const std::function<void(const services::File&)>& on_poll) {
  while (true) {
    auto f = rt.knowledge->get_file(who, id);
    if (!f) return f.error();
    if (on_poll) on_poll(*f);
    if (f->status == "processed" || f->status == "failed") return f;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// The id of the folder at `path` ("a/b/c"; nullopt for "", the top), each level found or made.
// `made` remembers the paths already resolved in this run.
core::Result<std::optional<std::string>> folder_at(Runtime& rt, const services::Principal& who, const std::string& path,
                                                   std::map<std::string, std::optional<std::string>>& made) {
  if (auto it = made.find(path); it != made.end()) return it->second;
  std::optional<std::string> folder_id;
  std::string path_so_far;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string name = path.substr(i, j - i);
    i = j + 1;
    if (name.empty()) continue;
    path_so_far += (path_so_far.empty() ? "" : "/") + name;
    auto existing = rt.knowledge->resolve_folder(who, path_so_far);
    auto folder = existing ? existing : rt.knowledge->create_folder(who, name, "", folder_id);
    if (!folder) return folder.error();
    folder_id = folder->id;
  }
  made[path] = folder_id;
  return folder_id;
}

// A file to add, with the folder it goes to and the name it is reported by.
struct IngestTarget {
  std::filesystem::path path;
  std::string folder;  // "a/b", "" for the top
  std::string shown;   // the path as given, or relative to the folder given
};

// The files named by `paths`: files as they are, folders read recursively (folder_walk.h), their
// sub-folders mirrored under `folder`. Prints a line for each entry left out; `skipped` counts the
// ones that could not be read.
std::vector<IngestTarget> ingest_targets(const std::vector<std::string>& paths, const std::string& folder,
                                         const std::filesystem::path& data_dir, int& skipped) {
  std::vector<IngestTarget> out;
  auto join = [](const std::string& a, const std::string& b) { return a.empty() ? b : b.empty() ? a : a + "/" + b; };
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      out.push_back(IngestTarget{p, folder, std::filesystem::path(p).filename().string()});
      continue;
    }
    auto walk = walk_folder(p, data_dir);
    for (const auto& line : walk.skipped) std::cerr << "docent: " << line << "\n";
    for (const auto& line : walk.passed_over) std::cerr << "docent: " << line << "\n";
    skipped += static_cast<int>(walk.skipped.size());
    if (walk.files.empty()) std::cerr << "docent: " << p << ": no file to add in this folder\n";
    for (auto& f : walk.files) {
      std::string shown = join(f.subfolder, f.path.filename().string());
      out.push_back(IngestTarget{std::move(f.path), join(folder, f.subfolder), std::move(shown)});
    }
  }
  return out;
}

}  // namespace

int ingest_files(const core::Config& config, const std::vector<std::string>& paths, const std::string& folder,
                 const std::string& account_login) {
  int code = 0;
  std::optional<DataFolderLock> lock;
  auto rt = open_owned(config, "docent ingest", lock, code);
  if (!rt) return code;
  if (auto admin = bootstrap_admin(*rt); admin && *admin) {
    std::cerr << "docent: first start: created admin account 'admin'; its API key (shown once): " << **admin << "\n";
  }
  auto who = principal_of(*rt, account_login);
  if (!who) return fail(who.error());
  if (auto st = start_background_work(*rt); !st) return fail(st.error());

  int failures = 0;
  const auto targets = ingest_targets(paths, folder, config.data.dir, failures);
  std::map<std::string, std::optional<std::string>> folders;
  if (auto base = folder_at(*rt, *who, folder, folders); !base) return fail(base.error());
  std::vector<std::pair<std::string, std::string>> queued;  // (id, name shown)
  for (const auto& t : targets) {
    auto folder_id = folder_at(*rt, *who, t.folder, folders);
    if (!folder_id) {
      std::cerr << "docent: " << t.path.string() << ": folder " << t.folder << ": " << folder_id.error().message
                << "\n";
      ++failures;
      continue;
    }
    auto file = add_copy(*rt, config, *who, t.path, *folder_id);
    if (!file) {
      std::cerr << "docent: " << t.path.string() << ": " << file.error().message << "\n";
      ++failures;
      continue;
    }
    queued.emplace_back(file->id, t.shown);
  }
  size_t done = 0;
  std::vector<std::string> report;
  for (const auto& [id, name] : queued) {
    auto f = wait_ingested(*rt, *who, id, [&, name = name](const services::File& f) {
      draw_progress(done, queued.size(), name + " (" + f.status + ")");
    });
    if (f && f->status == "processed") {
      report.push_back("  ok      " + name + ": " + std::to_string(f->pages) + " pages, " +
                       std::to_string(f->chunk_count) + " chunks  " + id);
    } else {
      report.push_back("  failed  " + name + ": " + (f ? f->status_reason : f.error().message));
      ++failures;
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
  std::optional<DataFolderLock> lock;
  auto rt = open_owned(config, "docent search", lock, code);
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
      out.push_back(json::object{{"file_id", h.file_id},
                                 {"filename", h.file_name},
                                 {"page", h.page},
                                 {"section", h.section},
                                 {"score", h.score},
                                 {"text", h.text}});
      continue;
    }
    std::string snippet = h.text.substr(0, 240);
    std::replace(snippet.begin(), snippet.end(), '\n', ' ');
    std::cout << ++n << ". " << h.file_name << ", page " << h.page << (h.section.empty() ? "" : " — " + h.section)
              << "\n   " << snippet << (h.text.size() > 240 ? "..." : "") << "\n";
  }
  if (as_json) std::cout << json::serialize(out) << "\n";
  if (!as_json && hits->empty()) std::cout << "no results\n";
  if (auto pending = rt->knowledge->pending_files(*who, q); pending && !pending->empty()) {
    std::cerr << "note: " << pending->size() << (pending->size() == 1 ? " file is" : " files are")
              << " still being ingested and not searched yet\n";
  }
  return 0;
}

int ask(const core::Config& config, const AskArgs& args) {
  int code = 0;
  std::optional<DataFolderLock> lock;
  auto rt = open_owned(config, "docent ask", lock, code);
  if (!rt) return code;
  if (auto admin = bootstrap_admin(*rt); admin && *admin) {
    std::cerr << "docent: first start: created admin account 'admin'; its API key (shown once): " << **admin << "\n";
  }
  auto who = principal_of(*rt, args.account);
  if (!who) return fail(who.error());
  if (auto st = start_background_work(*rt); !st) return fail(st.error());
  struct Stop {
    Runtime& rt;
    ~Stop() { stop_background_work(rt, std::chrono::steady_clock::now() + std::chrono::seconds(10)); }
  } stop{*rt};

  // A file already in the account's knowledge base (same bytes) is asked about as it is.
  std::map<std::string, std::string> by_sha;  // sha256 -> file id
  if (!args.files.empty()) {
    std::string after;
    while (true) {
      auto page = rt->knowledge->list_files(*who, std::nullopt, after, 1000);
      if (!page) return fail(page.error());
      for (const auto& f : page->items) {
        if (f.status != "failed") by_sha.emplace(f.sha256, f.id);
      }
      if (!page->has_more || page->next_cursor.empty()) break;
      after = page->next_cursor;
    }
  }
  services::NewConversation nc;
  for (const auto& p : args.files) {
    auto sha = core::crypto::sha256_file_hex(p);
    if (!sha) {
      std::cerr << "docent: " << p << ": " << sha.error().message << "\n";
      return 2;
    }
    std::string id;
    if (auto it = by_sha.find(*sha); it != by_sha.end()) {
      id = it->second;
    } else {
      auto file = add_copy(*rt, config, *who, p, std::nullopt);
      if (!file) {
        std::cerr << "docent: " << p << ": " << file.error().message << "\n";
        return 2;
      }
      id = file->id;
      by_sha.emplace(*sha, id);
    }
    auto f = wait_ingested(*rt, *who, id, [&](const services::File& f) {
      if (::isatty(2)) std::cerr << "\rreading " << f.name << " (" << f.status << ")\033[K" << std::flush;
    });
    if (::isatty(2)) std::cerr << "\r\033[K" << std::flush;
    if (!f) return fail(f.error());
    if (f->status == "failed") {
      std::cerr << "docent: " << p << ": " << f->status_reason << "\n";
      return 2;
    }
    if (std::find(nc.file_ids.begin(), nc.file_ids.end(), id) == nc.file_ids.end()) nc.file_ids.push_back(id);
  }

  std::string conversation_id = args.conversation;
  if (conversation_id.empty()) {
    auto c = rt->conversations->create(*who, nc);
    if (!c) return fail(c.error());
    conversation_id = c->id;
  }
  services::AskInput in;
  in.conversation_id = conversation_id;
  in.question = args.question;
  in.model = args.model;
  auto answer = rt->chat->ask(
      *who, in,
      [](std::string_view delta) {
    std::cout << delta << std::flush;
    return true;
      },
      {});
  if (!answer) {
    std::cout << std::flush;
    return fail(answer.error());
  }
  std::cout << "\n";
  if (!answer->answer.citations.empty()) {
    std::cout << "\nSources:\n";
    for (const auto& c : answer->answer.citations) {
      std::cout << "  [" << c.number << "] " << c.file_name;
      if (c.page > 0) std::cout << ", page " << c.page;
      std::cout << "\n";
    }
  }
  std::cerr << "conversation " << conversation_id << " (docent ask --conversation " << conversation_id
            << " to go on)\n";
  return answer->answer.status == "complete" ? 0 : 1;
}

}  // namespace docent::app
