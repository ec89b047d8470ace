// OpenAI's audio routes through the real binary: speech made here by espeak-ng (known text) is
// transcribed by the built-in recogniser in every response_format; broken files, bad fields and
// languages without a model are refused in OpenAI's error shape; /v1/audio/speech streams every
// format. The upstream paths (stt.url, tts.url) go to tests/integration/fake_speech_upstream.py.

#include "engines/audio_decode.h"
#include "engines/audio_encode.h"
#include "engines/stt.h"
#include "engines/tts.h"
#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/speech_fixtures.h"

#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <random>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;
const std::string kBoundary = "docent-audio-boundary";

HttpResponse post_audio(HttpClient& c, const std::string& key, const std::string& filename, const std::string& bytes,
                        const std::vector<std::pair<std::string, std::string>>& fields,
                        const std::string& path = "/v1/audio/transcriptions") {
  std::vector<MultipartPart> parts;
  if (!filename.empty()) parts.push_back({"file", filename, "application/octet-stream", bytes});
  for (const auto& [k, v] : fields) parts.push_back({k, "", "", v});
  auto headers = bearer(key);
  headers.emplace_back("Content-Type", "multipart/form-data; boundary=" + kBoundary);
  return c.request("POST", path, multipart_body(kBoundary, parts), headers);
}

void expect_openai_error(const HttpResponse& res, int status, const std::string& code, const std::string& param) {
  EXPECT_EQ(res.status, status) << res.body;
  auto v = res.json();
  const auto& e = v.at("error").as_object();
  EXPECT_EQ(str(e.at("code")), code) << res.body;
  if (param.empty()) {
    EXPECT_TRUE(e.at("param").is_null()) << res.body;
  } else {
    EXPECT_EQ(str(e.at("param")), param) << res.body;
  }
  EXPECT_FALSE(str(e.at("message")).empty());
  EXPECT_EQ(str(e.at("type")), status >= 500   ? "server_error"
                               : status == 429 ? "rate_limit_error"
                                               : "invalid_request_error");
}

class AudioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    clip_ = new std::string(speech_file(kText));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete clip_;
    server_ = nullptr;
    clip_ = nullptr;
  }
  static constexpr const char* kText = "this is a test of the speech system. please turn left and stop the car.";
  static inline ServerProcess* server_ = nullptr;
  static inline std::string* clip_ = nullptr;
};

