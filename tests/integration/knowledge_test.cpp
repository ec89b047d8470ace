// Documents and the knowledge base through the native API, against the real binary: upload,
// ingestion to "processed" (never stuck), search with pages, folders, filters, ownership, hostile
// files, progress events and resuming after kill -9.

#include "support/http_client.h"
#include "support/server_process.h"
#include "support/test_data.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <set>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

class KnowledgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  HttpResponse upload(const std::string& filename, const std::string& bytes, const std::string& key,
                      std::vector<MultipartPart> extra = {}) {
    extra.push_back({"purpose", "", "", "assistants"});
    extra.push_back({"file", filename, "application/octet-stream", bytes});
    return client.request("POST", "/v1/files", multipart_body("b0undary", extra),
                          {{"Authorization", "Bearer " + key},
                           {"Content-Type", "multipart/form-data; boundary=b0undary"}});
  }

  // Polls until the file leaves uploaded/processing (bounded), returning its docent status.
  json::object wait_done(const std::string& id, const std::string& key) {
    for (int i = 0; i < 600; ++i) {
      auto res = client.get("/v1/files/" + id, bearer(key));
      if (res.status != 200) return {};
      auto d = res.json().at("docent").as_object();
      if (d.at("status") == "processed" || d.at("status") == "failed") return d;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "file " << id << " never finished processing";
    return {};
  }

  std::string key() const { return server_->admin_key(); }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* KnowledgeTest::server_ = nullptr;

TEST_F(KnowledgeTest, MarkdownIsIngestedAndSearchFindsThePlantedPassage) {
  auto up = upload("handbook.md",
                   "# Handbook\n\nGeneral notes about the office.\n\n## Parking\n\n"
                   "Visitors park in the quokka lot behind building seven.\n",
                   key());
  ASSERT_EQ(up.status, 200) << up.body;
  auto file = up.json().as_object();
  EXPECT_EQ(file.at("object"), "file");
  EXPECT_EQ(file.at("filename"), "handbook.md");
  EXPECT_EQ(file.at("purpose"), "assistants");
  EXPECT_EQ(file.at("docent").at("source_type"), "markdown");
  std::string id = str(file.at("id"));
  // A search naming the file right after upload waits for its ingestion instead of finding nothing.
  auto early = client.post_json("/v1/search", R"({"query":"quokka lot","file_ids":[")" + id + "\"]}", bearer(key()));
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_NE(early.body.find("quokka lot"), std::string::npos);
  auto done = wait_done(id, key());
  ASSERT_EQ(done.at("status"), "processed") << json::serialize(done);
  EXPECT_GE(done.at("chunk_count").as_int64(), 1);

  for (const char* mode : {"hybrid", "text", "semantic"}) {
    auto res = client.post_json("/v1/search",
                                std::string(R"({"query":"where do visitors park","mode":")") + mode + "\"}",
                                bearer(key()));
    ASSERT_EQ(res.status, 200) << res.body;
    auto data = res.json().at("data").as_array();
    ASSERT_FALSE(data.empty()) << mode;
    EXPECT_NE(str(data[0].at("text")).find("quokka lot"), std::string::npos) << mode << ": " << res.body;
    EXPECT_EQ(str(data[0].at("file_id")), id);
    EXPECT_EQ(data[0].at("filename"), "handbook.md");
    EXPECT_EQ(data[0].at("page"), 1);
    EXPECT_EQ(data[0].at("section"), "Handbook > Parking");
    // The files in scope still being ingested (not this one any more) are listed.
    const auto& pending = res.json().at("pending_file_ids").as_array();
    EXPECT_EQ(std::find(pending.begin(), pending.end(), json::value(id)), pending.end());
  }
  auto content = client.get("/v1/files/" + id + "/content", bearer(key()));
  EXPECT_EQ(content.status, 200);
  EXPECT_NE(content.body.find("quokka"), std::string::npos);
  EXPECT_NE(content.header("content-disposition").find("handbook.md"), std::string::npos);
}

