// The spherechat seed's own examples, run as written against the real binary: its Python
// `requests` example and its cURL commands (tests/conformance/spherechat), with only the host, the
// key and the download command's FILE_ID placeholder changed.

#include "support/business_docs.h"
#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

namespace docent::testing {
namespace {

namespace json = boost::json;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

class SpherechatSeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(business_docs::write_document(dir.path() / "invoice.pdf", {.kind = "invoice", .seed = 11}));
  }
  // The example file with the seed's host and key replaced.
  std::string example(const std::string& name) const {
    std::string text = read_file(std::filesystem::path(DOCENT_SOURCE_DIR) / "tests/conformance/spherechat" / name);
    text = replace_all(text, "https://spherechat.sphereskill.tech:1082",
                       "http://127.0.0.1:" + std::to_string(server.port()));
    return replace_all(text, "YOUR_API_TOKEN", server.admin_key());
  }
  // Runs `command` in the test's folder, away from any proxy.
  std::pair<int, std::string> run_here(const std::string& command) const {
    return run_shell("cd '" + dir.path().string() + "' && unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY && " +
                     command);
  }

  ServerProcess server;
  TempDir dir;
};

void expect_workbook(const std::filesystem::path& xlsx) {
  ASSERT_TRUE(std::filesystem::exists(xlsx));
  auto book = read_workbook_file(xlsx);
  ASSERT_TRUE(book.as_object().contains("sheets")) << json::serialize(book);
  EXPECT_EQ(book.at("sheets").at(0), "Summary");
  EXPECT_GT(book.at("Summary").at("rows").as_array().size(), 1u);
}

TEST_F(SpherechatSeedTest, PythonRequestsExampleAsWritten) {
  std::ofstream(dir.path() / "example.py") << example("example.py");
  auto [code, out] = run_here("/usr/bin/python3 example.py");
  ASSERT_EQ(code, 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("File ID: [0-9a-f-]{36}"))) << out;
  expect_workbook(dir.path() / "invoice_extracted.xlsx");
}

TEST_F(SpherechatSeedTest, CurlExamplesAsWritten) {
  std::ofstream(dir.path() / "upload.sh") << example("upload.sh");
  auto [code, out] = run_here("{ sh upload.sh 2>/dev/null; }");  // curl's progress meter goes to stderr
  ASSERT_EQ(code, 0) << out;
  auto answer = json::parse(out).as_object();
  EXPECT_EQ(answer.at("success"), true);
  EXPECT_EQ(answer.at("fileName"), "invoice_extracted.xlsx");
  std::string id(answer.at("fileId").as_string());
  EXPECT_EQ(answer.at("excelPath"), json::value("/api/pdf/download/" + id));

  std::ofstream(dir.path() / "download.sh") << replace_all(example("download.sh"), "FILE_ID", id);
  auto [dl_code, dl_out] = run_here("sh download.sh");
  ASSERT_EQ(dl_code, 0) << dl_out;
  expect_workbook(dir.path() / "invoice.xlsx");
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(dir.path() / "invoice.xlsx")),
            answer.at("fileSize").as_int64());
}

}  // namespace
}  // namespace docent::testing
