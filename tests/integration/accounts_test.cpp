// Accounts, API keys, devices and plans through every face that serves them, against the real
// binary: shapes, ownership (another account's ids are 404), and what must never be returned.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace docent::testing {
namespace {

namespace json = boost::json;


// Every key of every object in a JSON document, recursively, lowercased.
void collect_keys(const json::value& v, std::vector<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      std::string key(k);
      std::transform(key.begin(), key.end(), key.begin(), ::tolower);
      out.push_back(key);
      collect_keys(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_keys(child, out);
  }
}

void expect_no_secrets(const HttpResponse& res, const std::string& password = {}) {
  std::vector<std::string> keys;
  if (!res.body.empty() && (res.body[0] == '{' || res.body[0] == '[')) {
    collect_keys(res.json(), keys);
  }
  for (const auto& k : keys) {
    EXPECT_EQ(k.find("password"), std::string::npos) << "response carries a '" << k << "' field: " << res.body;
    EXPECT_EQ(k.find("hash"), std::string::npos) << res.body;
  }
  EXPECT_EQ(res.body.find("$argon2"), std::string::npos) << res.body;
  if (!password.empty()) {
    EXPECT_EQ(res.body.find(password), std::string::npos) << res.body;
  }
}

class AccountsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // A fresh user account and a key for it, made by the admin through the native API.
  struct User {
    std::string id, login, password, key;
  };
  User make_user(const std::string& login) {
    User u{"", login, "pw-" + login + "-secret", ""};
    auto created = client.post_json("/v1/accounts",
                                    R"({"login":")" + login + R"(","password":")" + u.password + R"("})", admin());
    EXPECT_EQ(created.status, 201) << created.body;
    u.id = str(created.json().at("id"));
    auto login_res = client.post_json("/v1/auth/login",
                                      R"({"login":")" + login + R"(","password":")" + u.password + R"("})");
    EXPECT_EQ(login_res.status, 200) << login_res.body;
    u.key = str(login_res.json().at("api_key").at("key"));
    return u;
  }
  Headers admin() const { return bearer(server_->admin_key()); }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* AccountsTest::server_ = nullptr;

TEST_F(AccountsTest, FirstStartPrintedAWorkingAdminKey) {
  ASSERT_FALSE(server_->admin_key().empty()) << server_->stdout_text();
  auto me = client.get("/v1/accounts/me", admin());
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json().at("login"), "admin");
  EXPECT_EQ(me.json().at("role"), "admin");
}

