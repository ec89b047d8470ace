// The nexus seed's voice jobs against the real binary (issue 17, "Speech to text", "Text to
// speech", "Voice conversation"): /api/process/voice, /api/process/text-to-speech and
// /api/process/voice-conversation answer a queued job at once; GET /api/status reports its
// stages until the seed's result. Speech is made by the test (espeak-ng, known text); the answer
// of a conversation comes from the built-in model and is stored in the session with its question.

#include "core/crypto.h"
#include "engines/stt.h"
#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/speech_fixtures.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kSpoken = "please turn left and stop the car";

HttpResponse post_voice(HttpClient& c, const Headers& auth, const std::string& bytes,
                        const std::string& route = "/api/process/voice", std::vector<MultipartPart> extra = {}) {
  std::vector<MultipartPart> parts;
  if (!bytes.empty()) parts.push_back({"audio", "recording.webm", "audio/webm", bytes});
  for (auto& p : extra) parts.push_back(std::move(p));
  Headers h = auth;
  h.emplace_back("Content-Type", "multipart/form-data; boundary=voiceb");
  return c.request("POST", route, multipart_body("voiceb", parts), h);
}

HttpResponse post_tts(HttpClient& c, const Headers& auth, const json::object& body) {
  Headers h = auth;
  h.emplace_back("Content-Type", "application/json");
  return c.request("POST", "/api/process/text-to-speech", json::serialize(body), h);
}

