// Plans as data (issue #18, "Quotas and plans"): an admin lists, creates, edits, deletes and
// assigns plans through /v1/plans and /v1/accounts; other callers see only their own plan; a
// device moves between self-service plans with PUT /user/upgrade-plan but never below a plan an
// admin granted; GET /v1/usage and `docent usage` show the same counters /user/quota reads.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>

namespace docent::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& v) { return std::string(v.as_string()); }

class PlansTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // A configured plan with a small monthly question limit, beside the built-ins.
    std::ofstream(dir_->path() / "docent.toml") << "[plans.tiny]\nquestionPerMonth = 2\nrank = 5\n";
    ServerOptions o;
    o.args = {"--config", (dir_->path() / "docent.toml").string()};
    server_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  Headers admin() const { return bearer(server_->admin_key()); }
  Headers device(const std::string& id) {
    auto reg = client.post_json("/auth/register-device", R"({"deviceId":")" + id + R"("})");
    EXPECT_EQ(reg.status, 200) << reg.body;
    return {{"Device-Id", id}};
  }
  std::string account_id(const Headers& who) {
    auto me = client.get("/v1/accounts/me", who);
    EXPECT_EQ(me.status, 200) << me.body;
    return str(me.json().at("id"));
  }
  HttpResponse patch(const std::string& path, const std::string& body, const Headers& who) {
    Headers h = who;
    h.emplace_back("Content-Type", "application/json");
    return client.request("PATCH", path, body, h);
  }
  HttpResponse put(const std::string& path, const std::string& body, const Headers& who) {
    Headers h = who;
    h.emplace_back("Content-Type", "application/json");
    return client.request("PUT", path, body, h);
  }

  static TempDir* dir_;
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
TempDir* PlansTest::dir_ = nullptr;
ServerProcess* PlansTest::server_ = nullptr;

TEST_F(PlansTest, AdminListsConfiguredPlansInRankOrderAndTheyAreReadOnly) {
  auto list = client.get("/v1/plans", admin());
  ASSERT_EQ(list.status, 200) << list.body;
  std::vector<std::string> names;
  const auto body = list.json();
  for (const auto& p : body.at("data").as_array()) names.push_back(str(p.at("name")));
  const std::vector<std::string> expected{"free", "tiny", "base", "plus", "ultimate", "unlimited"};
  EXPECT_EQ(names, expected);
  auto tiny = client.get("/v1/plans/tiny", admin());
  ASSERT_EQ(tiny.status, 200) << tiny.body;
  EXPECT_EQ(tiny.json().at("source"), "config");
  EXPECT_EQ(tiny.json().at("questionPerMonth"), 2);

  auto edit = patch("/v1/plans/tiny", R"({"questionPerMonth":9})", admin());
  EXPECT_EQ(edit.status, 409) << edit.body;
  auto del = client.request("DELETE", "/v1/plans/free", {}, admin());
  EXPECT_EQ(del.status, 409) << del.body;
}

TEST_F(PlansTest, AdminCreatesEditsAssignsAndDeletesAPlan) {
  auto created = client.post_json(
      "/v1/plans", R"({"name":"team-a","rank":15,"questionPerDay":4,"fileTypes":["pdf","docx"],"fileSize":1000})",
      admin());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json().at("source"), "admin");
  EXPECT_EQ(created.json().at("questionPerDay"), 4);
  auto again = client.post_json("/v1/plans", R"({"name":"team-a"})", admin());
  EXPECT_EQ(again.status, 409) << again.body;

  auto edited = patch("/v1/plans/team-a", R"({"questionPerDay":6,"extractionPerMonth":3})", admin());
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.json().at("questionPerDay"), 6);
  EXPECT_EQ(edited.json().at("extractionPerMonth"), 3);
  EXPECT_EQ(edited.json().at("fileSize"), 1000);  // untouched fields keep their value

  auto user = client.post_json("/v1/accounts", R"({"login":"plans-user-a","password":"long-enough-pw"})", admin());
  ASSERT_EQ(user.status, 201) << user.body;
  const std::string id = str(user.json().at("id"));
  auto bad = patch("/v1/accounts/" + id, R"({"plan":"no-such-plan"})", admin());
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json().at("error").at("param"), "plan");
  auto assigned = patch("/v1/accounts/" + id, R"({"plan":"team-a"})", admin());
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  EXPECT_EQ(assigned.json().at("plan"), "team-a");

  auto usage = client.get("/v1/usage?account_id=" + id, admin());
  ASSERT_EQ(usage.status, 200) << usage.body;
  EXPECT_EQ(usage.json().at("plan"), "team-a");
  EXPECT_EQ(usage.json().at("plan_granted_by"), "admin");
  EXPECT_EQ(usage.json().at("today").at("questions").at("limit"), 6);

  // In use: refused, and nothing changed; free again: deleted.
  auto in_use = client.request("DELETE", "/v1/plans/team-a", {}, admin());
  EXPECT_EQ(in_use.status, 409) << in_use.body;
  EXPECT_EQ(in_use.json().at("error").at("details").at("accounts"), 1);
  ASSERT_EQ(patch("/v1/accounts/" + id, R"({"plan":"unlimited"})", admin()).status, 200);
  auto del = client.request("DELETE", "/v1/plans/team-a", {}, admin());
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(client.get("/v1/plans/team-a", admin()).status, 404);
}