TEST_F(KnowledgeTest, PdfPagesAreKeptOnEveryHit) {
  const std::string pdf = read_test_data("pdf-sample-files/004-pdflatex-4-pages/pdflatex-4-pages.pdf");
  ASSERT_FALSE(pdf.empty());
  auto up = upload("four.pdf", pdf, key());
  ASSERT_EQ(up.status, 200) << up.body;
  std::string id = str(up.json().at("id"));
  auto done = wait_done(id, key());
  ASSERT_EQ(done.at("status"), "processed") << json::serialize(done);
  EXPECT_EQ(done.at("pages"), 4);
  auto res = client.post_json("/v1/search", R"({"query":"blind text","limit":20,"file_ids":[")" + id + "\"]}",
                              bearer(key()));
  ASSERT_EQ(res.status, 200) << res.body;
  std::set<int64_t> pages;
  auto results = res.json();
  for (const auto& h : results.at("data").as_array()) {
    EXPECT_EQ(str(h.at("file_id")), id);
    pages.insert(h.at("page").as_int64());
  }
  EXPECT_GE(pages.size(), 2u) << "hits should come from several pages of the 4-page PDF";
  for (int64_t p : pages) EXPECT_TRUE(p >= 1 && p <= 4);
}

TEST_F(KnowledgeTest, HostileAndBrokenFilesGetClearErrorsAndNothingBreaks) {
  auto empty = upload("empty.txt", "", key());
  EXPECT_EQ(empty.status, 400) << empty.body;
  EXPECT_EQ(empty.json().at("error").at("code"), "INVALID_FORMAT");

  auto binary = upload("data.bin",
                       std::string("\x7f"
                                   "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0",
                                   20) +
                           std::string(500, '\0'),
                       key());
  EXPECT_EQ(binary.status, 400) << binary.body;

  // A lying extension: PDF bytes named .txt are read as a PDF (and a broken one fails clearly).
  auto liar = upload("notes.txt", "%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n", key());
  ASSERT_EQ(liar.status, 200) << liar.body;
  EXPECT_EQ(liar.json().at("docent").at("source_type"), "pdf");
  auto failed = wait_done(str(liar.json().at("id")), key());
  EXPECT_EQ(failed.at("status"), "failed");
  EXPECT_NE(str(failed.at("status_reason")).find("PDF"), std::string::npos) << json::serialize(failed);
  // Asking about a file that could not be read says so, rather than answering from nothing.
  auto not_ready = client.post_json("/v1/search",
                                    R"({"query":"anything","file_ids":[")" + str(liar.json().at("id")) + "\"]}",
                                    bearer(key()));
  EXPECT_EQ(not_ready.status, 409) << not_ready.body;
  EXPECT_EQ(not_ready.json().at("error").at("code"), "NOT_READY");

  {
    const std::string pdf = read_test_data(
        "pdf-sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf");
    ASSERT_FALSE(pdf.empty());
    auto locked = upload("locked.pdf", pdf, key());
    ASSERT_EQ(locked.status, 200);
    auto st = wait_done(str(locked.json().at("id")), key());
    EXPECT_EQ(st.at("status"), "failed");
    EXPECT_NE(str(st.at("status_reason")).find("password"), std::string::npos);
  }

  auto not_multipart = client.post_json("/v1/files", R"({"file":"x"})", bearer(key()));
  EXPECT_EQ(not_multipart.status, 415);
  auto no_file = client.request("POST", "/v1/files", multipart_body("bb", {{"purpose", "", "", "assistants"}}),
                                {{"Authorization", "Bearer " + key()},
                                 {"Content-Type", "multipart/form-data; boundary=bb"}});
  EXPECT_EQ(no_file.status, 400);
  auto no_purpose = client.request("POST", "/v1/files", multipart_body("bb", {{"file", "a.txt", "", "some text"}}),
                                   {{"Authorization", "Bearer " + key()},
                                    {"Content-Type", "multipart/form-data; boundary=bb"}});
  EXPECT_EQ(no_purpose.status, 400);
  EXPECT_EQ(no_purpose.json().at("error").at("param"), "purpose");
  EXPECT_EQ(client.get("/health").status, 200);
}

