// The nexus seed's image jobs against the real binary (issue 17, "Jobs" and "Images"):
// POST /api/process/image and /image-with-text answer a queued job at once; GET /api/status and
// GET /v1/jobs report it until it completes with fields measured from the image (drawn by the
// test, so the words, colours and size are known); hostile and wrong inputs get the seed's
// errors; another account's job is JOB_NOT_FOUND; a queued job survives a restart; a vision
// stand-in (fake_vision_upstream.py) fills what only a vision model can.

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/image_fixtures.h"
#include "support/server_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
using ::testing::Contains;
using ::testing::HasSubstr;

const images::Rgb kWhite{255, 255, 255}, kBlack{0, 0, 0}, kRed{220, 30, 30}, kBlue{30, 60, 220};

std::vector<std::string> names(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) out.emplace_back(e.as_string());
  return out;
}

HttpResponse post_image(HttpClient& c, const Headers& auth, const std::string& bytes, const std::string& filename,
                        const std::string& route = "/api/process/image", std::vector<MultipartPart> extra = {}) {
  std::vector<MultipartPart> parts{{"image", filename, "image/png", bytes}};
  for (auto& p : extra) parts.push_back(std::move(p));
  Headers h = auth;
  h.emplace_back("Content-Type", "multipart/form-data; boundary=imgb");
  return c.request("POST", route, multipart_body("imgb", parts), h);
}

// Polls /api/status until the job leaves queued/processing (the seed's client polls too).
json::object wait_for_job(HttpClient& c, const Headers& auth, const std::string& job_id,
                          std::vector<int>* progress_seen = nullptr) {
  json::object last;
  for (int i = 0; i < 3000; ++i) {
    auto res = c.get("/api/status/" + job_id, auth);
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) break;
    last = res.json().as_object();
    if (progress_seen) progress_seen->push_back(static_cast<int>(last.at("progress").as_int64()));
    const auto status = str(last.at("status"));
    if (status != "queued" && status != "processing") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "job " << job_id << " did not finish";
  return last;
}

class NexusMediaTest : public ::testing::Test {
 protected:
  // The seed's image limit (5/min) and global limit (100/hour, which every status poll counts
  // against) are tested in rate_limits_test; here they would only slow the suite down.
  static void SetUpTestSuite() {
    server_ = new ServerProcess({.env = {{"DOCENT_LIMITS_NEXUS_IMAGE", "off"}, {"DOCENT_LIMITS_NEXUS_GLOBAL", "off"}}});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Headers admin() const { return {{"X-API-Key", server_->admin_key()}}; }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* NexusMediaTest::server_ = nullptr;

TEST_F(NexusMediaTest, AnImageJobIsQueuedAtOnceAndCompletesWithMeasuredFields) {
  const std::string png = images::encode_image(images::draw_card(800, 400, "STOP", kRed, kWhite), "png");
  auto res = post_image(client, admin(), png, "sign.png");
  ASSERT_EQ(res.status, 200) << res.body;
  auto queued = res.json().as_object();
  EXPECT_EQ(queued.at("status"), "queued");
  EXPECT_EQ(queued.at("message"), "Image analysis started");
  const std::string id = str(queued.at("job_id"));
  EXPECT_TRUE(id.starts_with("img_")) << id;

  std::vector<int> progress;
  auto done = wait_for_job(client, admin(), id, &progress);
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("progress"), 100);
  EXPECT_EQ(done.at("type"), "image_analysis");
  EXPECT_TRUE(done.contains("created_at"));
  EXPECT_TRUE(done.contains("completed_at"));
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end())) << "progress never goes back";

  const auto& result = done.at("result").as_object();
  EXPECT_EQ(result.at("type"), "image_analysis");
  const auto& a = result.at("analysis").as_object();
  EXPECT_THAT(std::string(a.at("text_content").as_string()), HasSubstr("STOP"));
  auto colors = names(a.at("dominant_colors"));
  ASSERT_FALSE(colors.empty());
  EXPECT_EQ(colors.front(), "red");
  EXPECT_THAT(colors, Contains("white"));
  EXPECT_EQ(a.at("width"), 800);
  EXPECT_EQ(a.at("height"), 400);
  EXPECT_EQ(a.at("format"), "png");
  EXPECT_TRUE(a.at("objects").as_array().empty()) << "a card has no face in it";
  EXPECT_EQ(a.at("scene_type"), "");
  EXPECT_TRUE(a.at("emotions").as_array().empty());
  EXPECT_FALSE(a.at("suggestions").as_array().empty());
  EXPECT_TRUE(a.at("processing_time").is_number());
  EXPECT_EQ(a.at("vision").at("setting"), "vision.url") << "the result says which setting fills the rest";
  EXPECT_THAT(std::string(result.at("enhanced_image_base64").as_string()),
              ::testing::StartsWith("data:image/jpeg;base64,"));
  EXPECT_THAT(std::string(result.at("formatted_html").as_string()), HasSubstr("<div class='image-analysis-result'>"));

  // The native view of the same job.
  auto native = client.get("/v1/jobs/" + id, admin());
  ASSERT_EQ(native.status, 200) << native.body;
  EXPECT_EQ(native.json().at("object"), "job");
  EXPECT_EQ(native.json().at("status"), "succeeded");
  EXPECT_EQ(native.json().at("result").at("type"), "image_analysis");
  auto events = client.get("/v1/jobs/" + id + "/events", admin());
  ASSERT_EQ(events.status, 200);
  EXPECT_THAT(events.body, HasSubstr("event: done"));
}