TEST_F(PlansTest, PlanValidationErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* param;
  };
  for (auto c : {Case{R"({"rank":1})", "name"}, Case{R"({"name":"Has Space"})", "name"},
                 Case{R"({"name":"neg","filePerDay":-1})", "filePerDay"},
                 Case{R"({"name":"types","fileTypes":["exe"]})", "fileTypes"},
                 Case{R"({"name":"odd","colour":"red"})", "colour"},
                 Case{R"({"name":"wrongtype","questionPerDay":"many"})", "questionPerDay"}}) {
    auto res = client.post_json("/v1/plans", c.body, admin());
    EXPECT_EQ(res.status, 400) << c.body << ": " << res.body;
    EXPECT_EQ(res.json().at("error").at("param"), c.param) << c.body << ": " << res.body;
  }
  EXPECT_EQ(client.get("/v1/plans/neg", admin()).status, 404);
}

TEST_F(PlansTest, ANonAdminSeesOnlyItsOwnPlanAndChangesNothing) {
  auto who = device("plans-non-admin-device");
  auto list = client.get("/v1/plans", who);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json().at("data").as_array().size(), 1u);
  EXPECT_EQ(list.json().at("data").at(0).at("name"), "free");
  EXPECT_FALSE(list.json().at("data").at(0).as_object().contains("accounts"));
  EXPECT_EQ(client.get("/v1/plans/plus", who).status, 404);
  EXPECT_EQ(client.post_json("/v1/plans", R"({"name":"mine"})", who).status, 403);
  EXPECT_EQ(patch("/v1/plans/free", R"({"questionPerDay":99})", who).status, 403);
  EXPECT_EQ(client.request("DELETE", "/v1/plans/tiny", {}, who).status, 403);
  auto self = patch("/v1/accounts/" + account_id(who), R"({"plan":"unlimited"})", who);
  EXPECT_EQ(self.status, 403) << self.body;
  EXPECT_EQ(client.get("/v1/usage?account_id=" + account_id(device("plans-other-device")), who).status, 404);
}

TEST_F(PlansTest, UpgradePlanMovesUpAndDownButNeverBelowAnAdminGrant) {
  auto who = device("plans-upgrade-device");
  auto up = put("/user/upgrade-plan", R"({"packageType":"plus"})", who);
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json().at("data").at("quota").at("filePerMonth"), 1000);
  auto down = put("/user/upgrade-plan", R"({"packageType":"base"})", who);
  ASSERT_EQ(down.status, 200) << down.body;  // a plan the device chose itself may go down
  EXPECT_EQ(down.json().at("data").at("quota").at("filePerMonth"), 300);
  auto bad = put("/user/upgrade-plan", R"({"packageType":"unlimited"})", who);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.json().at("success"), false);

  // An admin grants ultimate: the device may not lower it, and stays on it.
  const std::string id = account_id(who);
  ASSERT_EQ(patch("/v1/accounts/" + id, R"({"plan":"ultimate"})", admin()).status, 200);
  auto lower = put("/user/upgrade-plan", R"({"packageType":"plus"})", who);
  EXPECT_EQ(lower.status, 403) << lower.body;
  EXPECT_EQ(lower.json().at("success"), false);
  EXPECT_NE(str(lower.json().at("message")).find("administrator"), std::string::npos) << lower.body;
  auto quota = client.get("/user/quota", who);
  ASSERT_EQ(quota.status, 200) << quota.body;
  EXPECT_EQ(quota.json().at("data").at("quota").at("filePerMonth"), 2999);
  auto same = put("/user/upgrade-plan", R"({"packageType":"ultimate"})", who);
  EXPECT_EQ(same.status, 200) << same.body;
}

