// SphereChat's presentation generation against the real binary: jobs queued, polled and
// downloaded; decks outlined from documents by the built-in engine, from an outline as given, and
// by a model upstream on loopback (tests/integration/fake_json_upstream.py); every file read back
// by tests/integration/read_pptx.py, and one opened by LibreOffice (converted to PDF, whose text
// pdftotext reads).

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

const std::string kHandbook =
    "# Solar energy\n\n"
    "Photovoltaic panels convert sunlight directly into electricity using semiconductor cells. "
    "Rooftop installations in Lisbon produced 1,450 kilowatt hours per installed kilowatt last year. "
    "Panel prices fell by eighty percent during the previous decade.\n\n"
    "## Storage\n\n"
    "Lithium batteries store surplus midday generation for evening demand. "
    "A household battery of ten kilowatt hours covers most evening consumption. "
    "Battery degradation reduces usable capacity by about two percent each year.\n\n"
    "# Wind energy\n\n"
    "Offshore turbines reach capacity factors above forty percent on the Atlantic coast. "
    "Turbine blades longer than one hundred metres need special transport permits. "
    "Maintenance crews reach offshore turbines by boat or helicopter.\n";

class GenerationTest : public ::testing::Test {
 protected:
  HttpResponse post(const std::string& path, const std::string& body, const std::string& key) {
    return client().post_json(path, body, bearer(key));
  }

  std::string upload(const std::string& key, const std::string& name, const std::string& bytes) {
    auto res = client().request(
        "POST", "/v1/files",
        multipart_body("g3n", {{"purpose", "", "", "assistants"}, {"file", name, "text/markdown", bytes}}),
        {{"Authorization", "Bearer " + key}, {"Content-Type", "multipart/form-data; boundary=g3n"}});
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) return {};
    std::string id = str(res.json().at("id"));
    for (int i = 0; i < 600; ++i) {
      auto f = client().get("/v1/files/" + id, bearer(key));
      auto status = f.json().at("docent").at("status");
      if (status == "processed") return id;
      if (status == "failed") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the upload was never processed";
    return {};
  }

  // Polls the job until it leaves queued/running (bounded).
  json::object wait_job(const std::string& id, const std::string& key) {
    for (int i = 0; i < 1200; ++i) {
      auto res = client().get("/api/generate/jobs/" + id, bearer(key));
      EXPECT_EQ(res.status, 200) << res.body;
      if (res.status != 200) return {};
      json::object o = res.json().as_object();
      if (o.at("status") != "queued" && o.at("status") != "running") return o;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "job " << id << " never finished";
    return {};
  }

  // Starts a generation, waits for it, and returns the finished job.
  json::object generate(const std::string& body, const std::string& key) {
    auto res = post("/api/generate/presentation", body, key);
    EXPECT_EQ(res.status, 202) << res.body;
    if (res.status != 202) return {};
    json::value started = res.json();
    EXPECT_EQ(started.at("success"), true);
    // A worker may take the job (and even finish it) before the 202 is written: any status word.
    const std::string status = str(started.at("status"));
    EXPECT_TRUE(status == "queued" || status == "running" || status == "completed" || status == "failed") << res.body;
    EXPECT_EQ(started.at("type"), "presentation");
    return wait_job(str(started.at("jobId")), key);
  }

  // Downloads a completed job's file into the temp folder and reads it back.
  json::value read_deck(const json::object& job, const std::string& key, std::filesystem::path* saved = nullptr) {
    auto res = client().get(str(job.at("downloadUrl")), bearer(key));
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("content-type"), "application/vnd.openxmlformats-officedocument.presentationml.presentation");
    EXPECT_THAT(res.header("content-disposition"), HasSubstr(".pptx"));
    std::filesystem::path file = dir_.path() / (str(job.at("jobId")) + ".pptx");
    std::ofstream(file, std::ios::binary) << res.body;
    if (saved != nullptr) *saved = file;
    auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                                 "/tests/integration/read_pptx.py' '" + file.string() + "'");
    EXPECT_EQ(code, 0) << out;
    return code == 0 ? json::parse(out) : json::value(json::object{});
  }

  virtual ServerProcess& server() = 0;
  HttpClient& client() {
    if (!client_) client_ = std::make_unique<HttpClient>(server().port());
    return *client_;
  }

  TempDir dir_;
  std::unique_ptr<HttpClient> client_;
};

class BuiltinGenerationTest : public GenerationTest {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  ServerProcess& server() override { return *server_; }
  std::string admin() const { return server_->admin_key(); }
  static ServerProcess* server_;
};
ServerProcess* BuiltinGenerationTest::server_ = nullptr;