TEST_F(AudioTest, TranscriptionInJsonIsTheSpokenTextWithinAWordErrorBound) {
  HttpClient c(server_->port());
  auto res = post_audio(c, server_->admin_key(), "speech.wav", *clip_, {{"model", "whisper-1"}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto v = res.json();
  const std::string text = str(v.at("text"));
  EXPECT_LE(engines::word_error_rate(kText, text), 0.35) << text;
  EXPECT_EQ(str(v.at("usage").at("type")), "duration");
  EXPECT_GE(v.at("usage").at("seconds").as_int64(), 1);
}

TEST_F(AudioTest, EveryResponseFormatHasItsShape) {
  HttpClient c(server_->port());
  auto text = post_audio(c, server_->admin_key(), "speech.wav", *clip_,
                         {{"model", "whisper-1"}, {"response_format", "text"}});
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(text.header("content-type").rfind("text/plain", 0), 0u);
  ASSERT_FALSE(text.body.empty());
  EXPECT_EQ(text.body.back(), '\n');
  EXPECT_LE(engines::word_error_rate(kText, text.body), 0.35) << text.body;

  auto srt = post_audio(c, server_->admin_key(), "speech.wav", *clip_,
                        {{"model", "whisper-1"}, {"response_format", "srt"}});
  ASSERT_EQ(srt.status, 200) << srt.body;
  EXPECT_EQ(srt.body.rfind("1\n00:00:", 0), 0u) << srt.body;
  EXPECT_NE(srt.body.find(" --> 00:00:"), std::string::npos) << srt.body;
  EXPECT_NE(srt.body.find(','), std::string::npos);

  auto vtt = post_audio(c, server_->admin_key(), "speech.wav", *clip_,
                        {{"model", "whisper-1"}, {"response_format", "vtt"}});
  ASSERT_EQ(vtt.status, 200) << vtt.body;
  EXPECT_EQ(vtt.body.rfind("WEBVTT\n\n00:00:", 0), 0u) << vtt.body;
  EXPECT_EQ(vtt.header("content-type").rfind("text/vtt", 0), 0u);

  auto verbose = post_audio(c, server_->admin_key(), "speech.wav", *clip_,
                            {{"model", "whisper-1"}, {"response_format", "verbose_json"}, {"language", "en"}});
  ASSERT_EQ(verbose.status, 200) << verbose.body;
  auto v = verbose.json();
  EXPECT_EQ(str(v.at("task")), "transcribe");
  EXPECT_EQ(str(v.at("language")), "english");
  const double duration = v.at("duration").to_number<double>();
  EXPECT_GT(duration, 1.0);
  const auto& segments = v.at("segments").as_array();
  ASSERT_FALSE(segments.empty());
  double last_end = 0;
  for (const auto& s : segments) {
    const double start = s.at("start").to_number<double>();
    const double end = s.at("end").to_number<double>();
    EXPECT_LE(start, end);
    EXPECT_LE(end, duration + 0.5);
    EXPECT_GE(start + 0.01, last_end);
    last_end = end;
    EXPECT_FALSE(str(s.at("text")).empty());
  }
  const auto& words = v.at("words").as_array();
  EXPECT_GE(words.size(), 4u);
  for (const auto& w : words) EXPECT_LE(w.at("start").to_number<double>(), w.at("end").to_number<double>());
}

TEST_F(AudioTest, CompressedContainersAreDecodedToo) {
  HttpClient c(server_->port());
  for (auto f : {engines::AudioFormat::Mp3, engines::AudioFormat::Ogg, engines::AudioFormat::Flac}) {
    SCOPED_TRACE(std::string(engines::audio_format_name(f)));
    auto res = post_audio(c, server_->admin_key(), "clip", speech_file(kText, f), {{"model", "whisper-1"}});
    ASSERT_EQ(res.status, 200) << res.body;
    // Lossy 64 kb/s MP3 and Vorbis cost the recogniser some words (a fresh cepstral mean each request).
    EXPECT_LE(engines::word_error_rate(kText, str(res.json().at("text"))), 0.5) << res.body;
  }
}

TEST_F(AudioTest, BrokenFilesAreInvalidFormat) {
  HttpClient c(server_->port());
  std::mt19937 rng(11);
  std::string noise(30000, '\0');
  for (auto& ch : noise) ch = static_cast<char>(rng());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated.wav", clip_->substr(0, clip_->size() / 4)},
      {"noise.mp3", noise},
      {"empty.wav", ""},
      {"header-then-garbage.wav",
       std::string("RIFF\x24\x00\x00\x00WAVEfmt \x66\x66\x66\x66", 20) + noise.substr(0, 200)},
      {"text.webm", std::string(4000, 'x')},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    auto res = post_audio(c, server_->admin_key(), name, bytes, {{"model", "whisper-1"}});
    expect_openai_error(res, 400, "INVALID_FORMAT", "");
  }
  // The server is still there.
  EXPECT_EQ(post_audio(c, server_->admin_key(), "ok.wav", *clip_, {{"model", "whisper-1"}}).status, 200);
}

TEST_F(AudioTest, BadFieldsAreRefusedNamingTheField) {
  HttpClient c(server_->port());
  const std::string key = server_->admin_key();
  expect_openai_error(post_audio(c, key, "", "", {{"model", "whisper-1"}}), 400, "MISSING_FIELD", "file");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {}), 400, "MISSING_FIELD", "model");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {{"model", "whisper-1"}, {"response_format", "xml"}}), 400,
                      "INVALID_INPUT", "response_format");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {{"model", "whisper-1"}, {"temperature", "hot"}}), 400,
                      "INVALID_INPUT", "temperature");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {{"model", "whisper-1"}, {"temperature", "1.5"}}), 400,
                      "INVALID_INPUT", "temperature");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {{"model", "whisper-1"}, {"language", "xx"}}), 400,
                      "INVALID_INPUT", "language");
  expect_openai_error(post_audio(c, key, "a.wav", *clip_, {{"model", "whisper-1"}, {"language", "english"}}), 400,
                      "INVALID_INPUT", "language");
  auto json_body = c.post_json("/v1/audio/transcriptions", R"({"model":"whisper-1"})", bearer(key));
  EXPECT_EQ(json_body.status, 415) << json_body.body;
  EXPECT_EQ(post_audio(c, "", "a.wav", *clip_, {{"model", "whisper-1"}}).status, 401);
}