TEST_F(KnowledgeTest, HtmlPagesAreReadWithoutTheirScripts) {
  auto up = upload("page.html",
                   "<!doctype html><html><head><title>Garden</title><script>var secret='tamarin';</script>"
                   "<style>p{color:red}</style></head><body><h1>Garden</h1><h2>Soil</h2>"
                   "<p>Mulch keeps the soil &amp; roots of the capybara garden moist.</p></body></html>",
                   key());
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json().at("docent").at("source_type"), "html");
  std::string id = str(up.json().at("id"));
  ASSERT_EQ(wait_done(id, key()).at("status"), "processed");
  auto res = client.post_json("/v1/search", R"({"query":"capybara garden soil","file_ids":[")" + id + "\"]}",
                              bearer(key()));
  ASSERT_EQ(res.status, 200);
  EXPECT_NE(res.body.find("soil & roots"), std::string::npos) << res.body;
  EXPECT_NE(res.body.find("Garden > Soil"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("tamarin"), std::string::npos) << "script text must not be indexed";
}

TEST_F(KnowledgeTest, OversizedUploadIs413) {
  std::string big(21 * 1024 * 1024, 'a');
  auto res = upload("big.txt", big, key());
  EXPECT_EQ(res.status, 413) << res.body.substr(0, 200);
  EXPECT_EQ(client.get("/health").status, 200);
}

TEST_F(KnowledgeTest, FoldersFiltersAndOwnership) {
  auto parent = client.post_json("/v1/folders", R"({"name":"Policies"})", bearer(key()));
  ASSERT_EQ(parent.status, 201) << parent.body;
  std::string parent_id = str(parent.json().at("id"));
  auto child = client.post_json("/v1/folders", R"({"name":"HR","parent_id":")" + parent_id + "\"}", bearer(key()));
  ASSERT_EQ(child.status, 201);
  std::string child_id = str(child.json().at("id"));
  EXPECT_EQ(client.post_json("/v1/folders", R"({"name":"HR","parent_id":")" + parent_id + "\"}", bearer(key())).status,
            409);

  auto in_child = upload("leave.md", "# Leave\n\nEmployees accrue pangolin days monthly.\n", key(),
                         {{"folder_id", "", "", "Policies/HR"}, {"tags", "", "", "hr,2025"}});
  ASSERT_EQ(in_child.status, 200) << in_child.body;
  std::string child_file = str(in_child.json().at("id"));
  EXPECT_EQ(str(in_child.json().at("docent").at("folder_id")), child_id);
  auto elsewhere = upload("other.md", "# Other\n\nPangolin days are also mentioned here.\n", key());
  std::string other_file = str(elsewhere.json().at("id"));
  wait_done(child_file, key());
  wait_done(other_file, key());

  auto search = [&](const std::string& extra) {
    auto res = client.post_json("/v1/search", R"({"query":"pangolin days")" + extra + "}", bearer(key()));
    EXPECT_EQ(res.status, 200) << res.body;
    std::set<std::string> files;
    auto results = res.json();
    for (const auto& h : results.at("data").as_array()) files.insert(str(h.at("file_id")));
    return files;
  };
  EXPECT_TRUE(search("").count(other_file));
  auto with_sub = search(R"(,"folder_ids":[")" + parent_id + R"("],"include_subfolders":true)");
  EXPECT_TRUE(with_sub.count(child_file));
  EXPECT_FALSE(with_sub.count(other_file));
  EXPECT_TRUE(search(R"(,"folder_ids":[")" + parent_id + R"("],"include_subfolders":false)").empty());
  auto tagged = search(R"(,"tags":["hr"])");
  EXPECT_TRUE(tagged.count(child_file));
  EXPECT_FALSE(tagged.count(other_file));
  auto pdf_only = search(R"(,"source_types":["pdf"])");
  EXPECT_FALSE(pdf_only.count(child_file) || pdf_only.count(other_file)) << "markdown files pass a pdf-only filter";
  EXPECT_TRUE(search(R"(,"source_types":["docx"])").empty());

  // Another account sees none of it, and its ids are 404.
  auto made = client.post_json("/v1/accounts", R"({"login":"kb-stranger","password":"stranger-pass"})", bearer(key()));
  ASSERT_EQ(made.status, 201);
  auto login = client.post_json("/v1/auth/login", R"({"login":"kb-stranger","password":"stranger-pass"})");
  std::string stranger = str(login.json().at("api_key").at("key"));
  EXPECT_EQ(client.get("/v1/files/" + child_file, bearer(stranger)).status, 404);
  EXPECT_EQ(client.get("/v1/files/" + child_file + "/content", bearer(stranger)).status, 404);
  EXPECT_EQ(client.request("DELETE", "/v1/files/" + child_file, {}, bearer(stranger)).status, 404);
  EXPECT_EQ(client.get("/v1/folders/" + parent_id, bearer(stranger)).status, 404);
  EXPECT_EQ(client.request("DELETE", "/v1/folders/" + parent_id, {}, bearer(stranger)).status, 404);
  auto theirs = client.post_json("/v1/search", R"({"query":"pangolin days"})", bearer(stranger));
  EXPECT_TRUE(theirs.json().at("data").as_array().empty()) << theirs.body;
  EXPECT_EQ(
      client.post_json("/v1/search", R"({"query":"x","file_ids":[")" + child_file + "\"]}", bearer(stranger)).status,
      404);

  // Deleting the parent folder deletes the subtree and its files.
  EXPECT_EQ(client.request("DELETE", "/v1/folders/" + parent_id, {}, bearer(key())).status, 200);
  EXPECT_EQ(client.get("/v1/folders/" + child_id, bearer(key())).status, 404);
  EXPECT_EQ(client.get("/v1/files/" + child_file, bearer(key())).status, 404);
  EXPECT_FALSE(search("").count(child_file));
}