TEST_F(NexusMediaTest, EveryAcceptedFormatIsToldByItsBytes) {
  const auto halves = images::draw_halves(320, 240, kBlue, kWhite);
  for (const std::string format : {"jpeg", "gif", "bmp", "webp"}) {
    // The name says PNG; the bytes decide.
    auto res = post_image(client, admin(), images::encode_image(halves, format), "misnamed.png");
    ASSERT_EQ(res.status, 200) << format << ": " << res.body;
    auto done = wait_for_job(client, admin(), str(res.json().at("job_id")));
    ASSERT_EQ(done.at("status"), "completed") << format << ": " << json::serialize(done);
    const auto& a = done.at("result").at("analysis");
    EXPECT_EQ(str(a.at("format")), format);
    EXPECT_EQ(a.at("width"), 320) << format;
    EXPECT_EQ(a.at("height"), 240) << format;
    EXPECT_THAT(names(a.at("dominant_colors")), Contains("blue")) << format;
  }
}

TEST_F(NexusMediaTest, BrokenFilesFailTheirJobOrAreRefusedNeverTheServer) {
  const auto card = images::draw_card(300, 200, "CUT", kWhite, kBlack);
  for (const std::string format : {"png", "jpeg", "gif", "bmp", "webp"}) {
    const std::string bytes = images::encode_image(card, format);
    auto res = post_image(client, admin(), bytes.substr(0, bytes.size() / 2), "cut");
    if (res.status == 400) {
      EXPECT_EQ(res.json().at("error_code"), "INVALID_FORMAT") << format << ": " << res.body;
      continue;
    }
    ASSERT_EQ(res.status, 200) << format << ": " << res.body;
    auto done = wait_for_job(client, admin(), str(res.json().at("job_id")));
    EXPECT_EQ(done.at("status"), "error") << format << ": " << json::serialize(done);
    EXPECT_EQ(done.at("progress"), 0);
    EXPECT_THAT(std::string(done.at("error").as_string()), HasSubstr("Failed to process image")) << format;
  }
  // The server is still there.
  EXPECT_EQ(client.get("/health").status, 200);
}

TEST_F(NexusMediaTest, WrongInputGetsTheSeedsErrors) {
  auto text = post_image(client, admin(), "this is plain text, not a picture at all", "notes.png");
  ASSERT_EQ(text.status, 400) << text.body;
  EXPECT_EQ(text.json().at("error_code"), "INVALID_FORMAT");
  EXPECT_EQ(text.json().at("success"), false);

  auto bomb = post_image(client, admin(), images::png_bomb(100000, 100000), "bomb.png");
  ASSERT_EQ(bomb.status, 413) << bomb.body;
  EXPECT_EQ(bomb.json().at("error_code"), "FILE_TOO_LARGE");
  auto gif_bomb = post_image(client, admin(), images::gif_bomb(65000, 65000), "bomb.gif");
  ASSERT_EQ(gif_bomb.status, 413) << gif_bomb.body;

  Headers h = admin();
  h.emplace_back("Content-Type", "multipart/form-data; boundary=imgb");
  auto missing = client.request("POST", "/api/process/image", multipart_body("imgb", {{"session_id", "", "", "abc"}}),
                                h);
  ASSERT_EQ(missing.status, 400) << missing.body;
  EXPECT_EQ(missing.json().at("error_code"), "MISSING_FIELD");
  EXPECT_EQ(missing.json().at("details").at("field"), "image");

  const std::string png = images::encode_image(images::draw_card(200, 100, "Q", kWhite, kBlack), "png");
  auto no_question = post_image(client, admin(), png, "q.png", "/api/process/image-with-text");
  ASSERT_EQ(no_question.status, 400) << no_question.body;
  EXPECT_EQ(no_question.json().at("error_code"), "MISSING_FIELD");
  EXPECT_EQ(no_question.json().at("details").at("field"), "question");

  auto no_session = post_image(client, admin(), png, "q.png", "/api/process/image", {{"session_id", "", "", "nope"}});
  ASSERT_EQ(no_session.status, 404) << no_session.body;
  EXPECT_EQ(no_session.json().at("error_code"), "SESSION_NOT_FOUND");

  auto json_body = client.post_json("/api/process/image", R"({"image":"x"})", admin());
  EXPECT_EQ(json_body.status, 400) << json_body.body;

  auto unknown = client.get("/api/status/img_000000000000000000000000", admin());
  ASSERT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json().at("error_code"), "JOB_NOT_FOUND");
}