TEST_F(AudioTest, ASeedLanguageWithoutABuiltInModelNeedsSttUrl) {
  HttpClient c(server_->port());
  for (std::string lang : {"fr", "zh", "ur"}) {
    auto res = post_audio(c, server_->admin_key(), "a.wav", *clip_, {{"model", "whisper-1"}, {"language", lang}});
    expect_openai_error(res, 503, "SERVICE_UNAVAILABLE", "stt.url");
    EXPECT_NE(res.body.find("stt.url"), std::string::npos);
  }
  auto tr = post_audio(c, server_->admin_key(), "a.wav", *clip_, {{"model", "whisper-1"}}, "/v1/audio/translations");
  expect_openai_error(tr, 503, "SERVICE_UNAVAILABLE", "stt.url");
}

TEST_F(AudioTest, SpeechStreamsEveryFormat) {
  HttpClient c(server_->port());
  const std::map<std::string, std::string> types = {{"mp3", "audio/mpeg"}, {"opus", "audio/ogg"},
                                                    {"aac", "audio/aac"},  {"flac", "audio/flac"},
                                                    {"wav", "audio/wav"},  {"pcm", "audio/pcm"}};
  for (const auto& [format, type] : types) {
    SCOPED_TRACE(format);
    json::object body{{"model", "tts-1"},
                      {"input", "Hello there. This is a test of speech."},
                      {"voice", "alloy"},
                      {"response_format", format}};
    auto res = c.post_json("/v1/audio/speech", json::serialize(body), bearer(server_->admin_key()));
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("content-type").rfind(type, 0), 0u) << res.header("content-type");
    EXPECT_EQ(res.header("transfer-encoding"), "chunked");
    if (format == "pcm") {
      EXPECT_EQ(res.body.size() % 2, 0u);
      EXPECT_GT(res.body.size(), 2u * engines::kSpeechOutputRate);  // more than a second
      continue;
    }
    auto pcm = engines::decode_audio_memory(res.body, {});
    ASSERT_TRUE(pcm) << pcm.error().message;
    EXPECT_GT(pcm->seconds(), 1.0);
  }
  // The default format is MP3, and the speech is the text: it transcribes back.
  json::object body{{"model", "tts-1"}, {"input", kText}, {"voice", "en"}, {"speed", 0.75}};
  auto mp3 = c.post_json("/v1/audio/speech", json::serialize(body), bearer(server_->admin_key()));
  ASSERT_EQ(mp3.status, 200);
  EXPECT_EQ(mp3.header("content-type"), "audio/mpeg");
  auto back = post_audio(c, server_->admin_key(), "speech.mp3", mp3.body, {{"model", "whisper-1"}});
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_LE(engines::word_error_rate(kText, str(back.json().at("text"))), 0.35) << back.body;
}

TEST_F(AudioTest, SpeechInputIsValidatedInCharacters) {
  HttpClient c(server_->port());
  const std::string key = server_->admin_key();
  auto speak = [&](const json::object& body) {
    return c.post_json("/v1/audio/speech", json::serialize(body), bearer(key));
  };
  std::string long_input;
  for (int i = 0; i < 4097; ++i) long_input += "\xC3\xA9";
  auto res = speak({{"model", "tts-1"}, {"input", long_input}, {"voice", "alloy"}});
  expect_openai_error(res, 400, "INVALID_INPUT", "input");
  EXPECT_EQ(res.json().at("error").at("details").at("characters").to_number<int64_t>(), 4097);
  expect_openai_error(speak({{"model", "tts-1"}, {"input", ""}, {"voice", "alloy"}}), 400, "INVALID_INPUT", "input");
  expect_openai_error(speak({{"model", "tts-1"}, {"voice", "alloy"}}), 400, "MISSING_FIELD", "input");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}}), 400, "MISSING_FIELD", "voice");
  expect_openai_error(speak({{"input", "hi"}, {"voice", "alloy"}}), 400, "MISSING_FIELD", "model");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}, {"voice", "nobody"}}), 400, "INVALID_INPUT", "voice");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"speed", 5}}), 400,
                      "INVALID_INPUT", "speed");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"speed", "fast"}}), 400,
                      "INVALID_INPUT", "speed");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"response_format", "ogg"}}), 400,
                      "INVALID_INPUT", "response_format");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", "hi"}, {"voice", "alloy"}, {"language", "xx"}}), 400,
                      "INVALID_INPUT", "language");
  expect_openai_error(speak({{"model", "tts-1"}, {"input", 5}, {"voice", "alloy"}}), 400, "INVALID_INPUT", "input");
  auto malformed = c.post_json("/v1/audio/speech", "{\"model\":", bearer(key));
  EXPECT_EQ(malformed.status, 400);
  // Every seed language speaks.
  for (std::string lang : {"en", "es", "fr", "de", "it", "pt", "ru", "ja", "ko", "zh", "ar", "hi", "ur", "th"}) {
    auto ok = speak(
        {{"model", "tts-1"}, {"input", "123"}, {"voice", "alloy"}, {"language", lang}, {"response_format", "wav"}});
    EXPECT_EQ(ok.status, 200) << lang << ": " << ok.body;
    EXPECT_GT(ok.body.size(), 1000u) << lang;
  }
}

