// chatpdf's POST /upload/register-file (seeds/chatpdf.txt): a device uploads a PDF and gets the
// conversation it will chat in, in the seed's shape; what is not a PDF, a bad page count and a
// missing file get the face's error envelope and cost nothing.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string sample_pdf() {
  auto path = std::filesystem::path(DOCENT_SOURCE_DIR).parent_path() / "shared" / "testdata" / "pdf-sample-files" /
              "004-pdflatex-4-pages" / "pdflatex-4-pages.pdf";
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
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
    if (!field.empty()) EXPECT_EQ(o.at("field"), json::value(field)) << res.body;
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

}  // namespace
}  // namespace docent::testing