TEST_F(PlansTest, UsageQuotaAndTheCliReadTheSameCounters) {
  auto user = client.post_json("/v1/accounts",
                               R"({"login":"plans-usage-user","password":"long-enough-pw","plan":"tiny"})", admin());
  ASSERT_EQ(user.status, 201) << user.body;
  const std::string id = str(user.json().at("id"));
  auto key = client.post_json("/v1/keys", R"({"account_id":")" + id + R"(","name":"t"})", admin());
  ASSERT_EQ(key.status, 201) << key.body;
  const Headers who = bearer(str(key.json().at("key")));

  auto before = client.get("/v1/usage", who);
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(before.json().at("month").at("questions").at("used"), 0);
  EXPECT_EQ(before.json().at("month").at("questions").at("remaining"), 2);
  EXPECT_TRUE(before.json().at("month").at("files").at("limit").is_null());

  const std::string ask = R"({"messages":[{"role":"user","content":"hello"}]})";
  for (int i = 0; i < 2; ++i) {
    auto res = client.post_json("/v1/chat/completions", ask, who);
    ASSERT_EQ(res.status, 200) << res.body;
  }
  auto over = client.post_json("/v1/chat/completions", ask, who);
  ASSERT_EQ(over.status, 429) << over.body;
  const auto body = over.json();
  const auto& details = body.at("error").at("details");
  EXPECT_EQ(details.at("metric"), "questions");
  EXPECT_EQ(details.at("period"), "month");
  EXPECT_EQ(details.at("limit"), 2);
  EXPECT_EQ(details.at("used"), 2);
  EXPECT_EQ(details.at("plan"), "tiny");
  EXPECT_EQ(str(details.at("resets_at")).size(), 20u) << details;

  auto after = client.get("/v1/usage", who);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.json().at("month").at("questions").at("used"), 2);  // the refused one did not count
  EXPECT_EQ(after.json().at("month").at("questions").at("remaining"), 0);

  // The CLI beside the running server reads the same numbers.
  auto cli = run_docent({"usage", "--account", "plans-usage-user", "--json", "--data", server_->data_dir().string()});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  auto parsed = json::parse(cli.out);
  EXPECT_EQ(parsed.at("plan"), "tiny");
  EXPECT_EQ(parsed.at("month").at("questions").at("used"), 2);
  auto text = run_docent({"usage", "--account", id, "--data", server_->data_dir().string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("questions: 2 used of 2, 0 left"), std::string::npos) << text.out;
  auto unknown = run_docent({"usage", "--account", "nobody-here", "--data", server_->data_dir().string()});
  EXPECT_NE(unknown.exit_code, 0);
}

// Extractions are a metric of their own: the one past extractionPerMonth is refused before any
// work, and no extraction is stored.
TEST_F(PlansTest, ExtractionsPastThePlanAreRefusedAndStoreNothing) {
  ASSERT_EQ(client.post_json("/v1/plans", R"({"name":"one-extraction","extractionPerMonth":1})", admin()).status, 201);
  auto user = client.post_json("/v1/accounts",
                               R"({"login":"plans-extract-user","password":"long-enough-pw","plan":"one-extraction"})",
                               admin());
  ASSERT_EQ(user.status, 201) << user.body;
  auto key = client.post_json("/v1/keys", R"({"account_id":")" + str(user.json().at("id")) + R"(","name":"x"})",
                              admin());
  ASSERT_EQ(key.status, 201) << key.body;
  Headers who = bearer(str(key.json().at("key")));
  who.emplace_back("Content-Type", "multipart/form-data; boundary=pb");
  const std::string body = multipart_body("pb", {{"kind", "", "", "invoice"},
                                                 {"file", "inv.pdf", "application/pdf",
                                                  make_pdf({{"Invoice No: INV-7", "Total: 100"}})}});
  auto first = client.request("POST", "/v1/extractions", body, who);
  ASSERT_EQ(first.status, 200) << first.body.substr(0, 300);
  auto second = client.request("POST", "/v1/extractions", body, who);
  ASSERT_EQ(second.status, 429) << second.body.substr(0, 300);
  EXPECT_EQ(second.json().at("error").at("details").at("metric"), "extractions");
  auto list = client.get("/v1/extractions", bearer(str(key.json().at("key"))));
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json().at("data").as_array().size(), 1u);
  auto usage = client.get("/v1/usage", bearer(str(key.json().at("key"))));
  EXPECT_EQ(usage.json().at("month").at("extractions").at("used"), 1) << usage.body;
  EXPECT_EQ(usage.json().at("month").at("files").at("used"), 1) << usage.body;
}

}  // namespace
}  // namespace docent::testing