TEST_F(AccountsTest, NativeAccountLifecycle) {
  User u = make_user("native-life");
  auto self = client.get("/v1/accounts/" + u.id, bearer(u.key));
  ASSERT_EQ(self.status, 200);
  EXPECT_EQ(self.json().at("role"), "user");
  expect_no_secrets(self, u.password);

  auto patched = client.request("PATCH", "/v1/accounts/" + u.id, R"({"first_name":"Ada","company":"ACME"})",
                                {{"Authorization", "Bearer " + u.key}, {"Content-Type", "application/json"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.json().at("first_name"), "Ada");

  auto promote = client.request("PATCH", "/v1/accounts/" + u.id, R"({"role":"admin"})", bearer(u.key));
  EXPECT_EQ(promote.status, 403);
  EXPECT_EQ(promote.json().at("error").at("param"), "role");

  auto users_list = client.get("/v1/accounts", bearer(u.key));
  ASSERT_EQ(users_list.status, 200);
  EXPECT_EQ(users_list.json().at("data").as_array().size(), 1u);

  auto del = client.request("DELETE", "/v1/accounts/" + u.id, {}, admin());
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(client.get("/v1/accounts/" + u.id, admin()).status, 404);
  EXPECT_EQ(client.get("/v1/accounts/me", bearer(u.key)).status, 401) << "a deleted account's key must stop working";
}

TEST_F(AccountsTest, CreateValidatesAndRejectsDuplicates) {
  auto missing = client.post_json("/v1/accounts", R"({"login":"x-no-password"})", admin());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().at("error").at("code"), "MISSING_FIELD");
  auto wrong_type = client.post_json("/v1/accounts", R"({"login":"x","password":12345678})", admin());
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(wrong_type.json().at("error").at("param"), "password");
  auto short_pw = client.post_json("/v1/accounts", R"({"login":"x","password":"short"})", admin());
  EXPECT_EQ(short_pw.status, 400);
  make_user("dup-login");
  auto dup = client.post_json("/v1/accounts", R"({"login":"DUP-LOGIN","password":"another-password"})", admin());
  EXPECT_EQ(dup.status, 409) << dup.body;
  User u = make_user("not-admin");
  EXPECT_EQ(client.post_json("/v1/accounts", R"({"login":"y","password":"yyyyyyyyyy"})", bearer(u.key)).status, 403);
}

TEST_F(AccountsTest, ListPaginatesWithCursor) {
  for (int i = 0; i < 3; ++i) make_user("page-" + std::to_string(i));
  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  do {
    auto res = client.get("/v1/accounts?limit=2" + (after.empty() ? "" : "&after=" + after), admin());
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = res.json().as_object();
    EXPECT_LE(body.at("data").as_array().size(), 2u);
    for (const auto& a : body.at("data").as_array()) EXPECT_TRUE(seen.insert(str(a.at("id"))).second);
    after = body.at("next_cursor").is_null() ? "" : str(body.at("next_cursor"));
    EXPECT_EQ(body.at("has_more").as_bool(), !after.empty());
    ++pages;
  } while (!after.empty() && pages < 100);
  EXPECT_GE(seen.size(), 4u);
  EXPECT_GE(pages, 2);
  EXPECT_EQ(client.get("/v1/accounts?limit=0", admin()).status, 400);
  EXPECT_EQ(client.get("/v1/accounts?after=bogus", admin()).status, 400);
}

TEST_F(AccountsTest, WrongPasswordAndUnknownLoginLookTheSame) {
  make_user("login-check");
  auto wrong = client.post_json("/v1/auth/login", R"({"login":"login-check","password":"not-the-password"})");
  auto unknown = client.post_json("/v1/auth/login", R"({"login":"nobody-here","password":"whatever-it-is"})");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.json().at("error").at("message"), unknown.json().at("error").at("message"));
}

TEST_F(AccountsTest, KeysAreShownOnceThenMaskedAndCanBeRotatedAndRevoked) {
  User u = make_user("keys-user");
  auto created = client.post_json("/v1/keys", R"({"name":"ci"})", bearer(u.key));
  ASSERT_EQ(created.status, 201) << created.body;
  std::string plain = str(created.json().at("key"));
  std::string id = str(created.json().at("id"));
  EXPECT_EQ(plain.rfind("dk_", 0), 0u);
  EXPECT_GE(plain.size(), 40u);

  auto list = client.get("/v1/keys", bearer(u.key));
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(plain), std::string::npos) << "the full key must never be listed";
  EXPECT_EQ(list.body.find("\"key\""), std::string::npos);
  EXPECT_NE(list.body.find(plain.substr(0, 7)), std::string::npos);

  EXPECT_EQ(client.get("/v1/accounts/me", bearer(plain)).status, 200);
  auto rotated = client.post_json("/v1/keys/" + id + "/rotate", "", bearer(u.key));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  std::string fresh = str(rotated.json().at("key"));
  EXPECT_NE(fresh, plain);
  EXPECT_EQ(rotated.json().at("name"), "ci");
  EXPECT_EQ(client.get("/v1/accounts/me", bearer(plain)).status, 401);
  EXPECT_EQ(client.get("/v1/accounts/me", bearer(fresh)).status, 200);

  std::string fresh_id = str(rotated.json().at("id"));
  EXPECT_EQ(client.request("DELETE", "/v1/keys/" + fresh_id, {}, bearer(u.key)).status, 200);
  EXPECT_EQ(client.get("/v1/accounts/me", bearer(fresh)).status, 401);
  EXPECT_EQ(client.request("DELETE", "/v1/keys/" + fresh_id, {}, bearer(u.key)).status, 409);
  EXPECT_EQ(client.get("/v1/accounts/me", {{"X-API-Key", u.key}}).status, 200) << "X-API-Key works too";
}