TEST_F(KnowledgeTest, ProgressEventsEndWithDone) {
  auto up = upload("events.md", "# Events\n\nA short file to watch being ingested.\n", key());
  ASSERT_EQ(up.status, 200);
  std::string id = str(up.json().at("id"));
  std::string out = client.raw_until("GET /v1/files/" + id + "/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                                         key() + "\r\n\r\n",
                                     "event: done", std::chrono::milliseconds(20000));
  client.close_raw();
  EXPECT_NE(out.find("text/event-stream"), std::string::npos) << out;
  EXPECT_NE(out.find("event: done"), std::string::npos) << out;
  EXPECT_NE(out.find("\"status\":\"processed\""), std::string::npos);
}

TEST_F(KnowledgeTest, VectorStoresInOpenAIsShapes) {
  auto a = upload("owls.md", "# Owls\n\nThe barn owl hunts voles at night.\n", key());
  auto b = upload("bats.md", "# Bats\n\nFruit bats roost in caves by day.\n", key());
  std::string id_a = str(a.json().at("id")), id_b = str(b.json().at("id"));
  wait_done(id_a, key());
  wait_done(id_b, key());

  auto made = client.post_json("/v1/vector_stores", R"({"name":"Night animals","file_ids":[")" + id_a + R"("]})",
                               bearer(key()));
  ASSERT_EQ(made.status, 200) << made.body;
  auto vs = made.json().as_object();
  EXPECT_EQ(vs.at("object"), "vector_store");
  EXPECT_EQ(vs.at("name"), "Night animals");
  EXPECT_EQ(vs.at("file_counts").at("completed"), 1);
  EXPECT_EQ(vs.at("file_counts").at("total"), 1);
  EXPECT_EQ(vs.at("status"), "completed");
  std::string vs_id = str(vs.at("id"));

  // A file may belong to several stores.
  auto second = client.post_json("/v1/vector_stores",
                                 R"({"name":"All","file_ids":[")" + id_a + R"(",")" + id_b + R"("]})", bearer(key()));
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.json().at("file_counts").at("total"), 2);

  auto search = client.post_json("/v1/vector_stores/" + vs_id + "/search",
                                 R"({"query":"who roosts in caves","max_num_results":5})", bearer(key()));
  ASSERT_EQ(search.status, 200) << search.body;
  auto page = search.json().as_object();
  EXPECT_EQ(page.at("object"), "vector_store.search_results.page");
  for (const auto& hit : page.at("data").as_array()) {
    EXPECT_EQ(str(hit.at("file_id")), id_a) << "only the store's files are searched";
    EXPECT_EQ(hit.at("content").at(0).at("type"), "text");
    EXPECT_EQ(hit.at("attributes").at("page"), 1);
  }
  auto added = client.post_json("/v1/vector_stores/" + vs_id + "/files", R"({"file_id":")" + id_b + "\"}",
                                bearer(key()));
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_EQ(added.json().at("object"), "vector_store.file");
  EXPECT_EQ(added.json().at("status"), "completed");
  auto found = client.post_json("/v1/vector_stores/" + vs_id + "/search", R"({"query":"fruit bats roost in caves"})",
                                bearer(key()));
  EXPECT_NE(found.body.find("caves"), std::string::npos) << found.body;
  // The query may be an array of strings, searched as one text.
  auto joined = client.post_json("/v1/vector_stores/" + vs_id + "/search",
                                 R"({"query":["fruit bats","roost in caves"]})", bearer(key()));
  ASSERT_EQ(joined.status, 200) << joined.body;
  EXPECT_EQ(joined.json().at("search_query"), found.json().at("search_query"));
  EXPECT_NE(joined.body.find("caves"), std::string::npos) << joined.body;
  EXPECT_EQ(
      client.post_json("/v1/vector_stores/" + vs_id + "/search", R"({"query":["caves",5]})", bearer(key())).status,
      400);
  EXPECT_EQ(client.get("/v1/vector_stores/" + vs_id + "/files", bearer(key())).json().at("data").as_array().size(), 2u);
  EXPECT_EQ(client.request("DELETE", "/v1/vector_stores/" + vs_id + "/files/" + id_b, {}, bearer(key())).status, 200);
  EXPECT_EQ(client.get("/v1/vector_stores/" + vs_id + "/files/" + id_b, bearer(key())).status, 404);
  auto listed = client.get("/v1/vector_stores", bearer(key())).json().as_object();
  EXPECT_EQ(listed.at("object"), "list");
  EXPECT_GE(listed.at("data").as_array().size(), 2u);
  EXPECT_EQ(client.post_json("/v1/vector_stores", R"({"file_ids":["no-such-file"]})", bearer(key())).status, 404);
  EXPECT_EQ(client.post_json("/v1/vector_stores/" + vs_id + "/search", R"({"query":5})", bearer(key())).status, 400);
  EXPECT_EQ(client.request("DELETE", "/v1/vector_stores/" + vs_id, {}, bearer(key())).json().at("deleted"), true);
  EXPECT_EQ(client.get("/v1/vector_stores/" + vs_id, bearer(key())).status, 404);
}