TEST_F(NexusMediaTest, AFileOverTwentyMegabytesIsTheSeedsFileTooLarge) {
  std::string big = images::encode_image(images::draw_card(64, 64, "B", kWhite, kBlack), "png");
  big.resize(21 * 1024 * 1024, '\0');
  auto res = post_image(client, admin(), big, "big.png");
  ASSERT_EQ(res.status, 413) << res.body.substr(0, 300);
  auto body = res.json();
  EXPECT_EQ(body.at("error_code"), "FILE_TOO_LARGE");
  EXPECT_EQ(body.at("error"), "File size exceeds 20MB limit");
  EXPECT_EQ(body.at("details").at("max_size"), "20MB");
  EXPECT_TRUE(body.at("details").as_object().contains("received_size"));
}

TEST_F(NexusMediaTest, AnotherAccountsJobIsNotFound) {
  const std::string png = images::encode_image(images::draw_card(200, 100, "MINE", kWhite, kBlack), "png");
  auto res = post_image(client, admin(), png, "mine.png");
  ASSERT_EQ(res.status, 200) << res.body;
  const std::string id = str(res.json().at("job_id"));
  const std::string other = create_user_key(client, server_->admin_key(), "media-other");
  auto peek = client.get("/api/status/" + id, {{"X-API-Key", other}});
  ASSERT_EQ(peek.status, 404) << peek.body;
  EXPECT_EQ(peek.json().at("error_code"), "JOB_NOT_FOUND");
  EXPECT_EQ(client.get("/v1/jobs/" + id, bearer(other)).status, 404);
  EXPECT_EQ(client.get("/v1/jobs/" + id + "/events", bearer(other)).status, 404);
  wait_for_job(client, admin(), id);
}

