// A device's plan on every face: its questions and files count wherever it spends them, running
// out is a 429 in the face's envelope before any stream starts, with one code per face (the
// seed's own where it documents one), and the device id is accepted in the seed's spellings.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>

namespace docent::testing {
namespace {

namespace json = boost::json;

class QuotaFacesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // One question and one file a day: the second of either is over the plan.
    std::ofstream(dir_->path() / "docent.toml") << "[plans.free]\nquestionPerDay = 1\nfilePerDay = 1\n";
    ServerOptions o;
    o.args = {"--config", (dir_->path() / "docent.toml").string()};
    server_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  Headers device(const std::string& id) {
    auto reg = client.post_json("/auth/register-device", R"({"deviceId":")" + id + R"("})");
    EXPECT_EQ(reg.status, 200) << reg.body;
    return {{"Device-Id", id}};
  }
  static std::string pdf() { return make_pdf({{"Invoice No: INV-1", "The axolotl regrows its limbs."}}); }
  HttpResponse multipart(const std::string& path, const Headers& who, std::vector<MultipartPart> parts = {}) {
    parts.push_back({"file", "doc.pdf", "application/pdf", pdf()});
    Headers h = who;
    h.emplace_back("Content-Type", "multipart/form-data; boundary=qb");
    return client.request("POST", path, multipart_body("qb", parts), h);
  }
  // A device with a conversation about a PDF; the upload is its file of the day.
  std::string conversation_source(const Headers& who) {
    auto res = multipart("/upload/register-file", who);
    EXPECT_EQ(res.status, 200) << res.body;
    return std::string(res.json().at("data").at("conversation").at("sourceId").as_string());
  }
  static void expect_json_429(const HttpResponse& res, const std::string& what) {
    EXPECT_EQ(res.status, 429) << what << ": " << res.body.substr(0, 300);
    EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u)
        << what << ": " << res.header("content-type");
  }

  static TempDir* dir_;
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
TempDir* QuotaFacesTest::dir_ = nullptr;
ServerProcess* QuotaFacesTest::server_ = nullptr;

TEST_F(QuotaFacesTest, DeviceIdHeaderWithoutTheHyphenIsAccepted) {
  const std::string id = "quota-faces-header-device";
  device(id);
  for (const char* name : {"Device-Id", "Device-ID", "DeviceId", "deviceid"}) {
    auto res = client.get("/user/quota", {{name, id}});
    EXPECT_EQ(res.status, 200) << name << ": " << res.body;
  }
  auto unknown = client.get("/user/quota", {{"DeviceId", "never-registered"}});
  EXPECT_EQ(unknown.status, 401) << unknown.body;
}

TEST_F(QuotaFacesTest, QuotaExhaustedStreamingChatIs429BeforeTheStream) {
  auto who = device("quota-faces-stream-device");
  const std::string source = conversation_source(who);
  const std::string chatting = "/messages/chatting?sourceId=" + source + "&message=What%20regrows%3F";
  auto first = client.get(chatting, who);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("content-type"), "text/event-stream");

  // The day's one question is spent: every streaming route answers 429 in its face's envelope.
  auto chatpdf = client.get(chatting, who);
  expect_json_429(chatpdf, "chatpdf chatting");
  EXPECT_EQ(chatpdf.json().at("success"), false);
  EXPECT_EQ(chatpdf.json().at("code"), "QUOTA_EXCEEDED");

  auto summary = client.get("/conversations/summarize?sourceId=" + source, who);
  expect_json_429(summary, "chatpdf summarize");
  EXPECT_EQ(summary.json().at("code"), "QUOTA_EXCEEDED");

  auto chatbot = client.post_json("/api/chat", R"({"message":"What regrows?","stream":true})", who);
  expect_json_429(chatbot, "chatbot stream");
  EXPECT_EQ(chatbot.json().at("error").at("code"), "RATE_LIMITED");

  auto nexus = client.post_json("/api/process/text", R"({"message":"What regrows?"})", who);
  expect_json_429(nexus, "nexus process/text");
  EXPECT_EQ(nexus.json().at("error_code"), "RATE_LIMIT_EXCEEDED");

