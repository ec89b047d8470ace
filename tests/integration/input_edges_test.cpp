// Every handler reads its body through one reader: a member of the wrong type is a 400 in the
// face's envelope naming the field, never silently ignored or defaulted.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace docent::testing {
namespace {

namespace json = boost::json;

class InputEdgesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Headers auth() const { return bearer(server_->admin_key()); }
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* InputEdgesTest::server_ = nullptr;

// Where each face's envelope names the offending field.
enum class Face { Native, Sherpa, Chatbot, Nexus, Chatpdf };

std::string field_of(Face face, const json::value& body) {
  const json::value* v = nullptr;
  switch (face) {
    case Face::Native: v = body.as_object().at("error").as_object().if_contains("param"); break;
    case Face::Sherpa:
    case Face::Chatpdf: v = body.as_object().if_contains("field"); break;
    case Face::Chatbot: {
      const auto* details = body.as_object().at("error").as_object().if_contains("details");
      if (details) v = details->as_object().if_contains("field");
      break;
    }
    case Face::Nexus: {
      const auto* details = body.as_object().if_contains("details");
      if (details) v = details->as_object().if_contains("field");
      break;
    }
  }
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

TEST_F(InputEdgesTest, StreamThatIsNotABooleanIs400NamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}],"stream":"yes"})"},
      {"/v1/responses", R"({"input":"hi","stream":"yes"})"},
  };
  for (const auto& [path, body] : cases) {
    auto res = client.post_json(path, body, auth());
    EXPECT_EQ(res.status, 400) << path << ": " << res.body;
    EXPECT_EQ(field_of(Face::Native, res.json()), "stream") << path << ": " << res.body;
    EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u) << path;
  }
}

TEST_F(InputEdgesTest, ResponseFormatThatIsNotAnObjectIs400) {
  for (const char* format : {R"("json")", "[]", "7", "true"}) {
    auto res = client.post_json("/v1/chat/completions",
                                std::string(R"({"messages":[{"role":"user","content":"hi"}],"response_format":)") +
                                    format + "}",
                                auth());
    EXPECT_EQ(res.status, 400) << format << ": " << res.body;
    EXPECT_EQ(field_of(Face::Native, res.json()), "response_format") << format;
  }
  auto no_type = client.post_json("/v1/chat/completions",
                                  R"({"messages":[{"role":"user","content":"hi"}],"response_format":{}})", auth());
  EXPECT_EQ(no_type.status, 400) << no_type.body;
  EXPECT_EQ(field_of(Face::Native, no_type.json()), "response_format.type");
}

