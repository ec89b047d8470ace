// Payload encryption (docs/ENCRYPTION.md) against the real binary: encrypted JSON bodies on several
// faces, encrypted responses and event streams, an encrypted multipart file part, and every
// refusal (tampered, replayed, old, truncated, wrong key, wrong version, no API key) as one 400
// in the face's own error envelope. A request in clear is unchanged.

#include "core/crypto.h"
#include "core/payload_crypto.h"
#include "core/time.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace docent::testing {
namespace {

namespace json = boost::json;
using core::crypto::kEncryptedJsonType;
using core::crypto::kEncryptedPartType;
using core::crypto::kPayloadRejected;
using core::crypto::PayloadDirection;
using core::crypto::PayloadKeys;

class EncryptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess();
    HttpClient c(server_->port());
    user_key_ = new std::string(create_user_key(c, server_->admin_key(), "crypto-user"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete user_key_;
    server_ = nullptr;
  }

  static const std::string& key() { return *user_key_; }
  static PayloadKeys keys() { return PayloadKeys::derive(key()); }

  static std::string seal(std::string_view plain, int64_t ts = core::unix_seconds_now()) {
    return core::crypto::seal_payload(keys(), PayloadDirection::Request, plain, ts);
  }

  // An encrypted request asking for an encrypted response.
  HttpResponse send(const std::string& method, const std::string& target, const std::string& envelope) {
    Headers h = bearer(key());
    h.emplace_back("X-Encryption", "v1");
    h.emplace_back("Accept-Encryption", "v1");
    h.emplace_back("Content-Type", std::string(kEncryptedJsonType));
    return client.request(method, target, envelope, h);
  }

  // The plaintext of an encrypted response (a test failure if it is not one).
  static std::string open(const HttpResponse& res) {
    EXPECT_EQ(res.header("content-type"), kEncryptedJsonType) << res.body;
    EXPECT_EQ(res.header("x-encryption"), "v1");
    auto opened = core::crypto::open_payload(keys(), PayloadDirection::Response, res.body, core::unix_seconds_now(),
                                             60);
    EXPECT_TRUE(opened.ok()) << res.body;
    return opened.ok() ? opened->plaintext : std::string();
  }

  // The plaintext of every event of an encrypted event stream.
  static std::vector<std::string> open_events(const HttpResponse& res) {
    EXPECT_EQ(res.header("content-type").rfind("text/event-stream", 0), 0u) << res.body;
    EXPECT_EQ(res.header("x-encryption"), "v1");
    std::vector<std::string> out;
    for (const json::value& envelope : sse_json(res.body)) {
      auto opened = core::crypto::open_payload(keys(), PayloadDirection::Response, json::serialize(envelope),
                                               core::unix_seconds_now(), 60);
      EXPECT_TRUE(opened.ok()) << envelope;
      if (opened.ok()) out.push_back(opened->plaintext);
    }
    return out;
  }

  static void expect_refused(const HttpResponse& res) {
    EXPECT_EQ(res.status, 400) << res.body;
    EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u) << "refusals are sent in clear";
    EXPECT_NE(res.body.find(std::string(kPayloadRejected)), std::string::npos) << res.body;
  }

  static ServerProcess* server_;
  static std::string* user_key_;
  HttpClient client{server_->port()};
};
ServerProcess* EncryptionTest::server_ = nullptr;
std::string* EncryptionTest::user_key_ = nullptr;

TEST_F(EncryptionTest, NativeFolderCreatedFromAnEncryptedBodyAndAnsweredEncrypted) {
  auto res = send("POST", "/v1/folders", seal(R"({"name":"Sealed reports"})"));
  ASSERT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(res.header("x-encryption-content-type").rfind("application/json", 0), 0u);
  EXPECT_EQ(res.body.find("Sealed reports"), std::string::npos) << "the response is not in clear";
  const json::value folder = json::parse(open(res));
  EXPECT_EQ(folder.at("name"), "Sealed reports");

  // The same folder read in clear: the handler saw the plaintext.
  auto clear = client.get("/v1/folders/" + str(folder.at("id")), bearer(key()));
  ASSERT_EQ(clear.status, 200) << clear.body;
  EXPECT_EQ(clear.json().at("name"), "Sealed reports");
  EXPECT_EQ(clear.header("x-encryption"), "");
}

TEST_F(EncryptionTest, AHandlersErrorIsEncryptedToo) {
  auto res = send("POST", "/v1/folders", seal(R"({"name":42})"));
  EXPECT_EQ(res.status, 400);
  const json::value err = json::parse(open(res));
  EXPECT_TRUE(err.at("error").is_object()) << err;
}

TEST_F(EncryptionTest, ClearRequestsAreUnchanged) {
  auto res = client.post_json("/v1/folders", R"({"name":"In clear"})", bearer(key()));
  ASSERT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(res.json().at("name"), "In clear");
  EXPECT_EQ(res.header("x-encryption"), "");
}

