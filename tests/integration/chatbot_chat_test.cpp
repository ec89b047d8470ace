// The chatbot seed's chat: a new chat over attachments, its turns streamed ({"type":"text"} ...
// {"type":"done"}) or not (id, message, model, usage), its history, and other accounts' chats.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


class ChatbotChatTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string make_user_key(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }

  std::string upload(const std::string& key, const std::string& name, const std::string& pdf) {
    auto res = client.request("POST", "/api/files/upload", multipart_body("cb", {{"file", name, "", pdf}}),
                              {{"Authorization", "Bearer " + key},
                               {"Content-Type", "multipart/form-data; boundary=cb"}});
    EXPECT_EQ(res.status, 200) << res.body;
    const std::string id = str(res.json().at("id"));
    for (int i = 0;
         i < 400 && str(client.get("/api/files/" + id + "/status", bearer(key)).json().at("status")) != "completed";
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return id;
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* ChatbotChatTest::server_ = nullptr;

TEST_F(ChatbotChatTest, AChatOverAnAttachmentCitesItsPage) {
  const std::string key = make_user_key("chatbot-user");
  const std::string file = upload(key, "policy.pdf",
                                  make_pdf({{"Travel policy, general section."},
                                            {"Taxi receipts must be submitted within thirty days."}}));

  // The seed's request as written: model "gpt-4" is served by nobody here, so the default answers.
  auto first = client.post_json("/api/chat",
                                R"({"message":"When must taxi receipts be submitted?","model":"gpt-4","stream":false,)"
                                R"("attachments":[")" +
                                    file + R"("]})",
                                bearer(key));
  ASSERT_EQ(first.status, 200) << first.body;
  auto o = first.json().as_object();
  for (const char* k : {"id", "message", "model", "usage", "created_at"}) EXPECT_TRUE(o.contains(k)) << k;
  EXPECT_NE(str(o.at("message")).find("thirty days"), std::string::npos) << first.body;
  EXPECT_GT(o.at("usage").at("total_tokens").as_int64(), 0);
  EXPECT_EQ(o.at("citations").at(0).at("page"), 2) << first.body;
  const std::string chat = str(o.at("id"));

  // A streamed turn in the same chat.
  auto next = client.post_json("/api/chat/" + chat + "/messages",
                               R"({"message":"How many days are allowed for taxi receipts?","stream":true})",
                               bearer(key));
  ASSERT_EQ(next.status, 200) << next.body;
  auto events = sse_json(next.body);
  ASSERT_GE(events.size(), 2u) << next.body;
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    ASSERT_EQ(events[i].at("type"), "text") << next.body;
    text += events[i].at("content").as_string();
  }
  EXPECT_NE(text.find("thirty days"), std::string::npos) << text;
  EXPECT_EQ(events.back().at("type"), "done");
  EXPECT_EQ(events.back().at("chat_id"), json::value(chat));

  auto history = client.get("/api/chat/" + chat + "/history", bearer(key));
  ASSERT_EQ(history.status, 200) << history.body;
  auto h = history.json().as_object();
  EXPECT_EQ(h.at("chat_id"), json::value(chat));
  auto messages = h.at("messages").as_array();
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].at("role"), "user");
  EXPECT_EQ(messages[1].at("role"), "assistant");
  EXPECT_EQ(messages[3].at("content").as_string(), text);
  for (const char* k : {"id", "role", "content", "timestamp"}) EXPECT_TRUE(messages[0].as_object().contains(k)) << k;
}

TEST_F(ChatbotChatTest, BadInputAndOtherAccountsChats) {
  const std::string alice = make_user_key("chatbot-alice");
  const std::string bob = make_user_key("chatbot-bob");
  const std::string file = upload(alice, "a.pdf", make_pdf({{"Alice's notes."}}));

  auto bad = [&](const std::string& path, const std::string& body, const std::string& key, int status) {
    auto res = client.post_json(path, body, bearer(key));
    EXPECT_EQ(res.status, status) << body << " -> " << res.body;
  };
  bad("/api/chat", R"({})", alice, 400);
  bad("/api/chat", R"({"message":""})", alice, 400);
  bad("/api/chat", R"({"message":7})", alice, 400);
  bad("/api/chat", R"({"message":"hi","attachments":"x"})", alice, 400);
  bad("/api/chat", R"({"message":"hi","attachments":[5]})", alice, 400);
  bad("/api/chat", R"({"message":"hi","stream":"no"})", alice, 400);
  bad("/api/chat", R"({"message":)", alice, 400);
  // Bob cannot attach Alice's file, nor use, continue or read her chat.
  bad("/api/chat", R"({"message":"hi","attachments":[")" + file + R"("]})", bob, 404);
  auto mine = client.post_json("/api/chat", R"({"message":"What are these notes?","attachments":[")" + file + R"("]})",
                               bearer(alice));
  ASSERT_EQ(mine.status, 200) << mine.body;
  const std::string chat = str(mine.json().at("id"));
  bad("/api/chat/" + chat + "/messages", R"({"message":"hi"})", bob, 404);
  EXPECT_EQ(client.get("/api/chat/" + chat + "/history", bearer(bob)).status, 404);
  EXPECT_EQ(client.get("/api/chat/" + chat + "/history", bearer(alice)).json().at("messages").as_array().size(), 2u);
}

}  // namespace
}  // namespace docent::testing
