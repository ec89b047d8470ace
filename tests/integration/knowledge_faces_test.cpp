// The knowledge base through the sherpa and chatbot faces, in their seeds' shapes.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <regex>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


class KnowledgeFacesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Headers auth() const { return bearer(server_->admin_key()); }
  void wait_processed(const std::string& status_path, const std::string& done_word, const char* field) {
    for (int i = 0; i < 400; ++i) {
      auto res = client.get(status_path, auth());
      ASSERT_EQ(res.status, 200) << res.body;
      if (str(res.json().at(field)) == done_word) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << status_path << " never reached " << done_word;
  }
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* KnowledgeFacesTest::server_ = nullptr;

TEST_F(KnowledgeFacesTest, SherpaFoldersAndFilesAsTheSeedShows) {
  auto created = client.post_json("/api/folders/create",
                                  R"({"Name":"Test Folder 1","Description":"My new test Folder"})", auth());
  ASSERT_EQ(created.status, 200) << created.body;
  std::string guid = str(created.json().at("guid"));
  auto read = client.get("/api/folders/read/" + guid, auth());
  ASSERT_EQ(read.status, 200);
  auto f = read.json().as_object();
  for (const char* k : {"id", "guid", "name", "description", "created", "updated", "is_deleted", "account_id"}) {
    EXPECT_TRUE(f.contains(k)) << k;
  }
  EXPECT_TRUE(f.at("id").is_int64());
  EXPECT_EQ(f.at("is_deleted"), 0);
  EXPECT_TRUE(std::regex_match(str(f.at("created")), std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)")));
  EXPECT_EQ(client.get("/api/folders/list", auth()).json().as_array().size(), 1u);
  auto upd = client.request("PUT", "/api/folders/update", R"({"Guid":")" + guid + R"(","Name":"New Folder Name"})",
                            auth());
  EXPECT_EQ(upd.status, 200);
  EXPECT_EQ(upd.body, "[]");

  auto file = client.post_json("/api/files/create",
                               R"({"name":"example.txt","name_new":"example_new.txt","description":"File description",)"
                               R"("folder_id":")" +
                                   guid + R"(","Metadata":{},"file":"The axolotl regrows its limbs."})",
                               auth());
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.body, "[]");
  std::string location = file.header("location");
  ASSERT_EQ(location.rfind("/api/files/read/", 0), 0u);
  std::string file_guid = location.substr(std::string("/api/files/read/").size());
  // Base16 content decodes.
  auto hex = client.post_json(
      "/api/files/create",
      R"({"name":"hex.txt","folder_id":"New Folder Name","file":"48656c6c6f2c2068657820776f726c642e","encoding":"base16"})",
      auth());
  ASSERT_EQ(hex.status, 200) << hex.body;

  wait_processed("/api/files/read/" + file_guid, "processed", "status");
  auto meta = client.get("/api/files/read/" + file_guid, auth()).json().as_object();
  EXPECT_EQ(meta.at("filename"), "example_new.txt");
  EXPECT_EQ(meta.at("object"), "file");
  EXPECT_EQ(meta.at("tools_type"), "retrieval");

  auto search = client.get("/api/files/search?text_for_search=axolotl%20limbs&n_top=5&folder_ids=%5B%22" + guid +
                               "%22%5D&enable_subfolders=1",
                           auth());
  ASSERT_EQ(search.status, 200) << search.body;
  auto hits = search.json().as_array();
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(str(hits[0].at("guid_file")), file_guid);
  EXPECT_NE(str(hits[0].at("text")).find("axolotl"), std::string::npos);

  auto chunk = client.post_json("/api/files/addchunk",
                                R"({"text_chunk":"Axolotls are neotenic salamanders.","guid_file":")" + file_guid +
                                    R"(","metadata":{}})",
                                auth());
  EXPECT_EQ(chunk.status, 200) << chunk.body;
  auto body_search = client.post_json("/api/files/search",
                                      R"({"text_for_search":"neotenic salamanders","n_top":1,"files_ids":"[\")" +
                                          file_guid + R"(\"]","folder_ids":"[]","enable_subfolders":0})",
                                      auth());
  ASSERT_EQ(body_search.status, 200) << body_search.body;
  EXPECT_NE(body_search.body.find("neotenic"), std::string::npos);

  auto dl = client.get("/api/files/download/" + file_guid, auth());
  EXPECT_EQ(dl.status, 200);
  EXPECT_EQ(dl.body, "The axolotl regrows its limbs.");
  // Base16 and Base32 content is stored decoded; content its encoding does not fit is refused.
  auto read_back = [&](const HttpResponse& created) {
    std::string at = created.header("location");
    return client.get("/api/files/download/" + at.substr(std::string("/api/files/read/").size()), auth()).body;
  };
  EXPECT_EQ(read_back(hex), "Hello, hex world.");
  auto b32 = client.post_json(
      "/api/files/create",
      R"({"name":"b32.txt","folder_id":"New Folder Name","file":"JBSWY3DPFQQGEYLTMUZTEIDXN5ZGYZBO","encoding":"base32"})",
      auth());
  ASSERT_EQ(b32.status, 200) << b32.body;
  EXPECT_EQ(read_back(b32), "Hello, base32 world.");
  auto not_b32 = client.post_json(
      "/api/files/create",
      R"({"name":"bad.txt","folder_id":"New Folder Name","file":"not base32!","encoding":"base32"})", auth());
  EXPECT_EQ(not_b32.status, 400);
  EXPECT_EQ(not_b32.json().at("field"), "file");

  EXPECT_EQ(client
                .request("DELETE", "/api/files/delete",
                         R"({"file_folder_guid":")" + file_guid + R"(","type_processing":1})", auth())
                .body,
            "[]");
  EXPECT_EQ(client.get("/api/files/read/" + file_guid, auth()).status, 404);
  EXPECT_EQ(client
                .request("DELETE", "/api/files/delete", R"({"file_folder_guid":")" + guid + R"(","type_processing":2})",
                         auth())
                .status,
            200);
  auto gone = client.get("/api/folders/read/" + guid, auth());
  EXPECT_EQ(gone.status, 404);
  EXPECT_TRUE(gone.json().at("error").is_string());
  auto bad = client.request("DELETE", "/api/files/delete", R"({"file_folder_guid":"x","type_processing":7})", auth());
  EXPECT_EQ(bad.status, 400);
}