TEST_F(InputEdgesTest, WrongTypedFieldsAre400NamingTheFieldOnEveryFace) {
  struct Case {
    Face face;
    std::string method, path, body, field;
  };
  const std::string user_says = R"("messages":[{"role":"user","content":"hi"}])";
  const std::vector<Case> cases = {
      // native
      {Face::Native, "POST", "/v1/chat/completions",
       "{" + user_says + R"(,"stream":true,"stream_options":{"include_usage":"yes"}})", "stream_options.include_usage"},
      {Face::Native, "POST", "/v1/chat/completions", "{" + user_says + R"(,"temperature":"warm"})", "temperature"},
      {Face::Native, "POST", "/v1/chat/completions", "{" + user_says + R"(,"tools":{}})", "tools"},
      {Face::Native, "POST", "/v1/chat/completions", "{" + user_says + R"(,"user":5})", "user"},
      {Face::Native, "POST", "/v1/chat/completions", R"({"messages":[{"role":"user","content":[{"type":7}]}]})",
       "messages[0].content[0].type"},
      {Face::Native, "POST", "/v1/chat/completions", R"({"messages":["hi"]})", "messages[0]"},
      {Face::Native, "POST", "/v1/responses", R"({"input":"hi","metadata":"m"})", "metadata"},
      {Face::Native, "POST", "/v1/responses", R"({"input":"hi","max_output_tokens":"many"})", "max_output_tokens"},
      {Face::Native, "POST", "/v1/responses", R"({"input":"hi","include":"all"})", "include"},
      {Face::Native, "POST", "/v1/responses",
       R"({"input":[{"role":"user","content":[{"type":"input_text","text":5}]}]})", "input[0].content[0].text"},
      {Face::Native, "POST", "/v1/responses",
       R"({"input":"hi","tools":[{"type":"file_search","vector_store_ids":["vs"],"max_num_results":"ten"}]})",
       "tools[0].max_num_results"},
      {Face::Native, "POST", "/v1/folders", R"({"name":5})", "name"},
      {Face::Native, "POST", "/v1/search", R"({"query":"x","limit":"ten"})", "limit"},
      {Face::Native, "POST", "/v1/vector_stores", R"({"name":["a"]})", "name"},
      // sherpa
      {Face::Sherpa, "POST", "/api/folders/create", R"({"Name":5})", "Name"},
      {Face::Sherpa, "POST", "/api/files/create", R"({"name":"a.txt","file":5})", "file"},
      {Face::Sherpa, "POST", "/api/files/create", R"({"name":"a.txt","file":"x","encoding":16})", "encoding"},
      {Face::Sherpa, "POST", "/api/files/addchunk", R"({"text_chunk":5,"guid_file":"x"})", "text_chunk"},
      {Face::Sherpa, "POST", "/api/threads/chat", R"({"thread_id":1,"role":"user","content":5})", "content"},
      // chatbot
      {Face::Chatbot, "POST", "/api/chat", R"({"message":"hi","stream":"yes"})", "stream"},
      {Face::Chatbot, "POST", "/api/knowledge/search", R"({"query":"x","limit":"ten"})", "limit"},
      {Face::Chatbot, "POST", "/api/knowledge", R"({"content":5})", "content"},
      // nexus
      {Face::Nexus, "POST", "/api/process/text", R"({"message":5})", "message"},
      // chatpdf
      {Face::Chatpdf, "PUT", "/conversations/any", R"({"title":5})", "title"},
      {Face::Chatpdf, "POST", "/auth/register-device", R"({"deviceId":5})", "deviceId"},
  };
  for (const auto& c : cases) {
    Headers h = auth();
    h.emplace_back("Content-Type", "application/json");
    auto res = client.request(c.method, c.path, c.body, h);
    EXPECT_EQ(res.status, 400) << c.path << " " << c.body << " -> " << res.body;
    if (res.status != 400) continue;
    EXPECT_EQ(field_of(c.face, res.json()), c.field) << c.path << " " << c.body << " -> " << res.body;
  }
}

TEST_F(InputEdgesTest, SherpaUploadMetadataTagsThatAreNotAListOfStringsIs400) {
  for (const char* tags : {R"("one")", "[1]", "{}"}) {
    Headers h = auth();
    h.emplace_back("Content-Type", "multipart/form-data; boundary=eb");
    auto body = multipart_body("eb", {{"metadata", "", "", std::string(R"({"tags":)") + tags + "}"},
                                      {"file", "a.txt", "text/plain", "The axolotl regrows its limbs."}});
    auto res = client.request("POST", "/api/files/uploadfile", body, h);
    EXPECT_EQ(res.status, 400) << tags << " -> " << res.body;
    if (res.status == 400) EXPECT_EQ(field_of(Face::Sherpa, res.json()), "metadata.tags") << tags;
  }
}

TEST_F(InputEdgesTest, UploadTagsThatAreAJsonListOfNonStringsIs400NamingTags) {
  const std::vector<std::pair<Face, std::string>> routes = {{Face::Native, "/v1/files"},
                                                            {Face::Chatbot, "/api/files/upload"}};
  for (const auto& [face, path] : routes) {
    Headers h = auth();
    h.emplace_back("Content-Type", "multipart/form-data; boundary=tb");
    auto body = multipart_body("tb", {{"purpose", "", "", "assistants"},
                                      {"tags", "", "", R"(["ok", 7])"},
                                      {"file", "a.txt", "text/plain", "The axolotl regrows its limbs."}});
    auto res = client.request("POST", path, body, h);
    EXPECT_EQ(res.status, 400) << path << " -> " << res.body;
    if (res.status == 400) EXPECT_EQ(field_of(face, res.json()), "tags") << path;
  }
  // Comma-separated text is still a list.
  Headers h = auth();
  h.emplace_back("Content-Type", "multipart/form-data; boundary=tb");
  auto ok = client.request("POST", "/v1/files",
                           multipart_body("tb", {{"purpose", "", "", "assistants"},
                                                 {"tags", "", "", "alpha, beta"},
                                                 {"file", "b.txt", "text/plain", "The axolotl regrows its limbs."}}),
                           h);
  EXPECT_EQ(ok.status, 200) << ok.body;
}

}  // namespace
}  // namespace docent::testing