// Each transcription and each speech is one media action of the caller's plan: over the plan's
// daily media limit, both routes answer 429 QUOTA_EXCEEDED before any work.
TEST_F(AudioTest, AudioCountsAgainstThePlansMediaLimit) {
  HttpClient c(server_->port());
  const Headers admin = bearer(server_->admin_key());
  auto plan = c.post_json("/v1/plans", R"({"name":"one-media","rank":3,"mediaPerDay":2})", admin);
  ASSERT_TRUE(plan.status == 200 || plan.status == 201) << plan.body;
  auto acc = c.post_json("/v1/accounts", R"({"login":"listener","password":"correct horse battery"})", admin);
  ASSERT_TRUE(acc.status == 200 || acc.status == 201) << acc.body;
  const std::string id = str(acc.json().at("id"));
  Headers h = admin;
  h.emplace_back("Content-Type", "application/json");
  auto assigned = c.request("PATCH", "/v1/accounts/" + id, R"({"plan":"one-media"})", h);
  ASSERT_EQ(assigned.status, 200) << assigned.body;
  auto key = c.post_json("/v1/keys", R"({"account_id":")" + id + R"(","name":"k"})", admin);
  ASSERT_TRUE(key.status == 200 || key.status == 201) << key.body;
  const std::string mine = str(key.json().at("key"));

  // A refused request is not counted: only the two that did their work are.
  expect_openai_error(post_audio(c, mine, "speech.wav", "not audio at all", {{"model", "whisper-1"}}), 400,
                      "INVALID_FORMAT", "");
  auto heard = post_audio(c, mine, "speech.wav", *clip_, {{"model", "whisper-1"}});
  ASSERT_EQ(heard.status, 200) << heard.body;
  auto spoken = c.post_json("/v1/audio/speech", R"({"model":"tts-1","input":"hello","voice":"alloy"})", bearer(mine));
  ASSERT_EQ(spoken.status, 200) << spoken.body;
  // The speech is counted when its stream ends, which may be just after the client has the body.
  int64_t used = 0;
  for (int i = 0; i < 200 && used < 2; ++i) {
    auto usage = c.get("/v1/usage?account_id=" + id, admin);
    ASSERT_EQ(usage.status, 200) << usage.body;
    used = usage.json().at("today").at("media").at("used").to_number<int64_t>();
    if (used < 2) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(used, 2);
  expect_openai_error(post_audio(c, mine, "speech.wav", *clip_, {{"model", "whisper-1"}}), 429, "QUOTA_EXCEEDED", "");
  expect_openai_error(c.post_json("/v1/audio/speech", R"({"model":"tts-1","input":"hello","voice":"alloy"})",
                                  bearer(mine)),
                      429, "QUOTA_EXCEEDED", "");
}

// The fake speech server, stopped when destroyed.
class FakeSpeechServer {
 public:
  explicit FakeSpeechServer(const std::filesystem::path& dir) : log_(dir / "speech.log") {
    auto port_file = dir / "port";
    auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                                 "/tests/integration/fake_speech_upstream.py' '" + log_.string() + "' > '" +
                                 port_file.string() + "' & echo $!");
    pid_ = code == 0 ? std::stoi(out) : -1;
    for (int i = 0; i < 400 && port_.empty(); ++i) {
      std::ifstream in(port_file);
      std::getline(in, port_);
      if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~FakeSpeechServer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  std::string url() const { return "http://127.0.0.1:" + port_ + "/v1"; }
  // One JSON object a request.
  std::vector<json::value> requests() const {
    std::vector<json::value> out;
    std::istringstream in(read_file(log_));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) out.push_back(json::parse(line));
    }
    return out;
  }

 private:
  std::filesystem::path log_;
  int pid_ = -1;
  std::string port_;
};