TEST_F(EncryptionTest, AnEncryptedResponseToAClearRequest) {
  auto res = client.get("/v1/folders", {{"Authorization", "Bearer " + key()}, {"Accept-Encryption", "v1"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_TRUE(json::parse(open(res)).at("data").is_array());
}

TEST_F(EncryptionTest, ASpeechByteStreamIsOneEnvelopePerChunk) {
  const std::string body =
      R"({"model": "tts-1", "input": "One sentence. And a second one.", "voice": "alloy", "response_format": "wav"})";
  auto clear = client.post_json("/v1/audio/speech", body, bearer(key()));
  ASSERT_EQ(clear.status, 200) << clear.body;
  auto res = send("POST", "/v1/audio/speech", seal(body));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.header("content-type"), kEncryptedJsonType);
  EXPECT_EQ(res.header("x-encryption"), "v1");
  EXPECT_EQ(res.header("x-encryption-content-type"), clear.header("content-type"));
  std::string audio;
  size_t lines = 0;
  for (size_t start = 0; start < res.body.size();) {
    size_t end = res.body.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "every envelope ends its line";
    auto opened = core::crypto::open_payload(keys(), PayloadDirection::Response, res.body.substr(start, end - start),
                                             core::unix_seconds_now(), 60);
    ASSERT_TRUE(opened.ok());
    audio += opened->plaintext;
    ++lines;
    start = end + 1;
  }
  EXPECT_GE(lines, 1u);
  // The same synthesis: the same WAV header and length as the clear answer.
  ASSERT_GE(audio.size(), 44u);
  EXPECT_EQ(audio.substr(0, 4), "RIFF");
  EXPECT_EQ(audio.size(), clear.body.size());
}

TEST_F(EncryptionTest, ChatbotStreamEveryEventEncrypted) {
  auto res = send("POST", "/api/chat", seal(R"({"message":"What is in my documents?","stream":true})"));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body.find("\"type\""), std::string::npos) << "events are not in clear";
  std::vector<std::string> types;
  for (const std::string& plain : open_events(res)) types.emplace_back(json::parse(plain).at("type").as_string());
  ASSERT_GE(types.size(), 2u) << res.body;
  EXPECT_EQ(types.front(), "text");
  EXPECT_EQ(types.back(), "done");
}

TEST_F(EncryptionTest, NativeChatCompletionEncrypted) {
  auto res = send("POST", "/v1/chat/completions",
                  seal(R"({"model":"docent-extractive","messages":[{"role":"user","content":"hello"}]})"));
  ASSERT_EQ(res.status, 200) << res.body;
  const json::value completion = json::parse(open(res));
  EXPECT_EQ(completion.at("object"), "chat.completion") << completion;
}

TEST_F(EncryptionTest, AnEncryptedFilePartIsStoredAsItsPlaintext) {
  const std::string text = "Quarterly figures, sealed in transit.\nSecond line.\n";
  const std::string boundary = "enc";
  const std::string body = multipart_body(boundary,
                                          {{"purpose", "", "", "assistants"},
                                           {"file", "figures.txt",
                                            std::string(kEncryptedPartType) + "; type=text/plain", seal(text)}});
  auto res = client.request("POST", "/v1/files", body,
                            {{"Authorization", "Bearer " + key()},
                             {"X-Encryption", "v1"},
                             {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ASSERT_EQ(res.status, 200) << res.body;
  const json::value file = res.json();
  EXPECT_EQ(file.at("bytes").to_number<int64_t>(), static_cast<int64_t>(text.size())) << file;
  auto content = client.get("/v1/files/" + str(file.at("id")) + "/content", bearer(key()));
  ASSERT_EQ(content.status, 200);
  EXPECT_EQ(content.body, text);

  // And downloaded encrypted: a file response becomes one envelope, its type in a header.
  auto sealed = client.get("/v1/files/" + str(file.at("id")) + "/content",
                           {{"Authorization", "Bearer " + key()}, {"Accept-Encryption", "v1"}});
  ASSERT_EQ(sealed.status, 200);
  EXPECT_EQ(sealed.body.find("Quarterly"), std::string::npos);
  EXPECT_EQ(open(sealed), text);
  EXPECT_EQ(sealed.header("x-encryption-content-type"), content.header("content-type"));
}

TEST_F(EncryptionTest, ATamperedFilePartIsRefusedInTheSpherechatEnvelope) {
  std::string envelope = seal("%PDF-1.4 not really");
  envelope[envelope.find("\"ct\":\"") + 7] ^= 0x01;
  const std::string body = multipart_body("enc", {{"file", "invoice.pdf", std::string(kEncryptedPartType), envelope}});
  auto res = client.request("POST", "/api/pdf/invoice", body,
                            {{"Authorization", "Bearer " + key()},
                             {"X-Encryption", "v1"},
                             {"Content-Type", "multipart/form-data; boundary=enc"}});
  expect_refused(res);
  EXPECT_EQ(res.json().at("success"), false) << res.body;
}

TEST_F(EncryptionTest, RefusalsAreOneMessageInTheFacesEnvelope) {
  const std::string good = seal(R"({"message":"hi"})");
  auto o = json::parse(good).as_object();
  auto with = [&](std::string_view field, json::value v) {
    auto copy = o;
    copy[field] = std::move(v);
    return json::serialize(copy);
  };
  auto flip = [&](std::string_view field) {
    std::string raw = *core::crypto::base64_decode(o.at(field).as_string());
    raw[0] ^= 0x01;
    return with(field, json::value(core::crypto::base64_encode(raw)));
  };
  const int64_t now = core::unix_seconds_now();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ciphertext bit", flip("ct")},
      {"mac bit", flip("mac")},
      {"iv bit", flip("iv")},
      {"old timestamp", seal(R"({"message":"hi"})", now - 3600)},
      {"future timestamp", seal(R"({"message":"hi"})", now + 3600)},
      {"truncated", good.substr(0, good.size() - 20)},
      {"bad base64", with("ct", "***")},
      {"wrong version", with("v", 2)},
      {"wrong key", core::crypto::seal_payload(PayloadKeys::derive("dk_someone_else"), PayloadDirection::Request,
                                               R"({"message":"hi"})", now)},
      {"a response envelope", core::crypto::seal_payload(keys(), PayloadDirection::Response, "{}", now)},
      {"not an envelope", R"({"message":"hi"})"},
  };
  for (const auto& [what, envelope] : cases) {
    SCOPED_TRACE(what);
    auto res = send("POST", "/api/chat", envelope);
    expect_refused(res);
    // The chatbot face's envelope: {"error": {"code", "message"}}.
    EXPECT_TRUE(res.json().at("error").is_object()) << res.body;
  }
}

TEST_F(EncryptionTest, AnExactReplayIsRefused) {
  const std::string envelope = seal(R"({"name":"Only once"})");
  EXPECT_EQ(send("POST", "/v1/folders", envelope).status, 201);
  expect_refused(send("POST", "/v1/folders", envelope));
}

TEST_F(EncryptionTest, AnUnknownVersionHeaderIsRefused) {
  expect_refused(client.request("POST", "/v1/folders", seal(R"({"name":"x"})"),
                                {{"Authorization", "Bearer " + key()},
                                 {"X-Encryption", "v2"},
                                 {"Content-Type", std::string(kEncryptedJsonType)}}));
  auto res = client.get("/v1/folders", {{"Authorization", "Bearer " + key()}, {"Accept-Encryption", "v9"}});
  expect_refused(res);
}

TEST_F(EncryptionTest, AnEnvelopeWithoutTheHeaderIsRefused) {
  auto res = client.request("POST", "/v1/folders", seal(R"({"name":"x"})"),
                            {{"Authorization", "Bearer " + key()}, {"Content-Type", std::string(kEncryptedJsonType)}});
  expect_refused(res);
}

TEST_F(EncryptionTest, DevicesAndPublicRoutesHaveNoKeyToDeriveFrom) {
  const std::string device = "encryption-test-device-0001";
  auto dev = client.post_json("/auth/register-device", R"({"deviceId":")" + device + R"("})");
  ASSERT_EQ(dev.status, 200) << dev.body;
  auto res = client.get("/user/quota", {{"Device-Id", device}, {"Accept-Encryption", "v1"}});
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_NE(res.body.find("needs an API key"), std::string::npos) << res.body;

  auto pub = client.request("POST", "/v1/echo", seal("{}"),
                            {{"X-Encryption", "v1"}, {"Content-Type", std::string(kEncryptedJsonType)}});
  EXPECT_EQ(pub.status, 400) << pub.body;
  EXPECT_NE(pub.body.find("needs an API key"), std::string::npos) << pub.body;
}

TEST_F(EncryptionTest, NexusStreamWithXApiKey) {
  auto res = client.request("POST", "/api/process/text", seal(R"({"message":"hello"})"),
                            {{"X-API-Key", key()},
                             {"X-Encryption", "v1"},
                             {"Accept-Encryption", "v1"},
                             {"Content-Type", std::string(kEncryptedJsonType)}});
  ASSERT_EQ(res.status, 200) << res.body;
  const auto events = open_events(res);
  ASSERT_FALSE(events.empty()) << res.body;
  EXPECT_TRUE(json::parse(events.back()).as_object().contains("complete")) << events.back();
}

}  // namespace
}  // namespace docent::testing
