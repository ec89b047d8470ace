// The nexus seed's chat: sessions, word-by-word answers over SSE from the caller's documents, the
// seed's error shapes, clear history, and other accounts' sessions.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


class NexusSessionsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Headers admin() const { return {{"Authorization", "Bearer " + server_->admin_key()}}; }

  std::string make_user_key(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* NexusSessionsTest::server_ = nullptr;

TEST_F(NexusSessionsTest, ASessionAnswersWordByWordFromTheCallersDocuments) {
  const std::string key = make_user_key("nexus-user");
  Headers h{{"X-API-Key", key}};  // the seed's header
  Headers upload_headers = h;
  upload_headers.emplace_back("Content-Type", "multipart/form-data; boundary=nx");
  auto up = client.request("POST", "/v1/files",
                           multipart_body("nx", {{"purpose", "", "", "assistants"},
                                                 {"file", "ops.pdf", "",
                                                  make_pdf({{"Introduction to the operations guide."},
                                                            {"Backups are kept for ninety days."},
                                                            {"The night shift starts at ten in the evening."}})}}),
                           upload_headers);
  ASSERT_EQ(up.status, 200) << up.body;
  // A session searches all of the caller's files; only named files are waited for, so wait here.
  const std::string file_path = "/v1/files/" + str(up.json().at("id"));
  for (int i = 0; i < 400 && str(client.get(file_path, h).json().at("docent").at("status")) != "processed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  auto created = client.post_json("/api/sessions", "{}", h);
  ASSERT_EQ(created.status, 200) << created.body;
  auto s = created.json().as_object();
  EXPECT_EQ(s.at("success"), true);
  EXPECT_EQ(s.at("title"), "New Chat");
  EXPECT_TRUE(s.contains("created_at"));
  const std::string id = str(s.at("session_id"));

  auto res = client.post_json("/api/process/text",
                              R"({"message":"When does the night shift start?","session_id":")" + id + R"("})", h);
  ASSERT_EQ(res.status, 200) << res.body;
  auto events = sse_json(res.body);
  ASSERT_GE(events.size(), 2u) << res.body;
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(events[i].at("complete"), false);
    const std::string word(events[i].at("word").as_string());
    // One word per event, with the space after it.
    const size_t end = word.find_last_not_of(' ');
    ASSERT_NE(end, std::string::npos) << res.body;
    EXPECT_EQ(word.substr(0, end + 1).find(' '), std::string::npos) << word;
    text += word;
  }
  EXPECT_GT(events.size(), 6u) << res.body;
  EXPECT_NE(text.find("ten in the evening"), std::string::npos) << text;
  const auto& last = events.back();
  EXPECT_EQ(last.at("word"), "");
  EXPECT_EQ(last.at("complete"), true);
  EXPECT_EQ(last.at("session_id"), json::value(id));
  EXPECT_EQ(last.at("citations").at(0).at("page"), 3) << res.body;

  // The session took its title from the question and holds both turns.
  auto list = client.get("/api/sessions", h).json().at("sessions");
  ASSERT_EQ(list.as_array().size(), 1u);
  EXPECT_EQ(list.at(0).at("title"), "When does the night shift start?");
  EXPECT_EQ(list.at(0).at("message_count"), 2);
  auto one = client.get("/api/sessions/" + id, h);
  ASSERT_EQ(one.status, 200) << one.body;
  auto messages = one.json().at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].at("type"), "user");
  EXPECT_EQ(messages[1].at("type"), "ai");
  EXPECT_EQ(str(messages[1].at("content")), text);

  // The /v1 base URL of the seed's curl examples, and no session: one is started.
  auto v1 = client.post_json("/v1/process/text", R"({"message":"How long are backups kept?"})", h);
  ASSERT_EQ(v1.status, 200) << v1.body;
  auto v1_last = sse_json(v1.body).back();
  EXPECT_NE(v1_last.at("session_id"), json::value(id));
  EXPECT_EQ(client.get("/api/sessions", h).json().at("sessions").as_array().size(), 2u);

  // Clear history keeps the session, empties it; delete removes it.
  auto cleared = client.post_json("/api/clear-history", R"({"session_id":")" + id + R"("})", h);
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.json().at("message"), "Chat history cleared");
  EXPECT_TRUE(client.get("/api/sessions/" + id, h).json().at("messages").as_array().empty());
  auto del = client.request("DELETE", "/api/sessions/" + id, "", h);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("message"), "Session deleted successfully");
  auto gone = client.get("/api/sessions/" + id, h);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(gone.json().at("error_code"), "SESSION_NOT_FOUND");
}

TEST_F(NexusSessionsTest, ErrorsInTheSeedsShape) {
  const std::string key = make_user_key("nexus-errors");
  Headers h{{"Authorization", "Bearer " + key}};
  auto missing = client.post_json("/api/process/text", "{}", h);
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().at("success"), false);
  EXPECT_EQ(missing.json().at("error"), "Message is required");
  EXPECT_EQ(missing.json().at("error_code"), "MISSING_FIELD");
  EXPECT_EQ(missing.json().at("details").at("field"), "message");

  auto long_message = client.post_json("/api/process/text", R"({"message":")" + std::string(5001, 'a') + R"("})", h);
  EXPECT_EQ(long_message.status, 400);
  EXPECT_EQ(long_message.json().at("error_code"), "INVALID_INPUT");

  auto wrong_type = client.post_json("/api/process/text", R"({"message":42})", h);
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(wrong_type.json().at("details").at("field"), "message");
  EXPECT_EQ(client.post_json("/api/process/text", R"({"message":)", h).status, 400);

  auto no_session = client.post_json("/api/process/text", R"({"message":"hi","session_id":"nope"})", h);
  EXPECT_EQ(no_session.status, 404);
  EXPECT_EQ(no_session.json().at("error_code"), "SESSION_NOT_FOUND");

  // Another account's session is not found anywhere.
  const std::string other = make_user_key("nexus-other");
  Headers o{{"X-API-Key", other}};
  const std::string id = str(client.post_json("/api/sessions", "", h).json().at("session_id"));
  EXPECT_EQ(client.get("/api/sessions/" + id, o).status, 404);
  EXPECT_EQ(client.request("DELETE", "/api/sessions/" + id, "", o).status, 404);
  EXPECT_EQ(client.post_json("/api/clear-history", R"({"session_id":")" + id + R"("})", o).status, 404);
  EXPECT_EQ(client.post_json("/api/process/text", R"({"message":"hi","session_id":")" + id + R"("})", o).status, 404);
  EXPECT_EQ(client.get("/api/sessions/" + id, h).status, 200) << "still there for its owner";

  // Without a key: 401 in the same shape.
  auto anonymous = client.post_json("/api/sessions", "{}");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.json().at("success"), false);
}

}  // namespace
}  // namespace docent::testing