  auto conv = client.post_json("/v1/conversations", "{}", who);
  ASSERT_EQ(conv.status, 201) << conv.body;
  auto native = client.post_json("/v1/conversations/" + std::string(conv.json().at("id").as_string()) + "/messages",
                                 R"({"content":"What regrows?","stream":true})", who);
  expect_json_429(native, "native conversation stream");
  EXPECT_EQ(native.json().at("error").at("code"), "QUOTA_EXCEEDED");
}

TEST_F(QuotaFacesTest, AnAnswerThatFailsBeforeItsFirstPieceIsAJsonErrorNotAStream) {
  auto who = device("quota-faces-early-failure-device");
  const std::string source = conversation_source(who);
  // Nothing was asked yet, so there is nothing to answer again: found inside the answer, before
  // any piece of it, and still the face's JSON error rather than 200 and an error event.
  auto res = client.get("/messages/chatting?sourceId=" + source + "&isReGenerate=true", who);
  EXPECT_EQ(res.status, 400) << res.body;
  EXPECT_EQ(res.header("content-type").rfind("application/json", 0), 0u) << res.header("content-type");
  EXPECT_EQ(res.json().at("success"), false);
  EXPECT_EQ(res.json().at("field"), "regenerate");
}

TEST_F(QuotaFacesTest, QuotaExhaustionIsOneCodePerFaceStreamingOrNot) {
  auto who = device("quota-faces-code-device");
  auto first = client.post_json("/api/chat", R"({"message":"hello"})", who);
  ASSERT_EQ(first.status, 200) << first.body;
  for (const char* stream : {"false", "true"}) {
    auto res = client.post_json("/api/chat", std::string(R"({"message":"hello again","stream":)") + stream + "}", who);
    expect_json_429(res, std::string("chatbot stream=") + stream);
    EXPECT_EQ(res.json().at("error").at("code"), "RATE_LIMITED") << stream;
  }
}

TEST_F(QuotaFacesTest, NativeChatCountsAgainstTheDevicesQuestionsAnd429sBeforeTheStream) {
  auto who = device("quota-faces-native-device");
  const std::string chat = R"({"messages":[{"role":"user","content":"hello"}],"stream":)";
  auto first = client.post_json("/v1/chat/completions", chat + "false}", who);
  ASSERT_EQ(first.status, 200) << first.body;
  for (const char* stream : {"false", "true"}) {
    auto res = client.post_json("/v1/chat/completions", chat + stream + "}", who);
    expect_json_429(res, std::string("chat/completions stream=") + stream);
    EXPECT_EQ(res.json().at("error").at("code"), "QUOTA_EXCEEDED");
    EXPECT_EQ(res.json().at("error").at("type"), "rate_limit_error");
    auto responses = client.post_json("/v1/responses", std::string(R"({"input":"hello","stream":)") + stream + "}",
                                      who);
    expect_json_429(responses, std::string("responses stream=") + stream);
  }
  // The question spent on /v1 is gone on the chatbot face too.
  auto other_face = client.post_json("/api/chat", R"({"message":"hello"})", who);
  expect_json_429(other_face, "chatbot after /v1 spent the question");
}

TEST_F(QuotaFacesTest, AFreeDevicesDailyFileCountsOnTheSpherechatFace) {
  auto who = device("quota-faces-spherechat-device");
  auto first = multipart("/api/pdf/invoice", who);
  ASSERT_EQ(first.status, 200) << first.body;
  auto second = multipart("/api/pdf/invoice", who);
  expect_json_429(second, "second invoice of the day");
  EXPECT_EQ(second.json().at("success"), false);
  EXPECT_EQ(second.json().at("message"), "Too Many Requests");

  // The count is the device's, whichever face spent it.
  auto elsewhere = multipart("/upload/register-file", who);
  expect_json_429(elsewhere, "chatpdf upload after a spherechat one");
  auto other = device("quota-faces-spherechat-device-2");
  conversation_source(other);
  auto after_chatpdf = multipart("/api/pdf/po", other);
  expect_json_429(after_chatpdf, "spherechat after a chatpdf upload");
  auto native = multipart("/v1/extractions", other, {{"kind", "", "", "invoice"}});
  expect_json_429(native, "native extraction after a chatpdf upload");
}