TEST_F(NexusMediaTest, AQuestionWithoutAVisionModelIsAnsweredFromWhatWasMeasured) {
  const std::string png = images::encode_image(images::draw_card(800, 400, "EXIT", kWhite, kBlack), "png");
  auto res = post_image(client, admin(), png, "exit.png", "/api/process/image-with-text",
                        {{"question", "", "", "What objects are in this image?"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("message"), "Analysis started");
  auto done = wait_for_job(client, admin(), str(res.json().at("job_id")));
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  const std::string answer(done.at("result").at("answer").as_string());
  EXPECT_THAT(answer, HasSubstr("vision.url"));
  EXPECT_THAT(answer, HasSubstr("cannot see"));
  EXPECT_THAT(answer, HasSubstr("EXIT"));
  EXPECT_EQ(done.at("result").at("question"), "What objects are in this image?");
}

std::string chat_with_image(const std::string& url) {
  return json::serialize(
      json::object{{"model", "docent-extractive"},
                   {"messages",
                    json::array{json::object{
                        {"role", "user"},
                        {"content", json::array{json::object{{"type", "text"}, {"text", "What is in this picture?"}},
                                                json::object{{"type", "image_url"},
                                                             {"image_url", json::object{{"url", url}}}}}}}}}});
}

TEST_F(NexusMediaTest, ChatImagePartsWithoutAVisionModelAreRefusedNamingTheSetting) {
  auto res = client.post_json("/v1/chat/completions", chat_with_image("data:image/png;base64,iVBORw0KGgo="),
                              bearer(server_->admin_key()));
  ASSERT_EQ(res.status, 400) << res.body;
  EXPECT_THAT(std::string(res.json().at("error").at("message").as_string()), HasSubstr("vision.url"));
  auto remote = client.post_json("/v1/chat/completions", chat_with_image("http://169.254.169.254/latest/cat.png"),
                                 bearer(server_->admin_key()));
  ASSERT_EQ(remote.status, 400) << remote.body;
  EXPECT_THAT(std::string(remote.json().at("error").at("message").as_string()), HasSubstr("vision.image_hosts"));
  auto junk = client.post_json("/v1/chat/completions", chat_with_image("javascript:alert(1)"),
                               bearer(server_->admin_key()));
  EXPECT_EQ(junk.status, 400) << junk.body;
}

// A vision model fills objects, scene and the answer; the built-in fields stay measured.
TEST(NexusMediaVision, AVisionModelsAnswerIsMerged) {
  TempDir dir;
  const auto log = dir.path() / "vision.log";
  const auto port_file = dir.path() / "port";
  auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                               "/tests/integration/fake_vision_upstream.py' '" + log.string() + "' > '" +
                               port_file.string() + "' & echo $!");
  ASSERT_EQ(code, 0);
  const int pid = std::stoi(out);
  std::string port;
  for (int i = 0; i < 400 && port.empty(); ++i) {
    std::ifstream in(port_file);
    std::getline(in, port);
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_FALSE(port.empty());
  {
    ServerProcess server({.args = {}, .env = {{"DOCENT_VISION_URL", "http://127.0.0.1:" + port + "/v1"}}});
    HttpClient c(server.port());
    Headers h{{"X-API-Key", server.admin_key()}};
    const std::string png = images::encode_image(images::draw_card(800, 400, "STOP", kRed, kWhite), "png");
    auto res = post_image(c, h, png, "sign.png", "/api/process/image-with-text",
                          {{"question", "", "", "What does the sign say?"}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto done = wait_for_job(c, h, str(res.json().at("job_id")));
    ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
    const auto& result = done.at("result");
    EXPECT_EQ(result.at("answer"), "The sign says STOP.");
    EXPECT_THAT(names(result.at("analysis").at("objects")), Contains("stop sign"));
    EXPECT_EQ(result.at("analysis").at("scene_type"), "street");
    EXPECT_THAT(std::string(result.at("analysis").at("text_content").as_string()), HasSubstr("STOP"));
    EXPECT_FALSE(result.at("analysis").as_object().contains("vision"));
    const std::string asked = read_file(log);
    EXPECT_THAT(asked, HasSubstr("image data:image/jpeg;base64"));
    EXPECT_THAT(asked, HasSubstr("What does the sign say?"));

    // An image_url part in /v1/chat/completions goes to the vision model, not the built-in engine.
    auto chat = c.post_json("/v1/chat/completions", chat_with_image("data:image/png;base64,iVBORw0KGgo="),
                            bearer(server.admin_key()));
    ASSERT_EQ(chat.status, 200) << chat.body;
    EXPECT_EQ(chat.json().at("choices").at(0).at("message").at("content"), "I see a red sign that says STOP.");

    // So does an input_image part in /v1/responses, with its text beside it.
    auto resp = c.post_json(
        "/v1/responses",
        R"({"model":"docent-extractive","input":[{"role":"user","content":[{"type":"input_text","text":"Read )"
        R"(the sign"},{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}]}]})",
        bearer(server.admin_key()));
    ASSERT_EQ(resp.status, 200) << resp.body;
    EXPECT_EQ(resp.json().at("output_text"), "I see a red sign that says STOP.") << resp.body;
    EXPECT_THAT(read_file(log), HasSubstr("question Read the sign"));
  }
  ::kill(pid, SIGTERM);
}

// A job whose worker was killed with the server runs again when the server starts again.
TEST(NexusMediaRestart, AJobLeftRunningByAKilledServerCompletesAfterTheRestart) {
  TempDir data;
  std::string id, key;
  {
    // The analysis child hangs (the isolation's test hook), so the job is still running when the
    // server is killed; its child dies with it (PR_SET_PDEATHSIG).
    ServerProcess first({.env = {{"DOCENT_EXTRACT_TEST_FAULT", "hang"}}, .data_dir = data.path()});
    key = first.admin_key();
    HttpClient c(first.port());
    const std::string png = images::encode_image(images::draw_card(400, 200, "AGAIN", kWhite, kBlack), "png");
    auto res = post_image(c, {{"X-API-Key", key}}, png, "again.png");
    ASSERT_EQ(res.status, 200) << res.body;
    id = str(res.json().at("job_id"));
    for (int i = 0; i < 500; ++i) {
      auto s = c.get("/api/status/" + id, {{"X-API-Key", key}}).json();
      if (s.at("status") == "processing") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(c.get("/api/status/" + id, {{"X-API-Key", key}}).json().at("status"), "processing");
    first.stop(SIGKILL);
  }
  ServerProcess second({.data_dir = data.path()});
  HttpClient c(second.port());
  auto done = wait_for_job(c, {{"X-API-Key", key}}, id);
  EXPECT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_THAT(std::string(done.at("result").at("analysis").at("text_content").as_string()), HasSubstr("AGAIN"));
}

}  // namespace
}  // namespace docent::testing
