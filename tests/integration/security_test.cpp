// The security floor (DESIGN.md §4) checked from outside: every non-public route refuses
// missing, wrong and revoked keys; no secret is ever stored in plain text; acknowledged writes
// survive kill -9 with the database intact; the first start prints its admin key once.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <signal.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace docent::testing {
namespace {

namespace json = boost::json;


// Replaces each {param} of a route pattern with a fresh value.
std::string concrete(const std::string& pattern) {
  static const std::regex kParam(R"(\{[^}]+\})");
  return std::regex_replace(pattern, kParam, "01a2126a-0000-7000-8000-000000000000");
}

TEST(Security, EveryNonPublicRouteRejectsMissingWrongAndRevokedKeys) {
  ServerProcess server;
  HttpClient c(server.port());
  // A key that worked and was then revoked.
  auto made = c.post_json("/v1/keys", R"({"name":"to revoke"})", bearer(server.admin_key()));
  ASSERT_EQ(made.status, 201);
  std::string revoked = str(made.json().at("key"));
  ASSERT_EQ(c.request("DELETE", "/v1/keys/" + str(made.json().at("id")), {}, bearer(server.admin_key())).status, 200);

  auto routes = run_docent({"routes", "--json", "--data", server.data_dir().string()});
  ASSERT_EQ(routes.exit_code, 0) << routes.err;
  auto table = json::parse(routes.out).as_array();
  ASSERT_GT(table.size(), 20u);
  int checked = 0;
  for (const auto& r : table) {
    if (r.at("public").as_bool()) continue;
    const std::string method = str(r.at("method"));
    const std::string path = concrete(str(r.at("path")));
    for (const auto& [label, headers] : std::vector<std::pair<std::string, Headers>>{
             {"missing", {}},
             {"wrong bearer", bearer("dk_thisKeyWasNeverIssuedByThisServer000000000")},
             {"wrong x-api-key", {{"X-API-Key", "dk_alsoNeverIssued0000000000000000000000000"}}},
             {"unregistered device", {{"Device-Id", "device-that-never-registered"}}},
             {"revoked", bearer(revoked)},
             {"not bearer", {{"Authorization", "Basic YWRtaW46YWRtaW4="}}}}) {
      auto res = c.request(method, path, method == "GET" || method == "DELETE" ? "" : "{}", headers);
      EXPECT_EQ(res.status, 401) << method << " " << path << " with " << label << ": " << res.body;
      EXPECT_FALSE(res.body.empty()) << method << " " << path;
      EXPECT_NO_THROW(json::parse(res.body)) << res.body;
    }
    ++checked;
  }
  EXPECT_GT(checked, 15);
}

TEST(Security, UnauthenticatedAnswersUseEachFacesShape) {
  ServerProcess server;
  HttpClient c(server.port());
  auto native = c.get("/v1/accounts");
  EXPECT_EQ(native.json().at("error").at("type"), "authentication_error");
  auto sherpa = c.get("/api/key");
  EXPECT_TRUE(sherpa.json().at("error").is_string());
  auto chatpdf = c.get("/user/quota");
  EXPECT_EQ(chatpdf.json().at("success"), false);
}

// Every byte of every file under `dir` (database, WAL, blobs, keys, logs) as one string.
std::string slurp_tree(const std::filesystem::path& dir) {
  std::string all;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

TEST(Security, NoKeyPasswordOrDeviceIdIsStoredInPlainText) {
  TempDir data;
  std::string user_key, rotated_key;
  const std::string password = "Plain-Text-Password-0451";
  const std::string device = "device-plain-id-77812";
  std::string admin_key;
  {
    ServerProcess server({.data_dir = data.path() / "d"});
    admin_key = server.admin_key();
    HttpClient c(server.port());
    ASSERT_EQ(
        c.post_json("/v1/accounts", R"({"login":"plain","password":")" + password + R"("})", bearer(admin_key)).status,
        201);
    auto login = c.post_json("/v1/auth/login", R"({"login":"plain","password":")" + password + R"("})");
    user_key = str(login.json().at("api_key").at("key"));
    auto rotated = c.post_json("/v1/keys/" + str(login.json().at("api_key").at("id")) + "/rotate", "",
                               bearer(user_key));
    rotated_key = str(rotated.json().at("key"));
    ASSERT_EQ(c.post_json("/auth/register-device", R"({"deviceId":")" + device + R"("})").status, 200);
    // Checked while running (WAL files present) and after a clean stop.
    std::string live = slurp_tree(server.data_dir());
    for (const auto& secret : {admin_key, user_key, rotated_key, password, device}) {
      EXPECT_EQ(live.find(secret), std::string::npos) << "found a secret in the data folder while running";
    }
    server.stop(SIGTERM);
  }
  std::string all = slurp_tree(data.path() / "d");
  ASSERT_GT(all.size(), 10000u);
  for (const auto& secret : {admin_key, user_key, rotated_key, password, device}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << "found a secret in the data folder";
  }
  // The master key file is private to its owner.
  auto perms = std::filesystem::status(data.path() / "d" / "master.key").permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

TEST(Security, FirstStartPrintsTheAdminKeyOnceAndDataSurvivesRestart) {
  TempDir data;
  std::string key;
  {
    ServerProcess first({.data_dir = data.path() / "d"});
    key = first.admin_key();
    ASSERT_FALSE(key.empty());
  }
  ServerProcess second({.data_dir = data.path() / "d"});
  EXPECT_TRUE(second.admin_key().empty()) << "a second start must not make another admin";
  EXPECT_EQ(second.stdout_text().find("dk_"), std::string::npos);
  HttpClient c(second.port());
  EXPECT_EQ(c.get("/v1/accounts/me", bearer(key)).status, 200);
}

TEST(Security, KillNineLosesNoAcknowledgedWriteAndLeavesTheDatabaseIntact) {
  TempDir data;
  const auto dir = data.path() / "d";
  std::vector<std::string> acknowledged;
  std::string admin_key;
  {
    ServerProcess server({.data_dir = dir});
    admin_key = server.admin_key();
    // Writers in a loop; the server is killed while they run.
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::thread> writers;
    for (int t = 0; t < 3; ++t) {
      writers.emplace_back([&, t] {
        HttpClient c(server.port());
        for (int i = 0; !stop; ++i) {
          try {
            auto res = c.post_json("/v1/keys", R"({"name":"w)" + std::to_string(t) + "-" + std::to_string(i) + R"("})",
                                   bearer(admin_key));
            if (res.status == 201) {
              std::lock_guard lock(mu);
              acknowledged.push_back(str(res.json().at("id")));
            }
          } catch (const std::exception&) {
            return;  // the server died mid-request
          }
        }
      });
    }
    while (true) {
      {
        std::lock_guard lock(mu);
        if (acknowledged.size() >= 60) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    server.stop(SIGKILL);
    stop = true;
    for (auto& w : writers) w.join();
  }
  ASSERT_GE(acknowledged.size(), 60u);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "docent.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
  sqlite3_finalize(st);
  sqlite3_close(db);

  ServerProcess again({.data_dir = dir});
  HttpClient c(again.port());
  for (const auto& id : acknowledged) {
    EXPECT_EQ(c.get("/v1/keys/" + id, bearer(admin_key)).status, 200) << "acknowledged key " << id << " was lost";
  }
}

TEST(Security, CliManagesAccountsAndKeysOnTheDataFolder) {
  TempDir data;
  const std::string dir = (data.path() / "d").string();
  auto created = run_docent(
      {"accounts", "create", "--login", "cli-user", "--password", "cli-password-1", "--data", dir});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  auto key = run_docent({"keys", "create", "--account", "cli-user", "--name", "script", "--data", dir});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_TRUE(std::regex_match(key.out, std::regex("dk_[0-9A-Za-z]{40,}\n")))
      << "stdout must be the key alone: " << key.out;
  std::string plain = key.out.substr(0, key.out.size() - 1);

  ServerProcess server({.data_dir = dir});
  EXPECT_TRUE(server.admin_key().empty()) << "accounts existed, so no admin is made";
  HttpClient c(server.port());
  EXPECT_EQ(c.get("/v1/accounts/me", bearer(plain)).json().at("login"), "cli-user");

  auto list = run_docent({"keys", "list", "--account", "cli-user", "--json", "--data", dir});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find(plain), std::string::npos);
  auto keys = json::parse(list.out).as_array();
  ASSERT_EQ(keys.size(), 1u);
  auto revoked = run_docent({"keys", "revoke", str(keys[0].at("id")), "--data", dir});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(c.get("/v1/accounts/me", bearer(plain)).status, 401) << "revocation by the CLI takes effect at once";

  auto accounts = run_docent({"accounts", "list", "--json", "--data", dir});
  EXPECT_NE(accounts.out.find("cli-user"), std::string::npos);
  EXPECT_EQ(run_docent({"keys", "create", "--account", "nobody", "--data", dir}).exit_code, 3);
  EXPECT_NE(run_docent({"accounts", "create", "--login", "x", "--password", "short", "--data", dir}).exit_code, 0);
}

}  // namespace
}  // namespace docent::testing
