// The audit trail against the real binary: every security-relevant action (logins, keys, accounts,
// plans, webhooks) makes exactly one record naming the actor, the outcome and the client address; a failed
// login is recorded without its password; users read their own records, admins all, with filters
// and paging; and after a whole flow neither a plain key nor a password is anywhere in the database.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace docent::testing {
namespace {

namespace json = boost::json;

class AuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Webhooks at a loopback address are allowed here so the test can register some (nothing is delivered).
    ServerOptions o;
    o.env = {{"DOCENT_WEBHOOKS_ALLOW_PRIVATE", "true"}, {"DOCENT_WEBHOOKS_ALLOW_HTTP", "true"}};
    server_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  const std::string& admin() { return server_->admin_key(); }

  // The records the key may read for `query`, every page of them.
  json::array events(const std::string& key, const std::string& query = "") {
    json::array out;
    std::string after;
    for (int pages = 0; pages < 100; ++pages) {
      std::string target = "/v1/audit?limit=100" + (query.empty() ? "" : "&" + query);
      if (!after.empty()) target += "&after=" + after;
      auto res = client.get(target, bearer(key));
      EXPECT_EQ(res.status, 200) << res.body;
      if (res.status != 200) break;
      auto o = res.json().as_object();
      EXPECT_EQ(str(o.at("object")), "list");
      for (auto& e : o.at("data").as_array()) out.push_back(e);
      if (!o.at("has_more").as_bool()) break;
      after = str(o.at("next_cursor"));
    }
    return out;
  }
  // The one record of `action` on `target_id` (a test failure unless there is exactly one).
  json::object the(const std::string& action, const std::string& target_id) {
    json::array found;
    for (auto& e : events(admin(), "action=" + action)) {
      if (str(e.at("target").at("id")) == target_id) found.push_back(e);
    }
    EXPECT_EQ(found.size(), 1u) << action << " on " << target_id << ": " << json::serialize(found);
    return found.empty() ? json::object{} : found[0].as_object();
  }
  void expect_by(const json::object& e, const std::string& actor, const std::string& outcome = "success") {
    if (e.empty()) return;
    EXPECT_EQ(str(e.at("outcome")), outcome) << json::serialize(e);
    EXPECT_EQ(str(e.at("client_address")), "127.0.0.1") << json::serialize(e);
    EXPECT_FALSE(str(e.at("request_id")).empty());
    if (actor.empty()) {
      EXPECT_TRUE(e.at("actor").at("account_id").is_null()) << json::serialize(e);
    } else {
      EXPECT_EQ(str(e.at("actor").at("account_id")), actor) << json::serialize(e);
    }
  }
  std::string admin_id() { return str(client.get("/v1/accounts/me", bearer(admin())).json().at("id")); }
  // Creates a user and signs it in: its account id and key.
  std::pair<std::string, std::string> user(const std::string& login, const std::string& password) {
    auto made = client.post_json("/v1/accounts", R"({"login":")" + login + R"(","password":")" + password + "\"}",
                                 bearer(admin()));
    EXPECT_EQ(made.status, 201) << made.body;
    auto res = client.post_json("/v1/auth/login", R"({"login":")" + login + R"(","password":")" + password + "\"}");
    EXPECT_EQ(res.status, 200) << res.body;
    return {str(made.json().at("id")), str(res.json().at("api_key").at("key"))};
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* AuditTest::server_ = nullptr;

TEST_F(AuditTest, LoginsAreRecordedWithTheirOutcomeAndNeverThePassword) {
  auto [id, key] = user("audit-login", "correct-horse-1");
  auto bad = client.post_json("/v1/auth/login", R"({"login":"audit-login","password":"wrong-guess-77"})");
  EXPECT_EQ(bad.status, 401);
  json::array failures;
  for (auto& e : events(admin(), "action=auth.login&outcome=failure")) {
    if (e.at("details").as_object().contains("login") && str(e.at("details").at("login")) == "audit-login")
      failures.push_back(e);
  }
  ASSERT_EQ(failures.size(), 1u) << json::serialize(failures);
  expect_by(failures[0].as_object(), "", "failure");
  EXPECT_EQ(str(failures[0].at("reason")), "wrong_credentials");
  EXPECT_EQ(json::serialize(failures[0]).find("wrong-guess-77"), std::string::npos);
  expect_by(the("auth.login", id), id);
}