TEST(KnowledgeRestart, IngestionResumesAfterKillNine) {
  TempDir data;
  std::string key, id;
  {
    ServerProcess server({.data_dir = data.path() / "d"});
    key = server.admin_key();
    HttpClient c(server.port());
    std::string text = "# Big\n\n";
    for (int i = 0; i < 3000; ++i) text += "Paragraph " + std::to_string(i) + " mentions the narwhal archive.\n\n";
    auto up = c.request("POST", "/v1/files",
                        multipart_body("kk", {{"purpose", "", "", "assistants"}, {"file", "big.md", "", text}}),
                        {{"Authorization", "Bearer " + key}, {"Content-Type", "multipart/form-data; boundary=kk"}});
    ASSERT_EQ(up.status, 200) << up.body;
    id = str(up.json().at("id"));
    server.stop(SIGKILL);  // at once: the job is queued or running, never finished
  }
  ServerProcess again({.data_dir = data.path() / "d"});
  HttpClient c(again.port());
  std::string status;
  for (int i = 0; i < 600 && status != "processed" && status != "failed"; ++i) {
    status = str(c.get("/v1/files/" + id, bearer(key)).json().at("docent").at("status"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, "processed");
  auto res = c.post_json("/v1/search", R"({"query":"narwhal archive"})", bearer(key));
  EXPECT_FALSE(res.json().at("data").as_array().empty());
}

}  // namespace
}  // namespace docent::testing
