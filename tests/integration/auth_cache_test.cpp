// The authentication cache seen from outside (services/auth_cache.h): every change to what a
// credential means takes effect on the very next request after the call that made it returns —
// through the API, and through the CLI beside the running server. Each key is used (so cached)
// before it is changed.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace docent::testing {
namespace {

namespace json = boost::json;

std::string make_account(HttpClient& c, const std::string& admin_key, const std::string& login,
                         const std::string& role) {
  auto made = c.post_json("/v1/accounts",
                          R"({"login":")" + login + R"(","password":"password-)" + login + R"(","role":")" + role +
                              R"("})",
                          bearer(admin_key));
  EXPECT_EQ(made.status, 201) << made.body;
  return str(made.json().at("id"));
}

std::string login_key(HttpClient& c, const std::string& login) {
  auto r = c.post_json("/v1/auth/login", R"({"login":")" + login + R"(","password":"password-)" + login + R"("})");
  EXPECT_EQ(r.status, 200) << r.body;
  return str(r.json().at("api_key").at("key"));
}

TEST(AuthCacheIntegration, RevokedKeyIsRefusedOnTheNextRequest) {
  ServerProcess server;
  HttpClient c(server.port());
  auto made = c.post_json("/v1/keys", R"({"name":"soon revoked"})", bearer(server.admin_key()));
  ASSERT_EQ(made.status, 201);
  const std::string key = str(made.json().at("key"));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.get("/v1/models", bearer(key)).status, 200);
  ASSERT_EQ(c.request("DELETE", "/v1/keys/" + str(made.json().at("id")), {}, bearer(server.admin_key())).status, 200);
  EXPECT_EQ(c.get("/v1/models", bearer(key)).status, 401);
  EXPECT_EQ(c.get("/v1/models", {{"X-API-Key", key}}).status, 401);
  EXPECT_EQ(c.get("/v1/models", bearer(server.admin_key())).status, 200) << "other keys keep working";
}

TEST(AuthCacheIntegration, RotatedKeysOldValueIsRefusedAtOnce) {
  ServerProcess server;
  HttpClient c(server.port());
  auto made = c.post_json("/v1/keys", R"({"name":"rotating"})", bearer(server.admin_key()));
  ASSERT_EQ(made.status, 201);
  const std::string old_key = str(made.json().at("key"));
  ASSERT_EQ(c.get("/v1/models", bearer(old_key)).status, 200);
  auto rotated = c.post_json("/v1/keys/" + str(made.json().at("id")) + "/rotate", "", bearer(old_key));
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_EQ(c.get("/v1/models", bearer(old_key)).status, 401);
  EXPECT_EQ(c.get("/v1/models", bearer(str(rotated.json().at("key")))).status, 200);
}

TEST(AuthCacheIntegration, DeletedAccountsKeyIsRefusedAtOnce) {
  ServerProcess server;
  HttpClient c(server.port());
  const std::string id = make_account(c, server.admin_key(), "leaving", "user");
  const std::string key = login_key(c, "leaving");
  ASSERT_EQ(c.get("/v1/accounts/me", bearer(key)).status, 200);
  ASSERT_EQ(c.request("DELETE", "/v1/accounts/" + id, {}, bearer(server.admin_key())).status, 200);
  EXPECT_EQ(c.get("/v1/accounts/me", bearer(key)).status, 401);
}

TEST(AuthCacheIntegration, ARoleChangeShowsAtOnce) {
  ServerProcess server;
  HttpClient c(server.port());
  const std::string id = make_account(c, server.admin_key(), "boss", "admin");
  const std::string key = login_key(c, "boss");
  // As an admin it may create accounts (and the key is now cached).
  make_account(c, key, "helper", "user");
  auto me = c.get("/v1/accounts/me", bearer(key));
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(str(me.json().at("role")), "admin");

  auto demoted = c.request("PATCH", "/v1/accounts/" + id, R"({"role":"user"})",
                           {{"Authorization", "Bearer " + server.admin_key()}, {"Content-Type", "application/json"}});
  ASSERT_EQ(demoted.status, 200) << demoted.body;
  auto refused = c.post_json("/v1/accounts", R"({"login":"another","password":"password-another"})", bearer(key));
  EXPECT_EQ(refused.status, 403) << "a demoted admin loses admin routes on the next request: " << refused.body;
  EXPECT_EQ(str(c.get("/v1/accounts/me", bearer(key)).json().at("role")), "user");
}

TEST(AuthCacheIntegration, KeyRevokedWithTheCliBesideTheServerIsRefusedAtOnce) {
  ServerProcess server;
  HttpClient c(server.port());
  auto made = c.post_json("/v1/keys", R"({"name":"cli revokes me"})", bearer(server.admin_key()));
  ASSERT_EQ(made.status, 201);
  const std::string key = str(made.json().at("key"));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.get("/v1/models", bearer(key)).status, 200);
  auto revoked = run_docent({"keys", "revoke", str(made.json().at("id")), "--data", server.data_dir().string()});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  EXPECT_EQ(c.get("/v1/models", bearer(key)).status, 401);
  EXPECT_EQ(c.get("/v1/models", bearer(server.admin_key())).status, 200);
}

}  // namespace
}  // namespace docent::testing
