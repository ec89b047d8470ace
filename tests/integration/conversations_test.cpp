// docent's own /v1/conversations: conversations over uploaded files, questions answered with
// cited pages (streamed and not), messages in pages, rename, delete, and other accounts' ids.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"
#include "support/test_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace docent::testing {
namespace {

namespace json = boost::json;


class ConversationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Headers admin() const { return bearer(server_->admin_key()); }

  std::string make_user(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }

  std::string upload(const std::string& name, const std::string& bytes, const Headers& auth) {
    Headers h = auth;
    h.emplace_back("Content-Type", "multipart/form-data; boundary=up");
    auto res = client.request("POST", "/v1/files",
                              multipart_body("up", {{"purpose", "", "", "assistants"}, {"file", name, "", bytes}}), h);
    EXPECT_EQ(res.status, 200) << res.body;
    return str(res.json().at("id"));
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* ConversationsTest::server_ = nullptr;

TEST_F(ConversationsTest, AskAboutAFileAndGetItsPageCited) {
  const std::string key = make_user("reader");
  const std::string file = upload("manual.pdf",
                                  make_pdf({{"Page one is the table of contents."},
                                            {"Page two explains the warranty terms."},
                                            {"The blue valve must be closed before the pump is serviced."}}),
                                  bearer(key));
  auto created = client.post_json("/v1/conversations", R"({"title":"Pump manual","file_ids":[")" + file + R"("]})",
                                  bearer(key));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = str(created.json().at("id"));
  EXPECT_EQ(created.json().at("object"), "conversation");
  EXPECT_EQ(created.json().at("file_ids").at(0), json::value(file));

  // Not streamed: the question and the stored answer.
  auto asked = client.post_json("/v1/conversations/" + id + "/messages",
                                R"({"content":"What must be closed before the pump is serviced?","stream":false})",
                                bearer(key));
  ASSERT_EQ(asked.status, 200) << asked.body;
  auto answer = asked.json().at("answer").as_object();
  EXPECT_EQ(answer.at("role"), "assistant");
  EXPECT_EQ(answer.at("status"), "complete");
  EXPECT_NE(str(answer.at("content")).find("blue valve"), std::string::npos) << asked.body;
  ASSERT_FALSE(answer.at("citations").as_array().empty()) << asked.body;
  EXPECT_EQ(answer.at("citations").at(0).at("page"), 3);
  EXPECT_EQ(answer.at("citations").at(0).at("file_id"), json::value(file));
  EXPECT_GT(answer.at("usage").at("total_tokens").as_int64(), 0);

  // Streamed: delta events, then the stored answer.
  auto streamed = client.post_json("/v1/conversations/" + id + "/messages",
                                   R"({"content":"Which valve is closed before servicing?"})", bearer(key));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.body.find("event: delta\n"), std::string::npos) << streamed.body;
  const size_t done = streamed.body.find("event: done\ndata: ");
  ASSERT_NE(done, std::string::npos) << streamed.body;
  auto stored = json::parse(streamed.body.substr(done + 18, streamed.body.find('\n', done + 18) - done - 18));
  EXPECT_EQ(stored.at("citations").at(0).at("page"), 3);

  // Four messages, newest first, in pages.
  auto page = client.get("/v1/conversations/" + id + "/messages?limit=3", bearer(key));
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.json().at("total"), 4);
  EXPECT_EQ(page.json().at("has_more"), true);
  EXPECT_EQ(page.json().at("data").at(0).at("id"), stored.at("id"));
  auto rest = client.get("/v1/conversations/" + id + "/messages?limit=3&offset=3", bearer(key));
  EXPECT_EQ(rest.json().at("data").at(0).at("role"), "user");
  EXPECT_EQ(rest.json().at("has_more"), false);

  // Rename, list, delete.
  auto renamed = client.request("PATCH", "/v1/conversations/" + id, R"({"title":"Pumps"})", bearer(key));
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.json().at("title"), "Pumps");
  EXPECT_EQ(renamed.json().at("message_count"), 4);
  auto list = client.get("/v1/conversations", bearer(key));
  EXPECT_EQ(list.json().at("total"), 1);
  EXPECT_EQ(list.json().at("data").at(0).at("title"), "Pumps");
  auto del = client.request("DELETE", "/v1/conversations/" + id, "", bearer(key));
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("deleted"), true);
  EXPECT_EQ(client.get("/v1/conversations/" + id, bearer(key)).status, 404);
  EXPECT_EQ(client.get("/v1/conversations/" + id + "/messages", bearer(key)).status, 404);
  EXPECT_EQ(client.get("/v1/files/" + file, bearer(key)).status, 200) << "the file outlives the conversation";
}