TEST_F(AccountsTest, AnotherAccountsIdsAre404Everywhere) {
  User a = make_user("owner-a");
  User b = make_user("intruder-b");
  auto a_keys = client.get("/v1/keys", bearer(a.key));
  std::string a_key_id = str(a_keys.json().at("data").at(0).at("id"));
  const Headers as_b = bearer(b.key);
  EXPECT_EQ(client.get("/v1/accounts/" + a.id, as_b).status, 404);
  EXPECT_EQ(client.request("PATCH", "/v1/accounts/" + a.id, R"({"first_name":"x"})", as_b).status, 404);
  EXPECT_EQ(client.request("DELETE", "/v1/accounts/" + a.id, {}, as_b).status, 404);
  EXPECT_EQ(client.get("/v1/keys?account_id=" + a.id, as_b).status, 404);
  EXPECT_EQ(client.post_json("/v1/keys", R"({"account_id":")" + a.id + R"("})", as_b).status, 404);
  EXPECT_EQ(client.get("/v1/keys/" + a_key_id, as_b).status, 404);
  EXPECT_EQ(client.request("DELETE", "/v1/keys/" + a_key_id, {}, as_b).status, 404);
  EXPECT_EQ(client.post_json("/v1/keys/" + a_key_id + "/rotate", "", as_b).status, 404);
  EXPECT_EQ(client.get("/api/account/read/" + a.id, as_b).status, 404);
  EXPECT_EQ(client.request("PUT", "/api/account/update", R"({"Guid":")" + a.id + R"(","FirstName":"x"})", as_b).status,
            404);
  EXPECT_EQ(client.request("DELETE", "/api/account/delete/" + a.id, {}, as_b).status, 404);
  // And A is untouched.
  EXPECT_EQ(client.get("/v1/accounts/me", bearer(a.key)).json().at("first_name"), "");
}

TEST_F(AccountsTest, SherpaAccountsInTheSeedsShapes) {
  const std::string password = "newPassword123";
  auto created = client.post_json("/api/account/create",
                                  R"({"Login":"New Test Account","Password":")" + password +
                                      R"(","FirstName":"Vasya","LastName":"Ivanov","Email":"v@example.com",)"
                                      R"("Phone":"+7 900","Company":"Sherpa","Department":"R&D"})",
                                  admin());
  ASSERT_EQ(created.status, 200) << created.body;
  std::string guid = str(created.json().at("guid"));
  expect_no_secrets(created, password);

  auto read = client.get("/api/account/read/" + guid, admin());
  ASSERT_EQ(read.status, 200);
  auto body = read.json().as_object();
  EXPECT_EQ(str(body.at("guid")), guid);
  EXPECT_EQ(body.at("login"), "New Test Account");
  EXPECT_EQ(body.at("first name"), "Vasya");
  EXPECT_EQ(body.at("last name"), "Ivanov");
  EXPECT_TRUE(body.at("id").is_string());
  EXPECT_FALSE(body.contains("password"));
  expect_no_secrets(read, password);

  auto updated = client.request("PUT", "/api/account/update", R"({"Guid":")" + guid + R"(","Login":"Test Account"})",
                                admin());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.body, "[]");
  EXPECT_EQ(client.get("/api/account/read/" + guid, admin()).json().at("login"), "Test Account");

  auto bad = client.request("PUT", "/api/account/update", R"({"Login":"no guid"})", admin());
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(bad.json().at("error").is_string()) << bad.body;

  auto deleted = client.request("DELETE", "/api/account/delete/" + guid, {}, admin());
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, "[]");
  auto gone = client.get("/api/account/read/" + guid, admin());
  EXPECT_EQ(gone.status, 404);
  EXPECT_TRUE(gone.json().at("error").is_string());
}

