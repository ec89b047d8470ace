// POST /v1/responses with file_search over a vector store, against the real binary: the planted
// fact on page 2 of a PDF the test writes is quoted, cited as a file_citation with the file's id,
// name and page; streaming gives the same text and annotations; bad input is a 400 naming the
// field; another account's vector store is not found.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


class ResponsesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    HttpClient c(server_->port());
    const std::string pdf = make_pdf({
        {"Office handbook.", "The office opens at nine in the morning.", "Coffee is free on Fridays."},
        {"Parking.", "Visitors park in the quokka lot behind building seven.", "Bicycles go in the basement."},
    });
    auto up = c.request("POST", "/v1/files",
                        multipart_body("b0undary", {{"purpose", "", "", "assistants"},
                                                    {"file", "handbook.pdf", "application/pdf", pdf}}),
                        {{"Authorization", "Bearer " + server_->admin_key()},
                         {"Content-Type", "multipart/form-data; boundary=b0undary"}});
    ASSERT_EQ(up.status, 200) << up.body;
    file_id_ = std::string(up.json().at("id").as_string());
    for (int i = 0; i < 600; ++i) {
      auto f = c.get("/v1/files/" + file_id_, bearer(server_->admin_key()));
      auto status = f.json().at("docent").at("status");
      if (status == "processed") break;
      ASSERT_NE(status, "failed") << f.body;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto vs = c.post_json("/v1/vector_stores", R"({"name":"handbook","file_ids":[")" + file_id_ + "\"]}",
                          bearer(server_->admin_key()));
    ASSERT_EQ(vs.status, 200) << vs.body;
    store_id_ = std::string(vs.json().at("id").as_string());
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string request(const std::string& input, const std::string& extra = "") {
    return R"({"model":"docent-extractive","input":")" + input +
           R"(","tools":[{"type":"file_search","vector_store_ids":[")" + store_id_ + "\"]}]" + extra + "}";
  }

  static ServerProcess* server_;
  static std::string file_id_, store_id_;
  HttpClient client{server_->port()};
};
ServerProcess* ResponsesTest::server_ = nullptr;
std::string ResponsesTest::file_id_, ResponsesTest::store_id_;

TEST_F(ResponsesTest, FileSearchAnswerQuotesThePlantedFactAndCitesFileAndPage) {
  auto res = client.post_json("/v1/responses", request("Where do visitors park?"), bearer(server_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  EXPECT_EQ(o.at("object"), "response");
  EXPECT_EQ(o.at("status"), "completed");
  EXPECT_EQ(o.at("model"), "docent-extractive");
  auto& output = o.at("output").as_array();
  ASSERT_EQ(output.size(), 2u) << res.body;
  EXPECT_EQ(output[0].at("type"), "file_search_call");
  EXPECT_EQ(output[0].at("status"), "completed");
  EXPECT_EQ(output[0].at("queries").at(0), "Where do visitors park?");
  EXPECT_EQ(output[1].at("type"), "message");
  EXPECT_EQ(output[1].at("role"), "assistant");
  auto& part = output[1].at("content").at(0).as_object();
  EXPECT_EQ(part.at("type"), "output_text");
  std::string text(part.at("text").as_string());
  EXPECT_NE(text.find("Visitors park in the quokka lot behind building seven."), std::string::npos) << text;
  EXPECT_EQ(text.find("Coffee"), std::string::npos) << text;
  EXPECT_EQ(o.at("output_text"), part.at("text"));
  auto& notes = part.at("annotations").as_array();
  ASSERT_FALSE(notes.empty()) << res.body;
  for (const auto& a : notes) {
    EXPECT_EQ(a.at("type"), "file_citation");
    EXPECT_EQ(a.at("file_id"), json::value(file_id_));
    EXPECT_EQ(a.at("filename"), "handbook.pdf");
    EXPECT_EQ(a.at("page"), 2) << json::serialize(a);
    // index points at the "[n]" marker in the text.
    size_t index = static_cast<size_t>(a.at("index").as_int64());
    ASSERT_LT(index, text.size());
    EXPECT_EQ(text[index], '[');
  }
  EXPECT_GT(o.at("usage").at("total_tokens").as_int64(), 0);
}

TEST_F(ResponsesTest, AQuestionTheDocumentsDoNotAnswerGetsThePlainSentence) {
  auto res = client.post_json("/v1/responses", request("What is the capital of Australia?"),
                              bearer(server_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  std::string text(res.json().at("output_text").as_string());
  EXPECT_NE(text.find("llm.url"), std::string::npos) << text;
  EXPECT_EQ(text.find("Canberra"), std::string::npos);
  EXPECT_TRUE(res.json().at("output").at(1).at("content").at(0).at("annotations").as_array().empty());
}

TEST_F(ResponsesTest, StreamingGivesTheSameTextAndAnnotations) {
  auto whole = client.post_json("/v1/responses", request("Where do visitors park?"), bearer(server_->admin_key()));
  ASSERT_EQ(whole.status, 200);
  auto res = client.post_json("/v1/responses", request("Where do visitors park?", R"(,"stream":true)"),
                              bearer(server_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.header("content-type").find("text/event-stream"), std::string::npos);
  std::vector<json::object> events;
  size_t pos = 0;
  while ((pos = res.body.find("data: ", pos)) != std::string::npos) {
    size_t end = res.body.find('\n', pos);
    events.push_back(json::parse(res.body.substr(pos + 6, end - pos - 6)).as_object());
    pos = end;
  }
  ASSERT_GE(events.size(), 6u) << res.body;
  EXPECT_EQ(events.front().at("type"), "response.created");
  EXPECT_EQ(events.back().at("type"), "response.completed");
  std::string deltas;
  int annotations = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].at("sequence_number"), static_cast<int64_t>(i));
    if (events[i].at("type") == "response.output_text.delta") deltas += std::string(events[i].at("delta").as_string());
    if (events[i].at("type") == "response.output_text.annotation.added") {
      ++annotations;
      EXPECT_EQ(events[i].at("annotation").at("page"), 2);
    }
  }
  EXPECT_EQ(deltas, std::string(whole.json().at("output_text").as_string()));
  EXPECT_GT(annotations, 0);
  EXPECT_EQ(events.back().at("response").at("output_text"), whole.json().at("output_text"));
}

TEST_F(ResponsesTest, BadInputIsA400NamingTheField) {
  struct Case {
    std::string body, param;
  };
  const std::vector<Case> cases = {
      {R"({"model":"docent-extractive"})", "input"},
      {R"({"model":"docent-extractive","input":5})", "input"},
      {R"({"model":"docent-extractive","input":"x","instructions":7})", "instructions"},
      {R"({"model":"docent-extractive","input":"x","stream":"yes"})", "stream"},
      {R"({"model":"docent-extractive","input":"x","tools":[{"type":"web_search"}]})", "tools"},
      {R"({"model":"docent-extractive","input":"x","tools":[{"type":"file_search"}]})", "tools[0].vector_store_ids"},
      {R"({"model":"docent-extractive","input":"x","temperature":"warm"})", "temperature"},
      {R"({"model":"docent-extractive","input":[{"role":"user","content":[{"type":"input_image"}]}]})",
       "input[0].content[0].image_url"},
      {R"({"model":"docent-extractive","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]})",
       "input[0].content[0].image_url"},
      {R"({"input":[{"role":"user","content":[{"type":"input_image","image_url":"http://169.254.169.254/x.png"}]}]})",
       "input[0].content[0].image_url"},
      {R"j({"input":[{"role":"user","content":[{"type":"input_image","image_url":"javascript:alert(1)"}]}]})j",
       "input[0].content[0].image_url"},
      {R"({"input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,iVBO",)"
       R"("detail":"max"}]}]})",
       "input[0].content[0].detail"},
      {R"({"input":[{"role":"user","content":[{"type":"input_audio","text":"x"}]}]})", "input[0].content[0].type"},
      // The built-in engine cannot see: an image is refused naming the setting, never dropped.
      {R"({"model":"docent-extractive","input":[{"role":"user","content":[{"type":"input_text","text":"What is )"
       R"(this?"},{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}]})",
       "input"},
  };
  for (const auto& c : cases) {
    auto res = client.post_json("/v1/responses", c.body, bearer(server_->admin_key()));
    EXPECT_EQ(res.status, 400) << c.body << " -> " << res.body;
    EXPECT_EQ(res.json().at("error").at("param"), json::value(c.param)) << c.body << " -> " << res.body;
  }
}

TEST_F(ResponsesTest, AnotherAccountsVectorStoreIsNotFound) {
  auto acc = client.post_json("/v1/accounts", R"({"login":"mallory","password":"correct horse battery"})",
                              bearer(server_->admin_key()));
  ASSERT_TRUE(acc.status == 200 || acc.status == 201) << acc.body;
  std::string account_id(acc.json().at("id").as_string());
  auto key = client.post_json("/v1/keys", R"({"account_id":")" + account_id + R"(","name":"k"})",
                              bearer(server_->admin_key()));
  ASSERT_TRUE(key.status == 200 || key.status == 201) << key.body;
  std::string other(key.json().at("key").as_string());
  auto res = client.post_json("/v1/responses", request("Where do visitors park?"), bearer(other));
  EXPECT_EQ(res.status, 404) << res.body;
}

}  // namespace
}  // namespace docent::testing