json::object wait_for_job(HttpClient& c, const Headers& auth, const std::string& job_id) {
  json::object last;
  for (int i = 0; i < 3000; ++i) {
    auto res = c.get("/api/status/" + job_id, auth);
    EXPECT_EQ(res.status, 200) << res.body;
    if (res.status != 200) break;
    last = res.json().as_object();
    const auto status = str(last.at("status"));
    if (status != "queued" && status != "processing") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << "job " << job_id << " did not finish";
  return last;
}

std::string audio_of(const json::object& result) {
  auto bytes = core::crypto::base64_decode(std::string(result.at("audio_base64").as_string()));
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or("");
}

bool looks_like_mp3(const std::string& b) {
  return b.starts_with("ID3") || (b.size() > 2 && static_cast<unsigned char>(b[0]) == 0xFF &&
                                  (static_cast<unsigned char>(b[1]) & 0xE0) == 0xE0);
}

class NexusVoiceTest : public ::testing::Test {
 protected:
  // The seed's voice limit (5/min) and global limit are tested in rate_limits_test.
  static void SetUpTestSuite() {
    server_ = new ServerProcess({.env = {{"DOCENT_LIMITS_NEXUS_VOICE", "off"}, {"DOCENT_LIMITS_NEXUS_GLOBAL", "off"}}});
    clip_ = new std::string(speech_file(kSpoken));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete clip_;
    clip_ = nullptr;
  }
  Headers admin() const { return {{"X-API-Key", server_->admin_key()}}; }

  static ServerProcess* server_;
  static std::string* clip_;
  HttpClient client{server_->port()};
};
ServerProcess* NexusVoiceTest::server_ = nullptr;
std::string* NexusVoiceTest::clip_ = nullptr;

TEST_F(NexusVoiceTest, AVoiceJobTranscribesTheRecording) {
  auto res = post_voice(client, admin(), *clip_, "/api/process/voice", {{"language", "", "", "en"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("status"), "queued");
  EXPECT_EQ(res.json().at("message"), "Voice processing started");
  const std::string id = str(res.json().at("job_id"));
  EXPECT_TRUE(id.starts_with("voice_")) << id;

  // The native event stream, opened while the job runs, shows its stages as they pass.
  auto events = client.get("/v1/jobs/" + id + "/events", admin());
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_THAT(events.body, HasSubstr("event: done"));
  EXPECT_THAT(events.body, HasSubstr("\"stage\":\"decode\""));
  EXPECT_THAT(events.body, HasSubstr("\"stage\":\"recognise\""));

  auto done = wait_for_job(client, admin(), id);
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("progress"), 100);
  EXPECT_EQ(done.at("type"), "voice_transcription");
  EXPECT_TRUE(done.contains("completed_at"));
  const auto& result = done.at("result").as_object();
  const std::string heard = str(result.at("transcription"));
  EXPECT_LE(engines::word_error_rate(kSpoken, heard), 0.35) << heard;
  EXPECT_EQ(result.at("language"), "en");
  EXPECT_GT(result.at("duration").to_number<double>(), 1.0);
  EXPECT_EQ(result.at("engine"), "pocketsphinx");
  EXPECT_EQ(result.at("success"), true);
}

TEST_F(NexusVoiceTest, TextToSpeechMakesAudioTheRecogniserUnderstands) {
  auto res = post_tts(client, admin(), {{"text", "Hello world"}, {"language", "en"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("message"), "TTS started");
  const std::string id = str(res.json().at("job_id"));
  EXPECT_TRUE(id.starts_with("tts_")) << id;
  auto done = wait_for_job(client, admin(), id);
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("type"), "text_to_speech");
  const auto& result = done.at("result").as_object();
  EXPECT_EQ(result.at("audio_format"), "mp3");
  const std::string mp3 = audio_of(result);
  EXPECT_TRUE(looks_like_mp3(mp3)) << mp3.substr(0, 8);
  EXPECT_EQ(result.at("audio_bytes"), static_cast<int64_t>(mp3.size()));
  // The native view shows the same audio, filled from the blob store.
  auto native = client.get("/v1/jobs/" + id, admin());
  ASSERT_EQ(native.status, 200);
  EXPECT_EQ(str(native.json().at("result").at("audio_base64")), str(result.at("audio_base64")));

  // WAV on request; spoken slowly enough, the built-in recogniser hears the words again.
  auto wav = post_tts(client, admin(), {{"text", kSpoken}, {"format", "wav"}});
  ASSERT_EQ(wav.status, 200) << wav.body;
  auto spoken = wait_for_job(client, admin(), str(wav.json().at("job_id")));
  ASSERT_EQ(spoken.at("status"), "completed") << json::serialize(spoken);
  const std::string bytes = audio_of(spoken.at("result").as_object());
  ASSERT_TRUE(bytes.starts_with("RIFF")) << bytes.substr(0, 8);
  auto heard = post_voice(client, admin(), bytes);
  ASSERT_EQ(heard.status, 200) << heard.body;
  auto transcribed = wait_for_job(client, admin(), str(heard.json().at("job_id")));
  ASSERT_EQ(transcribed.at("status"), "completed") << json::serialize(transcribed);
  const std::string text = str(transcribed.at("result").at("transcription"));
  EXPECT_LE(engines::word_error_rate(kSpoken, text), 0.5) << text;
}

TEST_F(NexusVoiceTest, AVoiceConversationAnswersAndSpeaksAndKeepsBothTurns) {
  auto session = client.request("POST", "/api/sessions", "", admin());
  ASSERT_EQ(session.status, 200) << session.body;
  const std::string sid = str(session.json().at("session_id"));
  auto res = post_voice(client, admin(), *clip_, "/api/process/voice-conversation",
                        {{"language", "", "", "en"}, {"session_id", "", "", sid}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("message"), "Voice conversation started");
  const std::string id = str(res.json().at("job_id"));
  EXPECT_TRUE(id.starts_with("conv_")) << id;
  auto done = wait_for_job(client, admin(), id);
  ASSERT_EQ(done.at("status"), "completed") << json::serialize(done);
  EXPECT_EQ(done.at("type"), "voice_conversation");
  const auto& result = done.at("result").as_object();
  for (const char* key :
       {"transcription", "ai_response", "audio_base64", "audio_format", "language", "type", "success"}) {
    EXPECT_TRUE(result.contains(key)) << key;
  }
  EXPECT_EQ(result.at("type"), "voice_conversation");
  EXPECT_EQ(result.at("success"), true);
  EXPECT_EQ(result.at("audio_format"), "mp3");
  EXPECT_EQ(result.at("language"), "en");
  EXPECT_THAT(str(result.at("ai_response")), StartsWith("<p>"));
  EXPECT_TRUE(looks_like_mp3(audio_of(result)));

  // Both turns are in the session, as a text turn's are.
  auto history = client.get("/api/sessions/" + sid, admin());
  ASSERT_EQ(history.status, 200) << history.body;
  const json::value body = history.json();
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u) << history.body;
  EXPECT_EQ(messages[0].at("type"), "user");
  EXPECT_EQ(messages[0].at("content"), result.at("transcription"));
  EXPECT_EQ(messages[1].at("type"), "ai");
  EXPECT_EQ(messages[1].at("content"), result.at("ai_response_text"));

  // Without a session one is started, and named in the answer.
  auto fresh = post_voice(client, admin(), *clip_, "/api/process/voice-conversation");
  ASSERT_EQ(fresh.status, 200) << fresh.body;
  const std::string started = str(fresh.json().at("session_id"));
  auto fresh_done = wait_for_job(client, admin(), str(fresh.json().at("job_id")));
  ASSERT_EQ(fresh_done.at("status"), "completed") << json::serialize(fresh_done);
  EXPECT_EQ(str(fresh_done.at("result").at("session_id")), started);
  EXPECT_EQ(client.get("/api/sessions/" + started, admin()).json().at("messages").as_array().size(), 2u);
}

TEST_F(NexusVoiceTest, WrongInputGetsTheSeedsErrors) {
  auto expect_error = [](const HttpResponse& res, int status, const std::string& code) {
    EXPECT_EQ(res.status, status) << res.body;
    auto body = res.json();
    EXPECT_EQ(body.at("success"), false) << res.body;
    EXPECT_EQ(str(body.at("error_code")), code) << res.body;
  };
  expect_error(post_voice(client, admin(), ""), 400, "MISSING_FIELD");
  expect_error(post_voice(client, admin(), "this is plain text and no recording at all"), 400, "INVALID_FORMAT");
  expect_error(post_voice(client, admin(), *clip_, "/api/process/voice", {{"language", "", "", "xx"}}), 400,
               "INVALID_INPUT");
  auto spanish = post_voice(client, admin(), *clip_, "/api/process/voice", {{"language", "", "", "es"}});
  expect_error(spanish, 503, "SERVICE_UNAVAILABLE");
  EXPECT_THAT(spanish.body, HasSubstr("stt.url"));
  expect_error(post_voice(client, admin(), *clip_, "/api/process/voice-conversation",
                          {{"session_id", "", "", "abc123"}}),
               404, "SESSION_NOT_FOUND");
  Headers json_headers = admin();
  json_headers.emplace_back("Content-Type", "application/json");
  expect_error(client.request("POST", "/api/process/voice", "{}", json_headers), 400, "INVALID_INPUT");

  expect_error(post_tts(client, admin(), {}), 400, "MISSING_FIELD");
  expect_error(post_tts(client, admin(), {{"text", "   "}}), 400, "INVALID_INPUT");
  expect_error(post_tts(client, admin(), {{"text", std::string(5001, 'a')}}), 400, "INVALID_INPUT");
  expect_error(post_tts(client, admin(), {{"text", 42}}), 400, "INVALID_INPUT");
  expect_error(post_tts(client, admin(), {{"text", "hi"}, {"language", "klingon"}}), 400, "INVALID_INPUT");
  expect_error(post_tts(client, admin(), {{"text", "hi"}, {"format", "midi"}}), 400, "INVALID_INPUT");
  expect_error(post_tts(client, admin(), {{"text", "hi"}, {"session_id", "abc123"}}), 404, "SESSION_NOT_FOUND");
  expect_error(client.request("POST", "/api/process/text-to-speech", "{not json", json_headers), 400, "INVALID_INPUT");

  // 1700 Thai characters are 5100 bytes: within the limit, which counts characters.
  std::string thai;
  for (int i = 0; i < 1700; ++i) thai += "\u0e01";  // 5100 bytes
  auto ok = post_tts(client, admin(), {{"text", thai}, {"language", "th"}});
  EXPECT_EQ(ok.status, 200) << ok.body;

  // A WAV cut short passes the first look and fails its job, never the server.
  const std::string cut = clip_->substr(0, clip_->size() / 3);
  auto truncated = post_voice(client, admin(), cut);
  ASSERT_EQ(truncated.status, 200) << truncated.body;
  auto failed = wait_for_job(client, admin(), str(truncated.json().at("job_id")));
  EXPECT_EQ(failed.at("status"), "error") << json::serialize(failed);
  EXPECT_THAT(str(failed.at("error")), HasSubstr("Failed to process audio"));
  EXPECT_EQ(client.get("/v1/health").status, 200);
}

}  // namespace
}  // namespace docent::testing