TEST_F(AccountsTest, SherpaKeySectionAssignsAndRefreshes) {
  User u = make_user("sherpa-keys");
  auto shown = client.get("/api/key", bearer(u.key));
  ASSERT_EQ(shown.status, 200) << shown.body;
  std::string masked = str(shown.json().at("Key"));
  EXPECT_EQ(masked.find(u.key), std::string::npos);
  EXPECT_EQ(masked.substr(0, 7), u.key.substr(0, 7));
  EXPECT_EQ(str(shown.json().at("Authorization")), "Bearer " + masked);

  auto assigned = client.post_json("/api/key/assign", "", bearer(u.key));
  ASSERT_EQ(assigned.status, 200);
  std::string extra = str(assigned.json().at("Key"));
  EXPECT_EQ(client.get("/api/key", bearer(extra)).status, 200);
  EXPECT_EQ(client.get("/api/key", bearer(u.key)).status, 200) << "assign adds a key; the old one still works";

  auto refreshed = client.post_json("/api/key/refresh", "", bearer(u.key));
  ASSERT_EQ(refreshed.status, 200);
  std::string fresh = str(refreshed.json().at("Key"));
  EXPECT_EQ(client.get("/api/key", bearer(u.key)).status, 401) << "refresh replaces the key it was called with";
  EXPECT_EQ(client.get("/api/key", bearer(fresh)).status, 200);
  EXPECT_EQ(client.get("/api/key").json().at("error").is_string(), true);
}

TEST_F(AccountsTest, ChatpdfDeviceRegistrationQuotaAndUpgrade) {
  auto reg = client.post_json("/auth/register-device", R"({"deviceId":"111111111"})");
  ASSERT_EQ(reg.status, 200) << reg.body;
  auto body = reg.json().as_object();
  EXPECT_EQ(body.at("success"), true);
  auto data = body.at("data").as_object();
  for (const char* k :
       {"quota", "userType", "deviceId", "isSync", "location", "email", "_id", "createdAt", "updatedAt", "__v"}) {
    EXPECT_TRUE(data.contains(k)) << k;
  }
  EXPECT_EQ(data.at("userType"), "ANONYMOUS");
  EXPECT_EQ(data.at("deviceId"), "111111111");
  EXPECT_EQ(data.at("quota").at("filePerDay"), 1);
  EXPECT_EQ(data.at("quota").at("questionPerDay"), 3);

  auto again = client.post_json("/auth/register-device", R"({"deviceId":"111111111"})");
  EXPECT_EQ(again.json().at("data").at("_id"), data.at("_id")) << "registration is idempotent";

  Headers device{{"Device-Id", "111111111"}};
  auto quota = client.get("/user/quota", device);
  ASSERT_EQ(quota.status, 200) << quota.body;
  auto q = quota.json().at("data").at("quota").as_object();
  for (const char* k : {"fileSize", "fileTypes", "fileCappacity", "filePerMonth", "pagePerMonth", "questionPerMonth",
                        "questionPerDay", "remainingPages", "remainingQuestions"}) {
    EXPECT_TRUE(q.contains(k)) << k;
  }
  EXPECT_EQ(q.at("remainingQuestions"), q.at("questionPerMonth"));

  auto upgraded = client.request("PUT", "/user/upgrade-plan", R"({"packageType":"plus"})", device);
  ASSERT_EQ(upgraded.status, 200) << upgraded.body;
  EXPECT_EQ(upgraded.json().at("data").at("__v"), 1);
  EXPECT_EQ(upgraded.json().at("data").at("quota").at("fileSize"), 33554432);
  auto after = client.get("/user/quota", device).json().at("data").at("quota");
  EXPECT_EQ(after.at("filePerMonth"), 1000);

  auto invalid = client.request("PUT", "/user/upgrade-plan", R"({"packageType":"platinum"})", device);
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.json().at("success"), false);
  EXPECT_EQ(client.get("/user/quota", {{"Device-Id", "never-registered"}}).status, 401);
  EXPECT_EQ(client.post_json("/auth/register-device", R"({"deviceId":""})").status, 400);
  EXPECT_EQ(client.post_json("/auth/register-device", R"({"deviceId":42})").status, 400);
}

TEST(AccountsConfig, SelfUpgradeCanBeTurnedOff) {
  ServerProcess server({.args = {"--set", "accounts.self_upgrade=false"}});
  HttpClient c(server.port());
  c.post_json("/auth/register-device", R"({"deviceId":"locked-device"})");
  auto res = c.request("PUT", "/user/upgrade-plan", R"({"packageType":"base"})", {{"Device-Id", "locked-device"}});
  EXPECT_EQ(res.status, 403);
  EXPECT_EQ(res.json().at("success"), false);
}

}  // namespace
}  // namespace docent::testing
