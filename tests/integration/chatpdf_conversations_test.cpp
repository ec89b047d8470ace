// chatpdf's POST /upload/register-file (seeds/chatpdf.txt): a device uploads a PDF and gets the
// conversation it will chat in, in the seed's shape; what is not a PDF, a bad page count and a
// missing file get the face's error envelope and cost nothing.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"
#include "support/test_data.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

std::string sample_pdf() {
  std::string pdf = read_test_data("pdf-sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf");
  EXPECT_FALSE(pdf.empty()) << "tests/data carries the sample PDF";
  return pdf;
}

class ChatpdfConversationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  Headers device(const std::string& id) {
    auto reg = client.post_json("/auth/register-device", R"({"deviceId":")" + id + R"("})");
    EXPECT_EQ(reg.status, 200) << reg.body;
    return {{"Device-Id", id}};
  }

  HttpResponse register_file(const std::vector<MultipartPart>& parts, Headers headers) {
    headers.emplace_back("Content-Type", "multipart/form-data; boundary=cp");
    return client.request("POST", "/upload/register-file", multipart_body("cp", parts), headers);
  }

  static void expect_error(const HttpResponse& res, int status, const std::string& field) {
    EXPECT_EQ(res.status, status) << res.body;
    auto o = res.json().as_object();
    EXPECT_EQ(o.at("success"), false) << res.body;
    EXPECT_TRUE(o.at("data").is_null());
    EXPECT_FALSE(o.at("message").as_string().empty());
    if (!field.empty()) {
      EXPECT_EQ(o.at("field"), json::value(field)) << res.body;
    }
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* ChatpdfConversationsTest::server_ = nullptr;

TEST_F(ChatpdfConversationsTest, RegisterFileAnswersTheSeedsConversation) {
  const std::string pdf = sample_pdf();
  ASSERT_FALSE(pdf.empty());
  auto headers = device("660000000000000000000001");
  auto res = register_file({{"file", "Sample.pdf", "application/pdf", pdf}, {"page", "", "", "4"}}, headers);
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = res.json().as_object();
  EXPECT_EQ(body.at("success"), true);
  auto c = body.at("data").at("conversation").as_object();
  for (const char* k : {"fileId", "deviceId", "totalMessages", "title", "sourceId", "_id", "createdAt", "updatedAt",
                        "__v", "summary", "lastMessage", "fileType"}) {
    EXPECT_TRUE(c.contains(k)) << k;
  }
  EXPECT_EQ(c.at("deviceId"), "660000000000000000000001");
  EXPECT_EQ(c.at("totalMessages"), 0);
  EXPECT_EQ(c.at("title"), "Sample.pdf");
  EXPECT_EQ(c.at("__v"), 0);
  EXPECT_EQ(c.at("summary"), "");
  EXPECT_EQ(c.at("lastMessage"), "");
  EXPECT_EQ(c.at("fileType"), "pdf");
  const std::string source(c.at("sourceId").as_string());
  EXPECT_TRUE(std::regex_match(source, std::regex("src_[0-9A-Za-z]{21}"))) << source;
  EXPECT_NE(c.at("_id"), c.at("fileId"));
  EXPECT_TRUE(std::regex_match(std::string(c.at("createdAt").as_string()),
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)")));

  // The file is the device's: its status answers through the native face with the same header,
  // and it finishes ingesting with the PDF's four pages.
  const std::string file_path = "/v1/files/" + std::string(c.at("fileId").as_string());
  std::string status;
  for (int i = 0; i < 400 && status != "processed"; ++i) {
    auto f = client.get(file_path, headers);
    ASSERT_EQ(f.status, 200) << f.body;
    status = std::string(f.json().at("docent").at("status").as_string());
    if (status == "failed") FAIL() << f.body;
    if (status != "processed") std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "processed");

  // Two uploads give two conversations with their own source ids.
  auto other = device("660000000000000000000002");
  auto second = register_file({{"file", "Other.pdf", "", pdf}}, other);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_NE(second.json().at("data").at("conversation").at("sourceId"), c.at("sourceId"));
  EXPECT_NE(second.json().at("data").at("conversation").at("_id"), c.at("_id"));
}

TEST_F(ChatpdfConversationsTest, BadUploadsAreClearErrorsAndCostNothing) {
  auto headers = device("660000000000000000000003");
  // Not a PDF, whatever its name says.
  expect_error(register_file({{"file", "notes.pdf", "application/pdf", "# Notes\n\nplain text, not a PDF\n"}}, headers),
               400, "file");
  // A page count that is not a positive whole number.
  for (const char* page : {"abc", "0", "-3", "2.5", ""}) {
    expect_error(register_file({{"file", "Sample.pdf", "", sample_pdf()}, {"page", "", "", page}}, headers), 400,
                 "page");
  }
  // No file part, or no multipart body at all.
  expect_error(register_file({{"page", "", "", "3"}}, headers), 400, "file");
  auto json_body = client.request("POST", "/upload/register-file", R"({"file":"x"})",
                                  {{"Device-Id", "660000000000000000000003"}, {"Content-Type", "application/json"}});
  EXPECT_GE(json_body.status, 400);
  EXPECT_LT(json_body.status, 500);
  EXPECT_EQ(json_body.json().at("success"), false);
  // Without credentials: 401 in the same envelope.
  auto anonymous = register_file({{"file", "Sample.pdf", "", sample_pdf()}}, {});
  expect_error(anonymous, 401, "");

  // None of that used the device's one upload a day: a real PDF still goes through.
  auto ok = register_file({{"file", "Sample.pdf", "", sample_pdf()}}, headers);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(ChatpdfConversationsTest, ListRenameAndDeleteInTheSeedsShapes) {
  const std::string pdf = sample_pdf();
  Headers admin{{"Authorization", "Bearer " + server_->admin_key()}};
  std::vector<std::string> ids;
  for (const char* name : {"a.pdf", "b.pdf", "c.pdf"}) {
    // Three different files: the same bytes again would be the same file (duplicate uploads).
    auto res = register_file({{"file", name, "", pdf + "%" + name + "\n"}}, admin);
    ASSERT_EQ(res.status, 200) << res.body;
    ids.emplace_back(res.json().at("data").at("conversation").at("_id").as_string());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // distinct creation times
  }

  auto first = client.get("/conversations?page=1&limit=2", admin);
  ASSERT_EQ(first.status, 200) << first.body;
  auto d = first.json().at("data").as_object();
  EXPECT_EQ(d.at("totalItems"), 3);
  EXPECT_EQ(d.at("page"), 1);
  EXPECT_EQ(d.at("limit"), 2);
  EXPECT_EQ(d.at("totalPages"), 2);
  EXPECT_EQ(d.at("paging"), true);
  ASSERT_EQ(d.at("items").as_array().size(), 2u);
  EXPECT_EQ(d.at("items").at(0).at("title"), "c.pdf") << "newest first";
  EXPECT_EQ(d.at("items").at(1).at("title"), "b.pdf");
  for (const char* k : {"_id", "deviceId", "totalMessages", "title", "sourceId", "createdAt", "updatedAt", "fileType",
                        "fileId", "lastMessage", "summary"}) {
    EXPECT_TRUE(d.at("items").at(0).as_object().contains(k)) << k;
  }
  auto second = client.get("/conversations?page=2&limit=2", admin).json().at("data").as_object();
  ASSERT_EQ(second.at("items").as_array().size(), 1u);
  EXPECT_EQ(second.at("items").at(0).at("title"), "a.pdf");
  EXPECT_EQ(second.at("paging"), false);

  // Renaming answers the conversation with its file expanded, and brings it to the front.
  auto renamed = client.request("PUT", "/conversations/" + ids[0], R"({"title":"This is new title"})", admin);
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  auto r = renamed.json().at("data").as_object();
  EXPECT_EQ(r.at("title"), "This is new title");
  EXPECT_EQ(r.at("__v"), 1);
  EXPECT_EQ(r.at("fileId").at("metadata").at("fileType"), "pdf");
  EXPECT_EQ(r.at("fileId").at("metadata").at("fileName"), "a.pdf");
  EXPECT_EQ(r.at("fileId").at("metadata").at("fileSize"),
            static_cast<int64_t>(pdf.size() + std::string("%a.pdf\n").size()));
  EXPECT_EQ(r.at("fileId").at("metadata").at("sourceId"), r.at("sourceId"));
  auto front = client.get("/conversations?limit=1", admin).json().at("data").at("items").at(0);
  EXPECT_EQ(front.at("_id"), json::value(ids[0]));

  // Bad input.
  EXPECT_EQ(client.get("/conversations?page=0", admin).status, 400);
  EXPECT_EQ(client.get("/conversations?limit=1000", admin).status, 400);
  EXPECT_EQ(client.get("/conversations?limit=x", admin).status, 400);
  expect_error(client.request("PUT", "/conversations/" + ids[1], R"({"title":""})", admin), 400, "title");
  expect_error(client.request("PUT", "/conversations/" + ids[1], R"({"title":7})", admin), 400, "title");
  expect_error(client.request("PUT", "/conversations/" + ids[1], R"({})", admin), 400, "title");
  expect_error(client.request("PUT", "/conversations/" + ids[1], R"({"title":)", admin), 400, "");

  // Deleting answers true, and the conversation is gone from the list and from every route.
  auto del = client.request("DELETE", "/conversations/" + ids[1], "", admin);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json().at("data"), true);
  EXPECT_EQ(client.get("/conversations", admin).json().at("data").at("totalItems"), 2);
  expect_error(client.request("DELETE", "/conversations/" + ids[1], "", admin), 404, "");
  expect_error(client.request("PUT", "/conversations/" + ids[1], R"({"title":"x"})", admin), 404, "");
}

TEST_F(ChatpdfConversationsTest, AnotherAccountsConversationIsNotFound) {
  auto owner = device("660000000000000000000010");
  auto res = register_file({{"file", "Mine.pdf", "", sample_pdf()}}, owner);
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string id(res.json().at("data").at("conversation").at("_id").as_string());

  auto stranger = device("660000000000000000000011");
  expect_error(client.request("PUT", "/conversations/" + id, R"({"title":"stolen"})", stranger), 404, "");
  expect_error(client.request("DELETE", "/conversations/" + id, "", stranger), 404, "");
  EXPECT_EQ(client.get("/conversations", stranger).json().at("data").at("totalItems"), 0);

  auto mine = client.get("/conversations", owner).json().at("data");
  ASSERT_EQ(mine.at("totalItems"), 1);
  EXPECT_EQ(mine.at("items").at(0).at("title"), "Mine.pdf") << "the stranger's rename changed nothing";
  EXPECT_EQ(mine.at("items").at(0).at("deviceId"), "660000000000000000000010");
}


TEST_F(ChatpdfConversationsTest, ChattingAnswersFromPageThreeWithItsCitation) {
  const std::string pdf = make_pdf({
      {"Chapter one covers the history of the company and its founders."},
      {"Chapter two lists the offices in Lisbon, Porto and Braga."},
      {"The emergency generator is tested every second Tuesday by the facilities team."},
      {"Chapter four is about holidays and leave."},
  });
  auto headers = device("660000000000000000000020");
  auto up = register_file({{"file", "handbook.pdf", "application/pdf", pdf}}, headers);
  ASSERT_EQ(up.status, 200) << up.body;
  auto c = up.json().at("data").at("conversation");
  const std::string source(c.at("sourceId").as_string());
  const std::string conversation(c.at("_id").as_string());

  // Asked at once: the search waits for the file to be indexed, never answers from nothing.
  auto res = client.get("/messages/chatting?sourceId=" + source +
                            "&message=How%20often%20is%20the%20emergency%20generator%20tested%3F",
                        headers);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.header("content-type"), "text/event-stream");
  auto events = sse_json(res.body);
  ASSERT_GE(events.size(), 2u) << res.body;
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    ASSERT_EQ(events[i].at("type"), "text") << res.body;
    text += events[i].at("content").as_string();
  }
  EXPECT_NE(text.find("every second Tuesday"), std::string::npos) << text;
  EXPECT_NE(text.find("[1]"), std::string::npos) << text;
  const auto& done = events.back();
  ASSERT_EQ(done.at("type"), "done") << res.body;
  const auto& message = done.at("message");
  EXPECT_EQ(message.at("author"), "bot");
  EXPECT_EQ(message.at("message").as_string(), text);
  ASSERT_FALSE(message.at("citations").as_array().empty()) << res.body;
  EXPECT_EQ(message.at("citations").at(0).at("page"), 3);
  EXPECT_EQ(message.at("citations").at(0).at("fileName"), "handbook.pdf");

  // Both turns are stored: newest first, the question from the device.
  auto list = client.request("POST", "/messages/conversation/" + conversation + "?page=1&limit=10", "", headers);
  ASSERT_EQ(list.status, 200) << list.body;
  auto d = list.json().at("data").as_object();
  EXPECT_EQ(d.at("totalItems"), 2);
  EXPECT_EQ(d.at("items").at(0).at("author"), "bot");
  EXPECT_EQ(d.at("items").at(0).at("citations").at(0).at("page"), 3);
  EXPECT_EQ(d.at("items").at(1).at("author"), "user");
  EXPECT_EQ(d.at("items").at(1).at("from"), "660000000000000000000020");
  auto convs = client.get("/conversations", headers).json().at("data").at("items").at(0);
  EXPECT_EQ(convs.at("totalMessages"), 2);
  EXPECT_EQ(convs.at("lastMessage").as_string(), text);

  // Regenerating replaces the answer; the question stays.
  auto again = client.get("/messages/chatting?sourceId=" + source + "&isReGenerate=true", headers);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(sse_json(again.body).back().at("type"), "done") << again.body;
  EXPECT_EQ(
      client.request("POST", "/messages/conversation/" + conversation, "", headers).json().at("data").at("totalItems"),
      2);

  // A question the file cannot answer gets the plain sentence, no invented text, no citation.
  auto unknown = client.get("/messages/chatting?sourceId=" + source + "&message=Who%20won%20the%20world%20cup%3F",
                            headers);
  ASSERT_EQ(unknown.status, 200) << unknown.body;
  auto last = sse_json(unknown.body).back();
  ASSERT_EQ(last.at("type"), "done") << unknown.body;
  EXPECT_NE(last.at("message").at("message").as_string().find("llm.url"), std::string::npos) << unknown.body;
  EXPECT_TRUE(last.at("message").at("citations").as_array().empty());
}