TEST_F(KnowledgeFacesTest, SherpaUploadfileReturnsTheSeedsFileObject) {
  auto res = client.request("POST", "/api/files/uploadfile",
                            multipart_body("zz", {{"file", "Document.md", "", "# Doc\n\nThe dugong grazes seagrass.\n"},
                                                  {"metadata", "", "", R"({"source":"kb","tags":["policy","2025"]})"}}),
                            {{"Authorization", "Bearer " + server_->admin_key()},
                             {"Content-Type", "multipart/form-data; boundary=zz"}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  for (const char* k :
       {"id", "object", "purpose", "filename", "bytes", "created_at", "status", "status_details", "tools_type"}) {
    EXPECT_TRUE(o.contains(k)) << k;
  }
  EXPECT_EQ(o.at("object"), "file");
  EXPECT_EQ(o.at("purpose"), "assistants");
  EXPECT_EQ(o.at("filename"), "Document.md");
  EXPECT_TRUE(o.at("created_at").is_int64());
}

TEST_F(KnowledgeFacesTest, ChatbotUploadStatusAndKnowledgeSearch) {
  auto up = client.request("POST", "/api/files/upload",
                           multipart_body("cb", {{"file", "teams.md", "",
                                                  "# Teams\n\n## Integration Setup\n\n"
                                                  "To integrate with Microsoft Teams, add the bot.\n"},
                                                 {"description", "", "", "Optional file description"},
                                                 {"tags", "", "", R"(["integration"])"}}),
                           {{"Authorization", "Bearer " + server_->admin_key()},
                            {"Content-Type", "multipart/form-data; boundary=cb"}});
  ASSERT_EQ(up.status, 200) << up.body;
  auto o = up.json().as_object();
  for (const char* k : {"id", "filename", "size", "type", "status", "upload_url", "created_at"})
    EXPECT_TRUE(o.contains(k)) << k;
  std::string id = str(o.at("id"));
  wait_processed("/api/files/" + id + "/status", "completed", "status");
  auto status = client.get("/api/files/" + id + "/status", auth()).json().as_object();
  EXPECT_GE(status.at("chunks_created").as_int64(), 1);
  EXPECT_TRUE(status.at("error").is_null());
  EXPECT_TRUE(status.at("processed_at").is_string());

  auto search = client.post_json("/api/knowledge/search",
                                 R"({"query":"How to integrate with Microsoft Teams?","type":"semantic","limit":5,)"
                                 R"("filters":{"source_type":"document","tags":["integration"]}})",
                                 auth());
  ASSERT_EQ(search.status, 200) << search.body;
  auto body = search.json().as_object();
  auto results = body.at("results").as_array();
  ASSERT_FALSE(results.empty());
  EXPECT_EQ(str(results[0].at("source").at("id")), id);
  EXPECT_EQ(results[0].at("metadata").at("page"), 1);
  EXPECT_EQ(results[0].at("metadata").at("section"), "Teams > Integration Setup");
  EXPECT_EQ(body.at("total"), static_cast<int64_t>(results.size()));
  EXPECT_TRUE(body.at("query_time").is_double());
  EXPECT_TRUE(body.at("pending_file_ids").as_array().empty());  // the one file in scope is indexed

  auto note =
      client.post_json("/api/knowledge",
                       R"({"content":"The office wifi password rotates every Monday.","title":"Important Note",)"
                       R"("source_type":"manual","tags":["important","note"],"metadata":{"category":"general"}})",
                       auth());
  ASSERT_EQ(note.status, 201) << note.body;
  wait_processed("/api/files/" + str(note.json().at("id")) + "/status", "completed", "status");
  auto found = client.post_json("/api/knowledge/search", R"({"query":"wifi password","type":"text"})", auth());
  EXPECT_NE(found.body.find("rotates every Monday"), std::string::npos) << found.body;

  auto missing = client.post_json("/api/knowledge/search", R"({"type":"semantic"})", auth());
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json().at("error").at("code"), "INVALID_REQUEST");
  EXPECT_EQ(client.get("/api/files/nope/status", auth()).json().at("error").at("code"), "RESOURCE_NOT_FOUND");
}

}  // namespace
}  // namespace docent::testing
