// Upload caps on every route that carries a file: content counts against server.max_upload_bytes
// and the plan's file size once decoded, in any encoding and on any face; over the cap is a 413
// in that face's envelope and nothing is stored. Content without an explicit encoding is text.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

namespace docent::testing {
namespace {

namespace json = boost::json;

constexpr size_t kUploadCap = 64 * 1024;
constexpr size_t kFreePlanFileSize = 4096;

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::string base32(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint64_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(alphabet[(buffer >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (5 - bits)) & 31]);
  while (out.size() % 8) out.push_back('=');
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(alphabet[(n >> k) & 63]);
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// Text of `n` bytes that is plain prose (so a sniffed type of text/plain).
std::string prose(size_t n) {
  std::string s;
  while (s.size() < n) s += "The axolotl regrows its limbs. ";
  s.resize(n);
  return s;
}

class UploadCapsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::ofstream(dir_->path() / "docent.toml") << "[plans.free]\nfileSize = " << kFreePlanFileSize << "\n";
    ServerOptions o;
    o.args = {"--config", (dir_->path() / "docent.toml").string(), "--set",
              "server.max_upload_bytes=" + std::to_string(kUploadCap)};
    server_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  Headers user(const std::string& login) { return bearer(create_user_key(client, server_->admin_key(), login)); }
  Headers device(const std::string& id) {
    auto reg = client.post_json("/auth/register-device", R"({"deviceId":")" + id + R"("})");
    EXPECT_EQ(reg.status, 200) << reg.body;
    return {{"Device-Id", id}};
  }
  size_t files_of(const Headers& who) {
    auto res = client.get("/v1/files?limit=100", who);
    EXPECT_EQ(res.status, 200) << res.body;
    return res.json().at("data").as_array().size();
  }
  HttpResponse sherpa_create(const std::string& file, const std::string& encoding, const Headers& who) {
    json::object body{{"name", "upload.txt"}, {"file", file}};
    if (!encoding.empty()) body["encoding"] = encoding;
    return client.post_json("/api/files/create", json::serialize(body), who);
  }

  static TempDir* dir_;
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
TempDir* UploadCapsTest::dir_ = nullptr;
ServerProcess* UploadCapsTest::server_ = nullptr;

TEST_F(UploadCapsTest, SherpaCreateRefusesDecodedContentOverTheUploadCap) {
  auto who = user("sherpa-cap");
  const std::string big = prose(kUploadCap + 1000);
  const std::vector<std::pair<std::string, std::string>> encodings = {{"base16", hex(big)},
                                                                      {"hex", hex(big)},
                                                                      {"base32", base32(big)},
                                                                      {"base64", base64(big)},
                                                                      {"", big}};
  for (const auto& [encoding, text] : encodings) {
    auto res = sherpa_create(text, encoding, who);
    EXPECT_EQ(res.status, 413) << encoding << ": " << res.body.substr(0, 300);
    auto body = res.json().as_object();
    EXPECT_EQ(body.at("code"), "PAYLOAD_TOO_LARGE") << encoding;
    EXPECT_EQ(body.at("field"), "file") << encoding;
    EXPECT_TRUE(body.at("error").is_string()) << encoding;
  }
  EXPECT_EQ(files_of(who), 0u);

  // Just under the cap, in the densest encoding, is stored.
  auto fits = sherpa_create(base64(prose(kUploadCap - 100)), "base64", who);
  EXPECT_EQ(fits.status, 200) << fits.body;
  EXPECT_EQ(files_of(who), 1u);
}

TEST_F(UploadCapsTest, SherpaCreateDecodedContentCountsAgainstThePlansFileSize) {
  auto who = device("upload-caps-plan-device");
  std::vector<std::vector<std::string>> pages(1);
  for (int i = 0; i < 200; ++i)
    pages[0].push_back("Line " + std::to_string(i) + " of a PDF larger than the plan allows");
  const std::string pdf = make_pdf(pages);
  ASSERT_GT(pdf.size(), kFreePlanFileSize);
  ASSERT_LT(pdf.size(), kUploadCap);
  auto res = sherpa_create(base64(pdf), "base64", who);
  EXPECT_EQ(res.status, 413) << res.body;
  EXPECT_EQ(res.json().at("code"), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(files_of(who), 0u);
}

TEST_F(UploadCapsTest, ContentWithoutEncodingIsStoredAsText) {
  auto who = user("sherpa-text");
  const std::string looks_like_hex = "48656c6c6f2c2068657820776f726c642e";  // "Hello, hex world." in Base16
  const std::string looks_like_base32 = "JBSWY3DPEBLW64TMMQQQ====";
  for (const auto& text : {looks_like_hex, looks_like_base32}) {
    auto res = sherpa_create(text, "", who);
    ASSERT_EQ(res.status, 200) << res.body;
    std::string guid = res.header("location").substr(std::string("/api/files/read/").size());
    auto dl = client.get("/api/files/download/" + guid, who);
    ASSERT_EQ(dl.status, 200) << dl.body;
    EXPECT_EQ(dl.body, text);
  }
  // An explicit encoding still decodes.
  auto res = sherpa_create(looks_like_hex, "base16", who);
  ASSERT_EQ(res.status, 200) << res.body;
  std::string guid = res.header("location").substr(std::string("/api/files/read/").size());
  EXPECT_EQ(client.get("/api/files/download/" + guid, who).body, "Hello, hex world.");
}

TEST_F(UploadCapsTest, SherpaCreateRefusesAnUnknownEncodingNamingIt) {
  auto res = sherpa_create("hello", "rot13", user("sherpa-enc"));
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(res.json().at("field"), "encoding");
}

TEST_F(UploadCapsTest, ChatbotKnowledgeEntryOverTheUploadCapIs413) {
  auto who = user("chatbot-knowledge-cap");
  json::object body{{"title", "big note"}, {"content", prose(kUploadCap + 10)}};
  auto res = client.post_json("/api/knowledge", json::serialize(body), who);
  EXPECT_EQ(res.status, 413) << res.body;
  EXPECT_EQ(res.json().at("error").at("code"), "PAYLOAD_TOO_LARGE");
  EXPECT_EQ(files_of(who), 0u);
}

// Every multipart route that takes a file: over the cap is a 413 in the face's own envelope.
TEST_F(UploadCapsTest, MultipartUploadOverTheCapIs413InEachFacesEnvelopeAndStoresNothing) {
  struct Case {
    std::string path;
    std::vector<MultipartPart> fields;
    std::function<void(const json::object&)> check_envelope;
  };
  auto openai_shape = [](const json::object& b) { EXPECT_EQ(b.at("error").at("code"), "PAYLOAD_TOO_LARGE"); };
  const std::vector<Case> cases =
      {
          {"/v1/files", {{"purpose", "", "", "assistants"}}, openai_shape},
          {"/v1/extractions", {{"kind", "", "", "invoice"}}, openai_shape},
          {"/api/files/uploadfile", {}, [](const json::object& b) { EXPECT_EQ(b.at("code"), "PAYLOAD_TOO_LARGE"); }},
          {"/api/files/upload", {}, openai_shape},  // chatbot: {"error": {"code", "message"}}
          {"/api/pdf/invoice",
           {},
           [](const json::object& b) {
    EXPECT_EQ(b.at("success"), false);
    EXPECT_EQ(b.at("message"), "Payload Too Large");
           }},
          {"/upload/register-file",
           {},
           [](const json::object& b) {
    EXPECT_EQ(b.at("success"), false);
    EXPECT_EQ(b.at("code"), "PAYLOAD_TOO_LARGE");
           }},
                          };
  auto who = user("multipart-cap");
  for (const auto& c : cases) {
    auto parts = c.fields;
    parts.push_back({"file", "big.pdf", "application/pdf", "%PDF-1.4\n" + prose(kUploadCap + 1000)});
    Headers h = who;
    h.emplace_back("Content-Type", "multipart/form-data; boundary=capb");
    auto res = client.request("POST", c.path, multipart_body("capb", parts), h);
    EXPECT_EQ(res.status, 413) << c.path << ": " << res.body;
    if (res.status == 413) c.check_envelope(res.json().as_object());
  }
  EXPECT_EQ(files_of(who), 0u);
  auto extractions = client.get("/v1/extractions", who);
  ASSERT_EQ(extractions.status, 200) << extractions.body;
  EXPECT_TRUE(extractions.json().at("data").as_array().empty());
}

}  // namespace
}  // namespace docent::testing