TEST_F(ChatpdfConversationsTest, ChattingRefusesBadInputAndOthersConversations) {
  auto owner = device("660000000000000000000021");
  auto up = register_file({{"file", "x.pdf", "", make_pdf({{"Owls hunt at night."}})}}, owner);
  ASSERT_EQ(up.status, 200) << up.body;
  const std::string source(up.json().at("data").at("conversation").at("sourceId").as_string());
  const std::string conversation(up.json().at("data").at("conversation").at("_id").as_string());

  expect_error(client.get("/messages/chatting?message=hi", owner), 400, "sourceId");
  expect_error(client.get("/messages/chatting?sourceId=" + source, owner), 400, "message");
  expect_error(client.get("/messages/chatting?sourceId=" + source + "&message=hi&isReGenerate=maybe", owner), 400,
               "isReGenerate");
  expect_error(client.get("/messages/chatting?sourceId=src_nope&message=hi", owner), 404, "");
  expect_error(client.request("POST", "/messages/conversation/" + conversation + "?limit=0", "", owner), 400, "limit");

  auto stranger = device("660000000000000000000022");
  expect_error(client.get("/messages/chatting?sourceId=" + source + "&message=hi", stranger), 404, "");
  expect_error(client.request("POST", "/messages/conversation/" + conversation, "", stranger), 404, "");
}

