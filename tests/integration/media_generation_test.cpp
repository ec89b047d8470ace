// SphereChat's media generation against the real binary (docs/GENERATION.md): voice from the
// built-in synthesiser; images, video and music from a loopback stand-in for each upstream
// (tests/integration/fake_generation_upstream.py), each file checked before it is kept; without
// a generator the request is 503 naming the setting, never a placeholder file.

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::object wait_job(HttpClient& c, const std::string& key, const std::string& id) {
  json::object last;
  for (int i = 0; i < 1200; ++i) {
    auto res = c.get("/api/generate/jobs/" + id, bearer(key));
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) return last;
    last = res.json().as_object();
    if (last.at("status") != "queued" && last.at("status") != "running") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "job " << id << " never finished";
  return last;
}

// Starts a generation (202) and waits for its end.
json::object generate(HttpClient& c, const std::string& key, const std::string& path, const json::object& body) {
  auto res = c.post_json(path, json::serialize(body), bearer(key));
  EXPECT_EQ(res.status, 202) << res.body;
  if (res.status != 202) return {};
  EXPECT_EQ(res.json().at("success"), true);
  return wait_job(c, key, str(res.json().at("jobId")));
}

void expect_error(const HttpResponse& res, int status, const std::string& field_or_setting) {
  EXPECT_EQ(res.status, status) << res.body;
  auto body = res.json();
  EXPECT_EQ(body.at("success"), false) << res.body;
  EXPECT_THAT(res.body, HasSubstr(field_or_setting));
}

class MediaGenerationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    log_ = dir_->path() / "generation.log";
    const auto port_file = dir_->path() / "port";
    auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                                 "/tests/integration/fake_generation_upstream.py' '" + log_.string() + "' > '" +
                                 port_file.string() + "' & echo $!");
    ASSERT_EQ(code, 0);
    fake_pid_ = std::stoi(out);
    std::string port;
    for (int i = 0; i < 400 && port.empty(); ++i) {
      std::ifstream in(port_file);
      std::getline(in, port);
      if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ASSERT_FALSE(port.empty());
    const std::string base = "http://127.0.0.1:" + port + "/v1";
    server_ = new ServerProcess({.env = {{"DOCENT_GENERATION_IMAGE_URL", base},
                                         {"DOCENT_GENERATION_IMAGE_MODEL", "pixel-1"},
                                         {"DOCENT_GENERATION_VIDEO_URL", base},
                                         {"DOCENT_GENERATION_MUSIC_URL", base},
                                         {"DOCENT_LIMITS_SPHERECHAT_GENERATION", "off"}}});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    if (fake_pid_ > 0) ::kill(fake_pid_, SIGTERM);
    delete dir_;
    dir_ = nullptr;
  }
  std::string key() const { return server_->admin_key(); }
  std::string logged() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static TempDir* dir_;
  static std::filesystem::path log_;
  static int fake_pid_;
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
TempDir* MediaGenerationTest::dir_ = nullptr;
std::filesystem::path MediaGenerationTest::log_;
int MediaGenerationTest::fake_pid_ = 0;
ServerProcess* MediaGenerationTest::server_ = nullptr;

TEST_F(MediaGenerationTest, ImagesComeFromTheUpstreamAndAreCheckedBeforeTheyAreKept) {
  auto done = generate(client, key(), "/api/generate/image", {{"prompt", "a red lighthouse"}, {"n", 2}});
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("type"), "image");
  EXPECT_EQ(done.at("message"), "Image ready");
  EXPECT_EQ(done.at("engine"), "generation.image_url");
  EXPECT_EQ(done.at("model"), "pixel-1") << "the setting's model when the request names none";
  EXPECT_EQ(done.at("revisedPrompt"), "a detailed a red lighthouse");
  const auto& files = done.at("files").as_array();
  ASSERT_EQ(files.size(), 2u);
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ(files[i].at("mimeType"), "image/png");
    auto res = client.get(str(files[i].at("downloadUrl")), bearer(key()));
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("content-type"), "image/png");
    EXPECT_TRUE(res.body.starts_with("\x89PNG")) << i;
    EXPECT_EQ(static_cast<int64_t>(res.body.size()), files[i].at("fileSize").as_int64());
  }
  EXPECT_EQ(client.get("/api/generate/jobs/" + str(done.at("jobId")) + "/download?index=2", bearer(key())).status, 400);
  const std::string log = logged();
  EXPECT_THAT(log, HasSubstr("\"response_format\":\"b64_json\""));
  EXPECT_THAT(log, HasSubstr("\"model\":\"pixel-1\""));

  // A server that refuses response_format (it always answers base64) is asked again without it.
  auto strict = generate(client, key(), "/api/generate/image", {{"prompt", "strict tulips"}});
  EXPECT_EQ(strict.at("status"), "completed") << json::serialize(strict);

  // A URL is not fetched; text is not an image: the job fails and keeps nothing.
  auto url = generate(client, key(), "/api/generate/image", {{"prompt", "url-only please"}});
  ASSERT_EQ(url.at("status"), "failed") << json::serialize(url);
  EXPECT_THAT(str(url.at("error")), HasSubstr("URLs are not fetched"));
  auto text = generate(client, key(), "/api/generate/image", {{"prompt", "not-an-image"}});
  ASSERT_EQ(text.at("status"), "failed") << json::serialize(text);
  EXPECT_THAT(str(text.at("error")), HasSubstr("not an image"));
  EXPECT_EQ(client.get("/api/generate/jobs/" + str(text.at("jobId")) + "/download", bearer(key())).status, 409);
}