TEST_F(AuditTest, KeyCreateRotateAndRevokeEachMakeOneRecord) {
  auto [id, key] = user("audit-keys", "password-keys-1");
  auto made = client.post_json("/v1/keys", R"({"name":"ci"})", bearer(key));
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string made_id = str(made.json().at("id"));
  auto created = the("key.create", made_id);
  expect_by(created, id);
  if (!created.empty()) {
    EXPECT_EQ(str(created.at("account_id")), id);
  }
  auto rotated = client.post_json("/v1/keys/" + made_id + "/rotate", "", bearer(key));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string new_id = str(rotated.json().at("id"));
  expect_by(the("key.rotate", made_id), id);
  EXPECT_EQ(client.request("DELETE", "/v1/keys/" + new_id, "", bearer(admin())).status, 200);
  expect_by(the("key.revoke", new_id), admin_id());
  // The sherpa face's assign and refresh are the same actions.
  auto assigned = client.post_json("/api/key/assign", "", bearer(key));
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  json::array sherpa_creates = events(key, "action=key.create");
  EXPECT_EQ(sherpa_creates.size(), 3u);  // at login, through /v1/keys, through /api/key/assign
}

TEST_F(AuditTest, AccountCreateUpdatePlanAndDeleteAreRecordedOnce) {
  auto [id, key] = user("audit-account", "password-acct-1");
  expect_by(the("account.create", id), admin_id());
  auto patched = client.request("PATCH", "/v1/accounts/" + id, R"({"first_name":"Ada"})",
                                {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto update = the("account.update", id);
  expect_by(update, id);
  if (!update.empty()) {
    EXPECT_EQ(str(update.at("details").at("fields")), "first_name");
  }
  auto plan = client.request("PATCH", "/v1/accounts/" + id, R"({"plan":"free"})",
                             {{"Authorization", "Bearer " + admin()}, {"Content-Type", "application/json"}});
  ASSERT_EQ(plan.status, 200) << plan.body;
  auto change = the("plan.change", id);
  expect_by(change, admin_id());
  if (!change.empty()) {
    EXPECT_EQ(str(change.at("details").at("to")), "free");
  }
  EXPECT_EQ(events(admin(), "action=account.update&account_id=" + id).size(), 1u)
      << "a plan change alone is one record";
  EXPECT_EQ(client.request("DELETE", "/v1/accounts/" + id, "", bearer(admin())).status, 200);
  expect_by(the("account.delete", id), admin_id());
}

TEST_F(AuditTest, PlanDefinitionsCreateUpdateAndDeleteAreRecorded) {
  auto made = client.post_json("/v1/plans", R"({"name":"audit-team","rank":12,"questionPerDay":3})", bearer(admin()));
  ASSERT_EQ(made.status, 201) << made.body;
  expect_by(the("plan.create", "audit-team"), admin_id());
  auto edited = client.request("PATCH", "/v1/plans/audit-team", R"({"questionPerDay":5})",
                               {{"Authorization", "Bearer " + admin()}, {"Content-Type", "application/json"}});
  ASSERT_EQ(edited.status, 200) << edited.body;
  expect_by(the("plan.update", "audit-team"), admin_id());
  EXPECT_EQ(client.request("DELETE", "/v1/plans/audit-team", "", bearer(admin())).status, 200);
  expect_by(the("plan.delete", "audit-team"), admin_id());
}

TEST_F(AuditTest, WebhookCreateUpdateAndDeleteAreRecordedWithoutTheSecret) {
  auto [id, key] = user("audit-hooks", "password-hook-1");
  auto made = client.post_json(
      "/v1/webhooks",
      R"({"url":"http://127.0.0.1:9/hook","events":["file.uploaded"],"secret":"whsec_c2VjcmV0LXRoYXQtbXVzdC1zdGF5LWhpZGRlbg=="})",
      bearer(key));
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string hook = str(made.json().at("id"));
  auto created = the("webhook.create", hook);
  expect_by(created, id);
  if (!created.empty()) {
    EXPECT_EQ(str(created.at("account_id")), id);
    EXPECT_EQ(str(created.at("details").at("url")), "http://127.0.0.1:9/hook");
  }
  auto patched = client.request("PATCH", "/v1/webhooks/" + hook,
                                R"({"secret":"whsec_YW5vdGhlci1zZWNyZXQtdGhhdC1zdGF5cy1oaWRkZW4=","enabled":false})",
                                {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  auto updated = the("webhook.update", hook);
  expect_by(updated, id);
  if (!updated.empty()) {
    EXPECT_EQ(str(updated.at("details").at("fields")), "secret,enabled");
  }
  EXPECT_EQ(client.request("DELETE", "/v1/webhooks/" + hook, "", bearer(admin())).status, 200);
  expect_by(the("webhook.delete", hook), admin_id());
  const std::string all = json::serialize(events(admin(), "account_id=" + id));
  EXPECT_EQ(all.find("c2VjcmV0LXRoYXQtbXVzdC1zdGF5LWhpZGRlbg"), std::string::npos);
  EXPECT_EQ(all.find("YW5vdGhlci1zZWNyZXQtdGhhdC1zdGF5cy1oaWRkZW4"), std::string::npos);
}

TEST_F(AuditTest, DeviceRegistrationAndSelfUpgradeAreRecorded) {
  auto reg = client.post_json("/auth/register-device", R"({"deviceId":"audit-device-0001"})");
  ASSERT_EQ(reg.status, 200) << reg.body;
  const std::string id = str(reg.json().at("data").at("_id"));
  auto created = the("account.create", id);
  expect_by(created, id);
  if (!created.empty()) {
    EXPECT_TRUE(created.at("actor").at("device").as_bool());
  }
  auto again = client.post_json("/auth/register-device", R"({"deviceId":"audit-device-0001"})");
  EXPECT_EQ(again.status, 200);
  the("account.create", id);  // still one: the second registration found the account
  auto up = client.request("PUT", "/user/upgrade-plan", R"({"packageType":"plus"})",
                           {{"Device-Id", "audit-device-0001"}, {"Content-Type", "application/json"}});
  ASSERT_EQ(up.status, 200) << up.body;
  auto change = the("plan.change", id);
  expect_by(change, id);
  if (!change.empty()) {
    EXPECT_EQ(str(change.at("details").at("to")), "plus");
  }
  std::string all = json::serialize(events(admin()));
  EXPECT_EQ(all.find("audit-device-0001"), std::string::npos) << "a device id is a credential";
}

TEST_F(AuditTest, UsersSeeTheirOwnRecordsAndAdminsAllWithFiltersAndPaging) {
  auto [alice, alice_key] = user("audit-alice", "password-alice-1");
  auto [bob, bob_key] = user("audit-bob", "password-bob-1");
  for (int i = 0; i < 3; ++i) client.post_json("/v1/keys", "", bearer(alice_key));
  for (auto& e : events(alice_key)) {
    const bool actor = !e.at("actor").at("account_id").is_null() && str(e.at("actor").at("account_id")) == alice;
    const bool subject = !e.at("account_id").is_null() && str(e.at("account_id")) == alice;
    EXPECT_TRUE(actor || subject) << json::serialize(e);
  }
  EXPECT_EQ(events(alice_key, "action=key.create").size(), 4u);  // login + 3
  EXPECT_EQ(events(bob_key, "action=key.create").size(), 1u);
  auto refused = client.get("/v1/audit?account_id=" + alice, bearer(bob_key));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_TRUE(refused.json().at("error").is_object());
  EXPECT_EQ(events(admin(), "account_id=" + alice + "&action=key.create").size(), 4u);
  EXPECT_GT(events(admin()).size(), events(alice_key).size());

  // Pages of 2, newest first, without repeats.
  auto first = client.get("/v1/audit?limit=2&account_id=" + alice, bearer(admin())).json().as_object();
  ASSERT_EQ(first.at("data").as_array().size(), 2u);
  EXPECT_TRUE(first.at("has_more").as_bool());
  auto second = client
                    .get("/v1/audit?limit=2&account_id=" + alice + "&after=" + str(first.at("next_cursor")),
                         bearer(admin()))
                    .json()
                    .as_object();
  ASSERT_FALSE(second.at("data").as_array().empty());
  EXPECT_NE(str(second.at("data").as_array()[0].at("id")), str(first.at("data").as_array()[1].at("id")));
  EXPECT_GE(str(first.at("data").as_array()[1].at("created_at")),
            str(second.at("data").as_array()[0].at("created_at")));

  EXPECT_TRUE(events(admin(), "since=4102444800").empty());  // 2100
  EXPECT_TRUE(events(admin(), "until=1").empty());
  EXPECT_FALSE(events(admin(), "since=1").empty());
  EXPECT_EQ(client.get("/v1/audit?limit=101", bearer(admin())).status, 400);
  EXPECT_EQ(client.get("/v1/audit?outcome=maybe", bearer(admin())).status, 400);
  EXPECT_EQ(client.get("/v1/audit?after=zz", bearer(admin())).status, 400);
  EXPECT_EQ(client.get("/v1/audit").status, 401);
}

TEST(AuditCli, TheCommandLineIsRecordedWithTheAddressCli) {
  TempDir data;
  const std::string dir = (data.path() / "d").string();
  ASSERT_EQ(run_docent({"accounts", "create", "--login", "cli-audited", "--password", "cli-password-1", "--data", dir})
                .exit_code,
            0);
  auto key = run_docent({"keys", "create", "--account", "cli-audited", "--name", "script", "--data", dir});
  ASSERT_EQ(key.exit_code, 0) << key.err;
  const std::string plain = key.out.substr(0, key.out.size() - 1);
  ServerProcess server({.data_dir = dir});
  HttpClient c(server.port());
  auto res = c.get("/v1/audit", bearer(plain));
  ASSERT_EQ(res.status, 200) << res.body;
  std::map<std::string, int> actions;
  const json::value body = res.json();
  for (const auto& e : body.at("data").as_array()) {
    ++actions[str(e.at("action"))];
    EXPECT_EQ(str(e.at("client_address")), "cli") << json::serialize(e);
    EXPECT_TRUE(e.at("actor").at("account_id").is_null()) << json::serialize(e);
  }
  EXPECT_EQ(actions, (std::map<std::string, int>{{"account.create", 1}, {"key.create", 1}}));
}

// Everything the data folder's database holds (the main file and its write-ahead log).
std::string database_bytes(const std::filesystem::path& dir) {
  std::string all;
  for (const char* name : {"docent.db", "docent.db-wal"}) {
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

TEST_F(AuditTest, NoKeyOrPasswordIsAnywhereInTheDatabaseAfterAFlow) {
  const std::string password = "flow-password-Zq81";
  auto [id, key] = user("audit-flow", password);
  client.post_json("/v1/auth/login", R"({"login":"audit-flow","password":"flow-wrong-Qx55"})");
  auto made = client.post_json("/v1/keys", R"({"name":"flow"})", bearer(key));
  const std::string key2 = str(made.json().at("key"));
  auto rotated = client.post_json("/v1/keys/" + str(made.json().at("id")) + "/rotate", "", bearer(key));
  const std::string key3 = str(rotated.json().at("key"));
  auto assigned = client.post_json("/api/key/assign", "", bearer(key));
  const std::string key4 = str(assigned.json().at("Key"));
  client.request("PATCH", "/v1/accounts/" + id, R"({"password":"flow-password-new-Vb42"})",
                 {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  EXPECT_FALSE(events(admin(), "account_id=" + id).empty());
  const std::string db = database_bytes(server_->data_dir());
  ASSERT_GT(db.size(), 4096u);
  for (const std::string& secret : {password, std::string("flow-wrong-Qx55"), std::string("flow-password-new-Vb42"),
                                    key, key2, key3, key4, admin()}) {
    ASSERT_GT(secret.size(), 8u);
    EXPECT_EQ(db.find(secret), std::string::npos) << "found a secret in the database: " << secret.substr(0, 6);
  }
}

}  // namespace
}  // namespace docent::testing