TEST_F(ChatpdfConversationsTest, SummarizeStreamsACitedSummaryWithQuestionsAndStoresIt) {
  const std::string pdf = make_pdf({
      {"The lighthouse keeper logs the weather every morning.", "The lighthouse lamp is cleaned weekly."},
      {"Storm warnings are raised by the lighthouse keeper when the barometer falls.",
       "The weather log is kept for ten years."},
      {"Visitors may climb the lighthouse tower on Sundays in summer."},
  });
  auto headers = device("660000000000000000000030");
  auto up = register_file({{"file", "lighthouse.pdf", "application/pdf", pdf}}, headers);
  ASSERT_EQ(up.status, 200) << up.body;
  const std::string source(up.json().at("data").at("conversation").at("sourceId").as_string());
  const std::string conversation(up.json().at("data").at("conversation").at("_id").as_string());

  auto res = client.get("/conversations/summarize?sourceId=" + source, headers);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.header("content-type"), "text/event-stream");
  auto events = sse_json(res.body);
  ASSERT_GE(events.size(), 2u) << res.body;
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) text += events[i].at("content").as_string();
  const auto& done = events.back();
  ASSERT_EQ(done.at("type"), "done") << res.body;
  EXPECT_EQ(done.at("message").at("message").as_string(), text);
  // Quoted from the file, cited, then three questions about what it keeps returning to.
  EXPECT_NE(text.find("lighthouse keeper"), std::string::npos) << text;
  EXPECT_NE(text.find("[1]"), std::string::npos) << text;
  EXPECT_NE(text.find("Questions this document can answer:"), std::string::npos) << text;
  EXPECT_NE(text.find("\n3. What does the document say about"), std::string::npos) << text;
  EXPECT_NE(text.find("lighthouse keeper?"), std::string::npos) << text;
  ASSERT_FALSE(done.at("message").at("citations").as_array().empty());

  // Stored as the seed shows it: the request and the answer; the summary on the conversation.
  auto list = client.request("POST", "/messages/conversation/" + conversation, "", headers);
  auto items = list.json().at("data").at("items").as_array();
  ASSERT_EQ(items.size(), 2u) << list.body;
  EXPECT_EQ(items[0].at("author"), "bot");
  EXPECT_EQ(items[1].at("author"), "user");
  EXPECT_NE(items[1].at("message").as_string().find("summarize this file"), std::string::npos);
  auto convs = client.get("/conversations", headers).json().at("data").at("items").at(0);
  EXPECT_EQ(convs.at("summary").as_string(), text);

  expect_error(client.get("/conversations/summarize", headers), 400, "sourceId");
  expect_error(client.get("/conversations/summarize?sourceId=src_nope", headers), 404, "");
  expect_error(client.get("/conversations/summarize?sourceId=" + source, device("660000000000000000000031")), 404, "");
}

}  // namespace
}  // namespace docent::testing
