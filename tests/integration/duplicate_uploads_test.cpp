// Duplicate uploads (issue 16): the same bytes sent again by the same account into the same
// folder are the file already there, flagged as a duplicate, not a second copy whose chunks a
// search returns twice. Against the real binary, through each face that uploads.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

class DuplicateUploadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  HttpResponse upload(const std::string& path, const std::string& filename, const std::string& bytes,
                      const std::string& key, std::vector<MultipartPart> extra = {}) {
    extra.push_back({"file", filename, "application/octet-stream", bytes});
    return client.request("POST", path, multipart_body("dup0", extra),
                          {{"Authorization", "Bearer " + key}, {"Content-Type", "multipart/form-data; boundary=dup0"}});
  }
  HttpResponse native_upload(const std::string& filename, const std::string& bytes, const std::string& key,
                             std::vector<MultipartPart> extra = {}) {
    extra.push_back({"purpose", "", "", "assistants"});
    return upload("/v1/files", filename, bytes, key, std::move(extra));
  }

  void wait_processed(const std::string& id, const std::string& key) {
    for (int i = 0; i < 600; ++i) {
      auto res = client.get("/v1/files/" + id, bearer(key));
      ASSERT_EQ(res.status, 200) << res.body;
      if (res.json().at("docent").at("status") == "processed") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "file " << id << " never finished processing";
  }

  std::string key() const { return server_->admin_key(); }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* DuplicateUploadsTest::server_ = nullptr;

TEST_F(DuplicateUploadsTest, TheSameBytesUploadedTwiceIntoOneFolderAreOneFile) {
  const std::string bytes = "# Wildlife\n\nThe resident numbat sleeps in the hollow log by the pond.\n";
  auto first = native_upload("numbat.md", bytes, key());
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string id = str(first.json().at("id"));
  EXPECT_EQ(first.json().at("docent").at("duplicate"), false);

  auto second = native_upload("numbat-again.md", bytes, key());
  ASSERT_EQ(second.status, 200) << second.body;
  auto again = second.json().as_object();
  EXPECT_EQ(str(again.at("id")), id);
  EXPECT_EQ(again.at("object"), "file");  // OpenAI's file object still
  EXPECT_EQ(again.at("filename"), "numbat.md");
  EXPECT_EQ(again.at("docent").at("duplicate"), true);

  wait_processed(id, key());
  auto listed = client.get("/v1/files?limit=1000", bearer(key()));
  ASSERT_EQ(listed.status, 200) << listed.body;
  const std::string sha = str(first.json().at("docent").at("sha256"));
  int copies = 0;
  const json::value files = listed.json();  // kept: a range-for does not extend a temporary's life
  for (const auto& f : files.at("data").as_array()) copies += str(f.at("docent").at("sha256")) == sha;
  EXPECT_EQ(copies, 1) << listed.body;

  // The chunk comes back once, not once per upload.
  auto found = client.post_json("/v1/search", R"({"query":"numbat hollow log","limit":10})", bearer(key()));
  ASSERT_EQ(found.status, 200) << found.body;
  int hits = 0;
  const json::value results = found.json();
  for (const auto& h : results.at("data").as_array()) hits += str(h.at("text")).find("numbat") != std::string::npos;
  EXPECT_EQ(hits, 1) << found.body;

  // Into another folder, or from another account, the same bytes are another file.
  auto folder = client.post_json("/v1/folders", R"({"name":"Wildlife"})", bearer(key()));
  ASSERT_EQ(folder.status, 201) << folder.body;
  auto in_folder = native_upload("numbat.md", bytes, key(), {{"folder_id", "", "", str(folder.json().at("id"))}});
  ASSERT_EQ(in_folder.status, 200) << in_folder.body;
  EXPECT_NE(str(in_folder.json().at("id")), id);
  EXPECT_EQ(in_folder.json().at("docent").at("duplicate"), false);

  ASSERT_EQ(
      client.post_json("/v1/accounts", R"({"login":"dup-other","password":"other-pass-1"})", bearer(key())).status,
      201);
  auto login = client.post_json("/v1/auth/login", R"({"login":"dup-other","password":"other-pass-1"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string other = str(login.json().at("api_key").at("key"));
  auto theirs = native_upload("numbat.md", bytes, other);
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_NE(str(theirs.json().at("id")), id);
  EXPECT_EQ(theirs.json().at("docent").at("duplicate"), false);
}

// The other faces that upload answer a duplicate with the existing file, each in its own shape.
TEST_F(DuplicateUploadsTest, EveryFaceThatUploadsAnswersADuplicateInItsOwnShape) {
  const std::string chatbot_bytes = "# Chatbot\n\nThe quoll hunts at night along the creek.\n";
  auto c1 = upload("/api/files/upload", "quoll.md", chatbot_bytes, key());
  auto c2 = upload("/api/files/upload", "quoll.md", chatbot_bytes, key());
  ASSERT_EQ(c1.status, 200) << c1.body;
  ASSERT_EQ(c2.status, 200) << c2.body;
  for (const char* k : {"id", "filename", "size", "type", "status", "upload_url", "created_at"}) {
    EXPECT_TRUE(c2.json().as_object().contains(k)) << k;
  }
  EXPECT_EQ(c2.json().at("id"), c1.json().at("id"));

  const std::string sherpa_bytes = "# Sherpa\n\nThe bilby digs a spiral burrow.\n";
  auto s1 = upload("/api/files/uploadfile", "bilby.md", sherpa_bytes, key());
  auto s2 = upload("/api/files/uploadfile", "bilby.md", sherpa_bytes, key());
  ASSERT_EQ(s1.status, 200) << s1.body;
  ASSERT_EQ(s2.status, 200) << s2.body;
  for (const char* k : {"id", "object", "purpose", "filename", "bytes", "created_at", "status", "status_details"}) {
    EXPECT_TRUE(s2.json().as_object().contains(k)) << k;
  }
  EXPECT_EQ(s2.json().at("id"), s1.json().at("id"));
}

}  // namespace
}  // namespace docent::testing