TEST_F(MediaGenerationTest, AVideoIsCreatedPolledAndFetched) {
  auto done = generate(client, key(), "/api/generate/video", {{"prompt", "waves on a beach"}, {"seconds", 8}});
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("type"), "video");
  ASSERT_EQ(done.at("files").as_array().size(), 1u);
  auto res = client.get(str(done.at("downloadUrl")), bearer(key()));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "video/mp4");
  EXPECT_EQ(res.body.substr(4, 4), "ftyp");
  EXPECT_THAT(logged(), HasSubstr("\"seconds\":\"8\"")) << "OpenAI's video API takes seconds as a string";

  auto failed = generate(client, key(), "/api/generate/video", {{"prompt", "please fail"}});
  ASSERT_EQ(failed.at("status"), "failed") << json::serialize(failed);
  EXPECT_THAT(str(failed.at("error")), HasSubstr("the prompt was refused"));
}

TEST_F(MediaGenerationTest, MusicIsTheUpstreamsAudioTypedByItsBytes) {
  auto done = generate(client, key(), "/api/generate/music", {{"prompt", "a calm piano"}, {"duration", 30}});
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  const auto& file = done.at("files").as_array().at(0);
  EXPECT_EQ(file.at("mimeType"), "audio/wav");
  auto res = client.get(str(done.at("downloadUrl")), bearer(key()));
  ASSERT_EQ(res.status, 200);
  EXPECT_TRUE(res.body.starts_with("RIFF"));
  EXPECT_THAT(logged(), HasSubstr("\"duration\":30"));
  auto silent = generate(client, key(), "/api/generate/music", {{"prompt", "silence"}});
  ASSERT_EQ(silent.at("status"), "failed") << json::serialize(silent);
  EXPECT_THAT(str(silent.at("error")), HasSubstr("not audio"));
}

TEST_F(MediaGenerationTest, VoiceIsSpokenByTheBuiltInSynthesiser) {
  auto done = generate(client, key(), "/api/generate/voice", {{"text", "Hello world"}, {"format", "wav"}});
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("engine"), "espeak-ng");
  auto res = client.get(str(done.at("downloadUrl")), bearer(key()));
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "audio/wav");
  EXPECT_TRUE(res.body.starts_with("RIFF"));
  EXPECT_GT(res.body.size(), 8000u) << "about a second of speech";
}

TEST_F(MediaGenerationTest, BadRequestsAreRefusedNamingTheField) {
  auto post = [&](const std::string& path, const std::string& body) {
    return client.post_json(path, body, bearer(key()));
  };
  expect_error(post("/api/generate/image", "{}"), 400, "prompt");
  expect_error(post("/api/generate/image", R"({"prompt": "  "})"), 400, "prompt");
  expect_error(post("/api/generate/image", R"({"prompt": 7})"), 400, "prompt");
  expect_error(post("/api/generate/image", R"({"prompt": "x", "n": 9})"), 400, "n");
  expect_error(post("/api/generate/image", R"({"prompt": "x", "size": "huge"})"), 400, "size");
  expect_error(post("/api/generate/image", "[1, 2"), 400, "");
  expect_error(post("/api/generate/image", json::serialize(json::object{{"prompt", std::string(4001, 'a')}})), 400,
               "prompt");
  expect_error(post("/api/generate/video", R"({"prompt": "x", "seconds": 600})"), 400, "seconds");
  expect_error(post("/api/generate/music", R"({"prompt": "x", "format": "pcm"})"), 400, "format");
  expect_error(post("/api/generate/voice", "{}"), 400, "text");
  expect_error(post("/api/generate/voice", R"({"text": "hi", "language": "xx"})"), 400, "language");
  expect_error(post("/api/generate/voice", json::serialize(json::object{{"text", std::string(5001, 'a')}})), 400,
               "text");
  // Another account's job is as missing as a job that never was.
  auto mine = generate(client, key(), "/api/generate/voice", {{"text", "mine"}});
  const std::string other = create_user_key(client, key(), "generation-other");
  EXPECT_EQ(client.get("/api/generate/jobs/" + str(mine.at("jobId")), bearer(other)).status, 404);
  EXPECT_EQ(client.get("/api/generate/jobs/" + str(mine.at("jobId")) + "/download", bearer(other)).status, 404);
}

// Without a generator configured the request is refused at once, naming the setting.
TEST(MediaGenerationUnconfigured, EachKindNamesItsSetting) {
  ServerProcess server;
  HttpClient c(server.port());
  for (auto [kind, setting] : {std::pair{"image", "generation.image_url"}, std::pair{"video", "generation.video_url"},
                               std::pair{"music", "generation.music_url"}}) {
    SCOPED_TRACE(kind);
    auto res = c.post_json(std::string("/api/generate/") + kind, R"({"prompt": "anything"})",
                           bearer(server.admin_key()));
    expect_error(res, 503, setting);
  }
}

}  // namespace
}  // namespace docent::testing
