// The sherpa seed's Log section against the real binary: create, read, list (filters, paging,
// newest first, a total) and purge; every required field missing, a bad level and bad GUIDs in
// the face's error envelope; another account's lines neither readable, listed nor purged.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <ctime>

namespace docent::testing {
namespace {

namespace json = boost::json;

constexpr const char* kRobot = "16f94238-ede9-435b-a001-1489b32e7dc2";
constexpr const char* kProcess = "c39713ea-d8b9-4669-976e-5ff39677dc64";
constexpr const char* kJob = "70ce211b-3c9a-48f6-8e71-11088b41b825";
constexpr const char* kOtherJob = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

class SherpaLogsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string user(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }

  json::object body(const std::string& message, json::value level = 1, const std::string& job = kJob) {
    return json::object{{"RobotGUID", kRobot},
                        {"ProcessVersionGUID", kProcess},
                        {"JobGUID", job},
                        {"Level", std::move(level)},
                        {"Message", message}};
  }
  HttpResponse create(const std::string& key, const json::object& o) {
    return client.post_json("/api/log/create", json::serialize(o), bearer(key));
  }
  std::string create_ok(const std::string& key, const json::object& o) {
    auto res = create(key, o);
    EXPECT_EQ(res.status, 200) << res.body;
    return res.status == 200 ? str(res.json().at("guid")) : std::string();
  }
  json::object list(const std::string& key, const std::string& filters) {
    auto res = client.post_json("/api/log/list", filters, bearer(key));
    EXPECT_EQ(res.status, 200) << res.body;
    return res.json().as_object();
  }
  std::vector<std::string> messages(const json::object& page) {
    std::vector<std::string> out;
    for (const auto& l : page.at("data").as_array()) out.push_back(str(l.at("Message")));
    return out;
  }
  HttpResponse purge(const std::string& key, const std::string& body) {
    return client.request("DELETE", "/api/log/purge", body,
                          {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  }
  // A sherpa error: {"error": "...", "code", "field"}.
  void expect_error(const HttpResponse& res, int status, const std::string& code, const std::string& field) {
    EXPECT_EQ(res.status, status) << res.body;
    auto o = res.json().as_object();
    EXPECT_TRUE(o.at("error").is_string()) << res.body;
    EXPECT_EQ(str(o.at("code")), code) << res.body;
    if (!field.empty()) {
      EXPECT_EQ(str(o.at("field")), field) << res.body;
    }
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* SherpaLogsTest::server_ = nullptr;

TEST_F(SherpaLogsTest, CreateThenReadShowsTheSeedsFields) {
  const std::string key = user("log-reader");
  const std::string guid = create_ok(key, body("no message"));
  ASSERT_FALSE(guid.empty());
  auto res = client.get("/api/log/read/" + guid, bearer(key));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  EXPECT_EQ(str(o.at("guid")), guid);
  EXPECT_TRUE(o.at("id").is_string());
  EXPECT_EQ(str(o.at("robot_id")), kRobot);
  EXPECT_EQ(str(o.at("process_version_id")), kProcess);
  EXPECT_EQ(str(o.at("job_id")), kJob);
  EXPECT_EQ(o.at("Level").as_int64(), 1);
  EXPECT_EQ(str(o.at("LevelName")), "debug");
  EXPECT_EQ(str(o.at("Message")), "no message");
  EXPECT_EQ(str(o.at("created_at")).size(), 19u);  // "2023-09-17 15:39:06"
  EXPECT_EQ(str(o.at("created_at"))[10], ' ');
}

TEST_F(SherpaLogsTest, LevelsByNameOrNumberAndUnknownOnesRefused) {
  const std::string key = user("log-levels");
  for (auto [level, number] : {std::pair{json::value("trace"), 0},
                               {json::value("WARN"), 3},
                               {json::value("5"), 5},
                               {json::value(4), 4},
                               {json::value("warning"), 3}}) {
    const std::string guid = create_ok(key, body("at a level", level));
    EXPECT_EQ(client.get("/api/log/read/" + guid, bearer(key)).json().at("Level").as_int64(), number);
  }
  for (const auto& bad : {json::value(6), json::value(-1), json::value("loud"), json::value(1.5), json::value(true)}) {
    expect_error(create(key, body("bad level", bad)), 400, "INVALID_INPUT", "Level");
  }
}

TEST_F(SherpaLogsTest, EveryRequiredFieldMissingIsTheSeedsError) {
  const std::string key = user("log-missing");
  for (const char* field : {"RobotGUID", "ProcessVersionGUID", "JobGUID", "Level", "Message"}) {
    auto o = body("missing one");
    o.erase(field);
    expect_error(create(key, o), 400, "MISSING_FIELD", field);
  }
  expect_error(client.post_json("/api/log/create", "[1]", bearer(key)), 400, "INVALID_INPUT", "");
  expect_error(client.post_json("/api/log/create", "{", bearer(key)), 400, "INVALID_JSON", "");
}

TEST_F(SherpaLogsTest, MalformedGuidsAndOversizedMessagesAreRefused) {
  const std::string key = user("log-guids");
  for (const char* field : {"RobotGUID", "ProcessVersionGUID", "JobGUID"}) {
    for (const char* bad : {"16", "16f94238-ede9-435b-a001-1489b32e7dcZ", "16f94238ede9435ba0011489b32e7dc2aaaa"}) {
      auto o = body("bad guid");
      o[field] = bad;
      expect_error(create(key, o), 400, "INVALID_INPUT", field);
    }
  }
  expect_error(create(key, body(std::string(64 * 1024 + 1, 'x'))), 400, "INVALID_INPUT", "Message");
  EXPECT_EQ(create(key, body(std::string(64 * 1024, 'x'))).status, 200);
  expect_error(client.get("/api/log/read/not-a-guid", bearer(key)), 404, "NOT_FOUND", "");
  expect_error(client.get("/api/log/read/16f94238-ede9-435b-a001-000000000000", bearer(key)), 404, "NOT_FOUND", "");
}

TEST_F(SherpaLogsTest, ListIsNewestFirstWithATotalPagingAndFilters) {
  const std::string key = user("log-lister");
  for (int i = 0; i < 5; ++i) create_ok(key, body("line " + std::to_string(i), i, i % 2 ? kOtherJob : kJob));
  for (const char* empty : {"", "[]", "{}"}) {
    auto all = list(key, empty);
    EXPECT_EQ(all.at("total").as_int64(), 5);
    EXPECT_EQ(messages(all), (std::vector<std::string>{"line 4", "line 3", "line 2", "line 1", "line 0"}));
  }
  auto page = list(key, R"({"Skip": 1, "Take": 2})");
  EXPECT_EQ(page.at("total").as_int64(), 5);
  EXPECT_EQ(messages(page), (std::vector<std::string>{"line 3", "line 2"}));
  EXPECT_EQ(messages(list(key, R"({"Level": "error"})")), (std::vector<std::string>{"line 4"}));
  EXPECT_EQ(messages(list(key, R"({"Level": 3})")), (std::vector<std::string>{"line 4", "line 3"}));
  EXPECT_EQ(messages(list(key, R"({"Levels": ["trace", 2]})")), (std::vector<std::string>{"line 2", "line 0"}));
  auto job = list(key, std::string(R"({"JobGUID": ")") + kOtherJob + "\"}");
  EXPECT_EQ(job.at("total").as_int64(), 2);
  EXPECT_EQ(messages(job), (std::vector<std::string>{"line 3", "line 1"}));
  EXPECT_EQ(list(key, std::string(R"({"RobotGUID": ")") + kRobot + "\"}").at("total").as_int64(), 5);
  EXPECT_EQ(list(key, R"({"RobotGUID": "0a1b2c3d-0000-4a6b-8c7d-9e0f1a2b3c4d"})").at("total").as_int64(), 0);
  const int64_t now = std::time(nullptr);
  EXPECT_EQ(list(key, R"({"From": )" + std::to_string(now - 3600) + "}").at("total").as_int64(), 5);
  EXPECT_EQ(list(key, R"({"From": ")" + std::to_string(now + 3600) + "\"}").at("total").as_int64(), 0);
  EXPECT_EQ(list(key, R"({"To": )" + std::to_string(now - 3600) + "}").at("total").as_int64(), 0);
  expect_error(client.post_json("/api/log/list", R"({"Take": 0})", bearer(key)), 400, "INVALID_INPUT", "Take");
  expect_error(client.post_json("/api/log/list", R"({"Level": "loud"})", bearer(key)), 400, "INVALID_INPUT", "Level");
  expect_error(client.post_json("/api/log/list", R"({"JobGUID": "x"})", bearer(key)), 400, "INVALID_INPUT", "JobGUID");
  expect_error(client.post_json("/api/log/list", R"({"From": "yesterday"})", bearer(key)), 400, "INVALID_INPUT",
               "From");
}

TEST_F(SherpaLogsTest, PurgeDeletesTheCallersLinesBeforeTheTimeAndSaysHowMany) {
  const std::string key = user("log-purger");
  for (int i = 0; i < 3; ++i) create_ok(key, body("doomed " + std::to_string(i)));
  auto none = purge(key, R"({"Time": "1590481487"})");  // the seed's example: long before these
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.json().at("deleted").as_int64(), 0);
  auto all = purge(key, R"({"Time": )" + std::to_string(std::time(nullptr) + 60) + "}");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json().at("deleted").as_int64(), 3);
  EXPECT_EQ(list(key, "").at("total").as_int64(), 0);
  expect_error(purge(key, "{}"), 400, "MISSING_FIELD", "Time");
  expect_error(purge(key, R"({"Time": "soon"})"), 400, "INVALID_INPUT", "Time");
}

TEST_F(SherpaLogsTest, AnotherAccountsLinesAreNeitherReadListedNorPurged) {
  const std::string alice = user("log-alice");
  const std::string bob = user("log-bob");
  const std::string guid = create_ok(alice, body("alice's line"));
  expect_error(client.get("/api/log/read/" + guid, bearer(bob)), 404, "NOT_FOUND", "");
  EXPECT_EQ(list(bob, "").at("total").as_int64(), 0);
  auto purged = purge(bob, R"({"Time": )" + std::to_string(std::time(nullptr) + 60) + "}");
  ASSERT_EQ(purged.status, 200) << purged.body;
  EXPECT_EQ(purged.json().at("deleted").as_int64(), 0);
  EXPECT_EQ(client.get("/api/log/read/" + guid, bearer(alice)).status, 200);
  EXPECT_EQ(client.get("/api/log/read/" + guid, bearer(server_->admin_key())).status, 200);  // admins see all
  EXPECT_EQ(client.get("/api/log/read/" + guid).status, 401);
}

}  // namespace
}  // namespace docent::testing