TEST_F(BuiltinGenerationTest, ADeckFromADocumentHasASlidePerSectionCitingIt) {
  std::string file = upload(admin(), "energy.md", kHandbook);
  ASSERT_FALSE(file.empty());
  json::object job = generate(R"({"fileIds": [")" + file + R"("], "title": "Renewable energy"})", admin());
  ASSERT_EQ(job.at("status"), "completed") << json::serialize(job);
  EXPECT_EQ(job.at("engine"), "built-in");
  EXPECT_EQ(job.at("slides"), 3);
  EXPECT_EQ(job.at("fileName"), "renewable-energy.pptx");
  EXPECT_GT(job.at("fileSize").as_int64(), 1000);
  EXPECT_EQ(job.at("progress").at("stage"), "writing");
  EXPECT_FALSE(job.at("completedAt").is_null());

  std::filesystem::path saved;
  json::value deck = read_deck(job, admin(), &saved);
  const json::array& slides = deck.at("slides").as_array();
  ASSERT_EQ(slides.size(), 4u);
  EXPECT_EQ(slides[0].at("title"), "Renewable energy");
  EXPECT_EQ(slides[1].at("title"), "Solar energy");
  EXPECT_EQ(slides[2].at("title"), "Solar energy > Storage");
  EXPECT_EQ(slides[3].at("title"), "Wind energy");
  // Every bullet is a sentence of the document, and the notes say where it came from.
  for (size_t i = 1; i < slides.size(); ++i) {
    ASSERT_FALSE(slides[i].at("lines").as_array().empty());
    for (const auto& line : slides[i].at("lines").as_array()) EXPECT_THAT(kHandbook, HasSubstr(str(line)));
    EXPECT_THAT(str(slides[i].at("notes")), HasSubstr("energy.md"));
  }
  EXPECT_THAT(json::serialize(slides[2].at("lines")), HasSubstr("Lithium batteries"));

  // LibreOffice opens it: converted to PDF, the slide titles are in its text.
  std::filesystem::path pdf = saved;
  pdf.replace_extension(".pdf");
  auto [code, out] = run_shell("cd '" + dir_.path().string() + "' && HOME='" + dir_.path().string() +
                               "' timeout 180 soffice --headless --norestore --convert-to pdf '" + saved.string() +
                               "' >/dev/null && pdftotext '" + pdf.string() + "' -");
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("Renewable energy"));
  EXPECT_THAT(out, HasSubstr("Wind energy"));
  EXPECT_THAT(out, HasSubstr("Offshore turbines"));
}

TEST_F(BuiltinGenerationTest, AnOutlineIsWrittenAsGiven) {
  json::object job = generate(R"({"outline": {"title": "Plan", "subtitle": "Q3", "slides": [
      {"title": "Goals", "bullets": ["Ship <v2> & docs", "Hire two"], "notes": "Agreed on Monday"},
      {"title": "Risks"}]}})",
                              admin());
  ASSERT_EQ(job.at("status"), "completed") << json::serialize(job);
  EXPECT_EQ(job.at("engine"), "outline");
  json::value deck = read_deck(job, admin());
  const json::array& slides = deck.at("slides").as_array();
  ASSERT_EQ(slides.size(), 3u);
  EXPECT_EQ(slides[0].at("lines"), json::array({"Q3"}));
  EXPECT_EQ(slides[1].at("title"), "Goals");
  EXPECT_EQ(slides[1].at("lines"), json::array({"Ship <v2> & docs", "Hire two"}));
  EXPECT_EQ(slides[1].at("notes"), "Agreed on Monday");
  EXPECT_EQ(slides[2].at("title"), "Risks");
}

TEST_F(BuiltinGenerationTest, APromptIsSearchedForInTheCallersDocuments) {
  std::string key = create_user_key(client(), admin(), "prompter");
  ASSERT_FALSE(upload(key, "energy.md", kHandbook).empty());
  json::object found = generate(R"({"prompt": "offshore turbines maintenance", "maxSlides": 2})", key);
  ASSERT_EQ(found.at("status"), "completed") << json::serialize(found);
  EXPECT_LE(found.at("slides").as_int64(), 2);
  EXPECT_THAT(json::serialize(read_deck(found, key)), HasSubstr("turbines"));

  // Nothing of the caller's matches and there is no model: the job fails saying what would do.
  std::string other = create_user_key(client(), admin(), "empty-handed");
  json::object failed = generate(R"({"prompt": "offshore turbines"})", other);
  ASSERT_EQ(failed.at("status"), "failed") << json::serialize(failed);
  EXPECT_THAT(str(failed.at("error")), HasSubstr("llm.url"));
  auto download = client().get("/api/generate/jobs/" + str(failed.at("jobId")) + "/download", bearer(other));
  EXPECT_EQ(download.status, 409);
  EXPECT_EQ(download.json().at("success"), false);
}