TEST_F(ConversationsTest, AConversationOverAllFilesWaitsForAnUploadStillBeingRead) {
  // A scanned page takes tesseract a second or more: asked at once, a conversation with no files of
  // its own (it searches all of the caller's) waits for the upload instead of answering without it.
  const std::string bytes = read_test_data("ocr-tesseract/testing/phototest.tif");
  ASSERT_FALSE(bytes.empty());
  const std::string key = make_user("scanner");
  const std::string file = upload("phototest.tif", bytes, bearer(key));
  auto created = client.post_json("/v1/conversations", "{}", bearer(key));
  ASSERT_EQ(created.status, 201) << created.body;
  auto asked = client.post_json("/v1/conversations/" + str(created.json().at("id")) + "/messages",
                                R"({"content":"What did the quick brown dog jump over?","stream":false})", bearer(key));
  ASSERT_EQ(asked.status, 200) << asked.body;
  const json::value answer = asked.json().at("answer");
  EXPECT_NE(str(answer.at("content")).find("The quick brown dog jumped over the lazy fox."), std::string::npos)
      << asked.body;
  ASSERT_FALSE(answer.at("citations").as_array().empty()) << asked.body;
  EXPECT_EQ(answer.at("citations").at(0).at("file_id"), json::value(file));
}

TEST_F(ConversationsTest, BadInputAndOtherAccountsAreRefused) {
  const std::string alice = make_user("alice");
  const std::string bob = make_user("bob");
  const std::string file = upload("a.pdf", make_pdf({{"Alice keeps her notes here."}}), bearer(alice));
  auto created = client.post_json("/v1/conversations", R"({"file_ids":[")" + file + R"("]})", bearer(alice));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = str(created.json().at("id"));

  // Bob can neither see, use, rename, delete nor ask in Alice's conversation, nor attach her file.
  EXPECT_EQ(client.get("/v1/conversations/" + id, bearer(bob)).status, 404);
  EXPECT_EQ(client.request("PATCH", "/v1/conversations/" + id, R"({"title":"mine"})", bearer(bob)).status, 404);
  EXPECT_EQ(client.request("DELETE", "/v1/conversations/" + id, "", bearer(bob)).status, 404);
  EXPECT_EQ(client.post_json("/v1/conversations/" + id + "/messages", R"({"content":"hi"})", bearer(bob)).status, 404);
  EXPECT_EQ(client.get("/v1/conversations/" + id + "/messages", bearer(bob)).status, 404);
  EXPECT_EQ(client.post_json("/v1/conversations", R"({"file_ids":[")" + file + R"("]})", bearer(bob)).status, 404);
  EXPECT_EQ(client.get("/v1/conversations", bearer(bob)).json().at("total"), 0);

  // Wrong types and missing fields name the field.
  auto bad = [&](const std::string& path, const std::string& body, const std::string& field) {
    auto res = client.post_json(path, body, bearer(alice));
    EXPECT_EQ(res.status, 400) << body << " -> " << res.body;
    if (res.status == 400 && !field.empty()) {
      EXPECT_EQ(res.json().at("error").at("param"), json::value(field)) << res.body;
    }
  };
  bad("/v1/conversations", R"({"file_ids":"x"})", "file_ids");
  bad("/v1/conversations", R"({"title":5})", "title");
  bad("/v1/conversations", R"({"title":)", "");
  bad("/v1/conversations/" + id + "/messages", R"({})", "content");
  bad("/v1/conversations/" + id + "/messages", R"({"content":"   "})", "content");
  bad("/v1/conversations/" + id + "/messages", R"({"content":"hi","stream":"yes"})", "stream");
  bad("/v1/conversations/" + id + "/messages", R"({"regenerate":true,"stream":false})", "regenerate");
  EXPECT_EQ(client.get("/v1/conversations?limit=0", bearer(alice)).status, 400);

  // Nothing above changed Alice's conversation.
  auto mine = client.get("/v1/conversations/" + id, bearer(alice));
  ASSERT_EQ(mine.status, 200);
  EXPECT_EQ(mine.json().at("message_count"), 0);
}

}  // namespace
}  // namespace docent::testing