// A refusal says the same facts in every face's envelope, and a refused question changes no
// counter: /user/quota and GET /v1/usage read one spent question throughout.
TEST_F(QuotaFacesTest, QuotaRefusalsCarryOneSetOfDetailsOnEveryFaceAndCountNothing) {
  auto who = device("quota-faces-details-device");
  auto before = client.get("/user/quota", who);
  ASSERT_EQ(before.status, 200) << before.body;
  const auto remaining = before.json().at("data").at("quota").at("remainingQuestions");
  auto first = client.post_json("/api/chat", R"({"message":"hello"})", who);
  ASSERT_EQ(first.status, 200) << first.body;
  auto spent = client.get("/user/quota", who);
  ASSERT_EQ(spent.status, 200) << spent.body;
  EXPECT_EQ(spent.json().at("data").at("quota").at("remainingQuestions").as_int64(), remaining.as_int64() - 1);

  auto check = [&](const HttpResponse& res, const json::value& details, const std::string& what) {
    expect_json_429(res, what);
    EXPECT_EQ(details.at("metric"), "questions") << what << ": " << res.body;
    EXPECT_EQ(details.at("period"), "day") << what;
    EXPECT_EQ(details.at("limit"), 1) << what;
    EXPECT_EQ(details.at("used"), 1) << what;
    EXPECT_EQ(details.at("plan"), "free") << what;
    EXPECT_TRUE(details.at("resets_at").is_string()) << what;
  };
  auto chatbot = client.post_json("/api/chat", R"({"message":"hello"})", who);
  check(chatbot, chatbot.json().at("error").at("details"), "chatbot");
  auto nexus = client.post_json("/api/process/text", R"({"message":"hello"})", who);
  check(nexus, nexus.json().at("details"), "nexus");
  auto native = client.post_json("/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}]})", who);
  check(native, native.json().at("error").at("details"), "native");
  auto responses = client.post_json("/v1/responses", R"({"input":"hi"})", who);
  check(responses, responses.json().at("error").at("details"), "native responses");

  auto after = client.get("/user/quota", who);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(after.json().at("data").at("quota").at("remainingQuestions"),
            spent.json().at("data").at("quota").at("remainingQuestions"));
  auto usage = client.get("/v1/usage", who);
  ASSERT_EQ(usage.status, 200) << usage.body;
  EXPECT_EQ(usage.json().at("today").at("questions").at("used"), 1);
  EXPECT_EQ(usage.json().at("today").at("questions").at("remaining"), 0);
}

// A refused upload stores nothing: the file count stays, chatpdf answers its own envelope with
// the same details, and spherechat's refusal carries them too.
TEST_F(QuotaFacesTest, ARefusedUploadStoresNoFileOnAnyFace) {
  auto who = device("quota-faces-refused-upload-device");
  conversation_source(who);
  auto files_before = client.get("/v1/files", who);
  ASSERT_EQ(files_before.status, 200) << files_before.body;
  const auto count = files_before.json().at("data").as_array().size();
  auto chatpdf = multipart("/upload/register-file", who);
  expect_json_429(chatpdf, "chatpdf second upload");
  EXPECT_EQ(chatpdf.json().at("code"), "QUOTA_EXCEEDED");
  EXPECT_EQ(chatpdf.json().at("details").at("metric"), "files");
  auto sphere = multipart("/api/pdf/dc", who);
  expect_json_429(sphere, "spherechat after the day's file");
  EXPECT_EQ(sphere.json().at("details").at("metric"), "files");
  auto native = multipart("/v1/files", who, {{"purpose", "", "", "assistants"}});
  expect_json_429(native, "native upload");
  EXPECT_EQ(native.json().at("error").at("details").at("period"), "day");
  auto files_after = client.get("/v1/files", who);
  ASSERT_EQ(files_after.status, 200) << files_after.body;
  EXPECT_EQ(files_after.json().at("data").as_array().size(), count);
  auto usage = client.get("/v1/usage", who);
  EXPECT_EQ(usage.json().at("today").at("files").at("used"), 1) << usage.body;
}

}  // namespace
}  // namespace docent::testing