TEST_F(BuiltinGenerationTest, BadRequestsAndOtherAccountsJobs) {
  auto expect_400 = [&](const std::string& body, const std::string& field_hint) {
    auto res = post("/api/generate/presentation", body, admin());
    EXPECT_EQ(res.status, 400) << body << " -> " << res.body;
    if (res.status != 400) return;
    json::value v = res.json();
    EXPECT_EQ(v.at("success"), false);
    EXPECT_THAT(str(v.at("message")) + " " + str(v.at("error")), HasSubstr(field_hint)) << res.body;
  };
  expect_400("{not json", "JSON");
  expect_400("[1, 2]", "object");
  expect_400("{}", "prompt");
  expect_400(R"({"prompt": 7})", "prompt");
  expect_400(R"({"prompt": "x", "maxSlides": 0})", "max_slides");
  expect_400(R"({"prompt": "x", "max_slides": "ten"})", "max_slides");
  expect_400(R"({"fileIds": "abc"})", "file_ids");
  expect_400(R"({"outline": {"title": "T", "slides": [{"bullets": ["no title"]}]}})", "slides[0].title");
  expect_400(R"({"outline": {"title": "T", "slides": [{"title": "x", "bullets": [1]}]}})", "bullets");

  // Another account's file and job are not found, as missing ones are.
  std::string alice = create_user_key(client(), admin(), "alice-gen");
  std::string bob = create_user_key(client(), admin(), "bob-gen");
  std::string file = upload(alice, "energy.md", kHandbook);
  auto theirs = post("/api/generate/presentation", R"({"fileIds": [")" + file + R"("]})", bob);
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  EXPECT_EQ(theirs.json().at("success"), false);
  auto mine = post("/api/generate/presentation", R"({"fileIds": [")" + file + R"("]})", alice);
  ASSERT_EQ(mine.status, 202) << mine.body;
  std::string job = str(mine.json().at("jobId"));
  EXPECT_EQ(client().get("/api/generate/jobs/" + job, bearer(bob)).status, 404);
  EXPECT_EQ(client().get("/api/generate/jobs/" + job + "/download", bearer(bob)).status, 404);
  EXPECT_EQ(client().get("/api/generate/jobs/nope", bearer(alice)).status, 404);
  EXPECT_EQ(wait_job(job, alice).at("status"), "completed");
  EXPECT_EQ(client().get("/api/generate/jobs/" + job, {}).status, 401);

  // The seed's generation limit is on the POST route.
  EXPECT_EQ(mine.header("x-ratelimit-limit"), "50");
}

class ModelGenerationTest : public GenerationTest {
 protected:
  ServerProcess& server() override { return *server_; }
  void SetUp() override {
    upstream_ = std::make_unique<FakeJsonUpstream>(
        up_dir_.path(),
        R"(Here it is: ```{"title": "Energy, briefly", "subtitle": "", "slides": [{"title": "Sun", "bullets": )"
        R"(["Panels got cheaper [1]"], "notes": "From [1]."}, {"title": "Wind", "bullets": ["Offshore is steady"]}]}```)");
    server_ = std::make_unique<ServerProcess>(
        ServerOptions{.args = {"--llm-url", upstream_->url()}, .env = {{"DOCENT_LLM_ALLOW_PRIVATE", "true"}}});
  }
  TempDir up_dir_;
  std::unique_ptr<FakeJsonUpstream> upstream_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ModelGenerationTest, TheModelOutlinesAndItsCitationsAreNamed) {
  std::string file = upload(server_->admin_key(), "energy.md", kHandbook);
  ASSERT_FALSE(file.empty());
  json::object job = generate(R"({"fileIds": [")" + file + R"("], "prompt": "a short briefing"})",
                              server_->admin_key());
  ASSERT_EQ(job.at("status"), "completed") << json::serialize(job);
  EXPECT_EQ(job.at("engine"), "model");
  EXPECT_EQ(job.at("model"), "fake-json");
  json::value deck = read_deck(job, server_->admin_key());
  const json::array& slides = deck.at("slides").as_array();
  ASSERT_EQ(slides.size(), 3u);
  EXPECT_EQ(slides[0].at("title"), "Energy, briefly");
  EXPECT_EQ(slides[1].at("title"), "Sun");
  EXPECT_THAT(str(slides[1].at("notes")), HasSubstr("[1] energy.md"));
  EXPECT_EQ(slides[2].at("notes"), "");
  // The model was given the document's passages, numbered.
  EXPECT_THAT(upstream_->requests(), HasSubstr("Photovoltaic panels"));
  EXPECT_THAT(upstream_->requests(), HasSubstr("[1] (energy.md"));
}

}  // namespace
}  // namespace docent::testing