TEST(AudioUpstream, SttAndTtsUrlsServeEveryLanguageThroughTheUpstream) {
  TempDir dir;
  FakeSpeechServer fake(dir.path());
  ServerProcess server({.env = {{"DOCENT_STT_URL", fake.url()},
                                {"DOCENT_STT_KEY", "stt-secret"},
                                {"DOCENT_STT_MODEL", "whisper-large"},
                                {"DOCENT_TTS_URL", fake.url()},
                                {"DOCENT_TTS_MODEL", "kokoro"}}});
  HttpClient c(server.port());
  const std::string key = server.admin_key();
  const std::string clip = speech_file("good morning");

  // A language with no built-in model goes to the upstream, as the decoded 16 kHz WAV.
  auto fr = post_audio(c, key, "clip.wav", clip,
                       {{"model", "whisper-1"}, {"language", "fr"}, {"response_format", "verbose_json"}});
  ASSERT_EQ(fr.status, 200) << fr.body;
  auto v = fr.json();
  EXPECT_EQ(str(v.at("text")).rfind("heard ", 0), 0u) << fr.body;
  EXPECT_NE(str(v.at("text")).find("of RIFF in fr"), std::string::npos) << fr.body;
  EXPECT_EQ(str(v.at("language")), "french");
  EXPECT_EQ(v.at("words").as_array().size(), 2u);
  EXPECT_EQ(str(v.at("words").at(0).at("word")), "heard");
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(str(reqs[0].at("fields").at("model").at(0)), "whisper-1");
  EXPECT_EQ(str(reqs[0].at("fields").at("response_format").at(0)), "verbose_json");
  EXPECT_EQ(str(reqs[0].at("auth")), "Bearer stt-secret");
  EXPECT_TRUE(reqs[0].at("riff").as_bool());

  // srt from the upstream's segments.
  auto srt = post_audio(c, key, "clip.wav", clip,
                        {{"model", "whisper-1"}, {"language", "de"}, {"response_format", "srt"}});
  ASSERT_EQ(srt.status, 200) << srt.body;
  EXPECT_EQ(srt.body.rfind("1\n00:00:00,000 --> 00:00:01,000\nheard ", 0), 0u) << srt.body;

  // The upstream's own error is relayed; a route it lacks is SERVICE_UNAVAILABLE naming stt.url.
  auto th = post_audio(c, key, "clip.wav", clip, {{"model", "whisper-1"}, {"language", "th"}});
  EXPECT_EQ(th.status, 502) << th.body;
  EXPECT_NE(th.body.find("the model is overloaded"), std::string::npos) << th.body;
  auto tr = post_audio(c, key, "clip.wav", clip, {{"model", "whisper-1"}}, "/v1/audio/translations");
  EXPECT_EQ(tr.status, 503) << tr.body;
  EXPECT_NE(tr.body.find("does not offer translations"), std::string::npos) << tr.body;
  // A broken file never reaches the upstream.
  const size_t before = fake.requests().size();
  auto broken = post_audio(c, key, "x.mp3", std::string(3000, 'x'), {{"model", "whisper-1"}, {"language", "fr"}});
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(fake.requests().size(), before);
  // model "pocketsphinx" keeps to the built-in recogniser.
  auto builtin = post_audio(c, key, "clip.wav", clip, {{"model", "pocketsphinx"}});
  ASSERT_EQ(builtin.status, 200) << builtin.body;
  EXPECT_EQ(str(builtin.json().at("text")).find("heard"), std::string::npos);
  EXPECT_EQ(fake.requests().size(), before);

  // Speech from the upstream, byte for byte; any voice name is the upstream's business.
  json::object body{{"model", "tts-1"}, {"input", "bonjour"}, {"voice", "ff_siwis"}, {"response_format", "opus"}};
  auto speech = c.post_json("/v1/audio/speech", json::serialize(body), bearer(key));
  ASSERT_EQ(speech.status, 200) << speech.body;
  EXPECT_EQ(speech.body, "FAKE-AUDIO|opus|ff_siwis|tts-1|bonjour");
  EXPECT_EQ(speech.header("content-type").rfind("audio/ogg", 0), 0u);
  body["voice"] = "refuse";
  auto refused = c.post_json("/v1/audio/speech", json::serialize(body), bearer(key));
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_NE(refused.body.find("voice refused"), std::string::npos) << refused.body;
  EXPECT_EQ(str(refused.json().at("error").at("code")), "UPSTREAM_ERROR");
}

}  // namespace
}  // namespace docent::testing
