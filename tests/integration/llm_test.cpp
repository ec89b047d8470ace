// Models through the real binary: the OpenAI routes on the built-in engine, and a second docent as
// the OpenAI-compatible upstream of the first (the real libcurl client over loopback), plus
// upstreams that misbehave (hang, reset, 500, malformed event streams) — each a clear 502
// UPSTREAM_ERROR, never a hung request — and a client that disconnects mid-stream.

#include "support/fake_upstream.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


// The "data:" payloads of an SSE body, in order.
std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    size_t end = body.find('\n', pos);
    out.push_back(body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  return out;
}

// A docent whose upstream is `url`, with small timeouts so misbehaving upstreams fail fast.
std::unique_ptr<ServerProcess> proxy_to(const std::string& url, const std::string& key = "none") {
  ServerOptions o;
  o.args = {"--llm-url", url,
            "--set",     "llm.allow_private=true",
            "--set",     "llm.read_timeout=2",
            "--set",     "llm.connect_timeout=2",
            "--set",     "llm.retries=1",
            "--set",     "llm.models_cache=0"};
  o.env = {{"DOCENT_LLM_KEY", key}};
  return std::make_unique<ServerProcess>(o);
}

class LlmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    upstream_ = new ServerProcess();
    ServerOptions o;
    o.args = {"--llm-url", "http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1",
              "--set",     "llm.allow_private=true",
              "--set",     "embeddings.url=http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1"};
    o.env = {{"DOCENT_LLM_KEY", upstream_->admin_key()}, {"DOCENT_EMBEDDINGS_KEY", upstream_->admin_key()}};
    front_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete front_;
    delete upstream_;
    front_ = upstream_ = nullptr;
  }

  std::string front_key() const { return front_->admin_key(); }
  std::string upstream_key() const { return upstream_->admin_key(); }

  // How many chat completions the upstream docent answered with 200 so far.
  int upstream_chat_count() {
    auto m = HttpClient(upstream_->port()).get("/metrics").body;
    const std::string needle =
        R"(docent_http_requests_total{route="/v1/chat/completions",method="POST",status="200"} )";
    auto at = m.find(needle);
    return at == std::string::npos ? 0 : std::stoi(m.substr(at + needle.size()));
  }

  // The upstream counts a stream once it has finished writing it, which may be a moment after
  // the front relayed [DONE]: wait (bounded) for the count to reach `expected`.
  int wait_upstream_chat_count(int expected) {
    int n = upstream_chat_count();
    for (int i = 0; i < 100 && n < expected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      n = upstream_chat_count();
    }
    return n;
  }

  static ServerProcess* upstream_;
  static ServerProcess* front_;
  HttpClient upstream{upstream_->port()};
  HttpClient front{front_->port()};
};
ServerProcess* LlmTest::upstream_ = nullptr;
ServerProcess* LlmTest::front_ = nullptr;

const std::string kFactChat =
    R"({"model":"docent-extractive","messages":[
         {"role":"system","content":"Visitors park in the quokka lot behind building seven. The canteen closes at three."},
         {"role":"user","content":"Where do visitors park?"}]})";

// ---- the built-in engine, served directly ----

TEST_F(LlmTest, ModelsListTheBuiltInEngineAndEmbedder) {
  auto res = upstream.get("/v1/models", bearer(upstream_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  EXPECT_EQ(o.at("object"), "list");
  std::set<std::string> ids;
  for (const auto& m : o.at("data").as_array()) {
    EXPECT_EQ(m.at("object"), "model");
    EXPECT_TRUE(m.at("created").is_int64());
    EXPECT_TRUE(m.at("owned_by").is_string());
    ids.insert(std::string(m.at("id").as_string()));
  }
  EXPECT_TRUE(ids.count("docent-extractive"));
  EXPECT_TRUE(ids.count("docent-hashed-v1"));

  auto one = upstream.get("/v1/models/docent-extractive", bearer(upstream_key()));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().at("id"), "docent-extractive");
  auto missing = upstream.get("/v1/models/gpt-9", bearer(upstream_key()));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json().at("error").at("param"), "model");
  EXPECT_EQ(upstream.get("/v1/models").status, 401);
}

TEST_F(LlmTest, BuiltInChatQuotesAndCitesTheConversationsOwnText) {
  auto res = upstream.post_json("/v1/chat/completions", kFactChat, bearer(upstream_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  EXPECT_EQ(o.at("object"), "chat.completion");
  EXPECT_EQ(o.at("model"), "docent-extractive");
  EXPECT_TRUE(o.at("created").is_int64());
  auto& choice = o.at("choices").as_array().at(0);
  EXPECT_EQ(choice.at("index"), 0);
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "Visitors park in the quokka lot behind building seven. [1]");
  auto& usage = o.at("usage");
  EXPECT_GT(usage.at("prompt_tokens").as_int64(), 0);
  EXPECT_EQ(usage.at("total_tokens").as_int64(),
            usage.at("prompt_tokens").as_int64() + usage.at("completion_tokens").as_int64());
}

TEST_F(LlmTest, BuiltInChatWithNothingToQuoteSaysPlainlyItNeedsAGenerativeModel) {
  auto res = upstream.post_json(
      "/v1/chat/completions",
      R"({"model":"docent-extractive","messages":[{"role":"user","content":"Write a haiku about autumn."}]})",
      bearer(upstream_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  std::string content(res.json().at("choices").at(0).at("message").at("content").as_string());
  EXPECT_NE(content.find("llm.url"), std::string::npos) << content;
  EXPECT_NE(content.find("generative model"), std::string::npos) << content;
  EXPECT_EQ(content.find("autumn"), std::string::npos) << content;  // nothing invented
}

TEST_F(LlmTest, BuiltInStreamSendsChunksUsageAndDone) {
  std::string req = kFactChat;
  req.insert(req.size() - 1, R"(,"stream":true,"stream_options":{"include_usage":true})");
  auto res = upstream.post_json("/v1/chat/completions", req, bearer(upstream_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(res.header("content-type").find("text/event-stream"), std::string::npos);
  auto events = sse_data(res.body);
  ASSERT_GE(events.size(), 3u) << res.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  bool saw_finish = false;
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    auto c = json::parse(events[i]).as_object();
    EXPECT_EQ(c.at("object"), "chat.completion.chunk");
    EXPECT_TRUE(c.at("usage").is_null());
    auto& ch = c.at("choices").as_array().at(0).as_object();
    if (auto* content = ch.at("delta").as_object().if_contains("content")) text += std::string(content->as_string());
    if (!ch.at("finish_reason").is_null()) saw_finish = true;
  }
  EXPECT_TRUE(saw_finish);
  EXPECT_EQ(text, "Visitors park in the quokka lot behind building seven. [1]");
  auto last = json::parse(events[events.size() - 2]).as_object();
  EXPECT_TRUE(last.at("choices").as_array().empty());
  EXPECT_GT(last.at("usage").at("total_tokens").as_int64(), 0);
}

TEST_F(LlmTest, BuiltInModelRefusesParametersItCannotHonour) {
  auto tools = upstream.post_json(
      "/v1/chat/completions",
      R"({"model":"docent-extractive","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]})",
      bearer(upstream_key()));
  ASSERT_EQ(tools.status, 400) << tools.body;
  EXPECT_EQ(tools.json().at("error").at("param"), "tools");
  EXPECT_EQ(tools.json().at("error").at("type"), "invalid_request_error");
  auto schema = upstream.post_json(
      "/v1/chat/completions",
      R"({"model":"docent-extractive","stream":true,"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x"}}})",
      bearer(upstream_key()));
  ASSERT_EQ(schema.status, 400) << schema.body;
  EXPECT_EQ(schema.json().at("error").at("param"), "response_format");
}

TEST_F(LlmTest, BadChatInputIsA400NamingTheField) {
  struct Case {
    std::string body, param;
  };
  const std::vector<Case> cases = {
      {R"({"model":"docent-extractive","messages":"hello"})", "messages"},
      {R"({"model":"docent-extractive"})", "messages"},
      {R"({"model":"docent-extractive","messages":[]})", "messages"},
      {R"({"model":"docent-extractive","messages":[{"role":"wizard","content":"x"}]})", "messages[0].role"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"temperature":"hot"})",
       "temperature"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"n":2})", "n"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"max_tokens":"ten"})", "max_tokens"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
      {R"({"model":"docent-extractive","messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop"},
      {R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"model":"no-such-model","messages":[{"role":"user","content":"x"}]})", "model"},
  };
  for (const auto& c : cases) {
    auto res = upstream.post_json("/v1/chat/completions", c.body, bearer(upstream_key()));
    EXPECT_TRUE(res.status == 400 || res.status == 404) << c.body << " -> " << res.status;
    ASSERT_TRUE(res.json().at("error").is_object()) << res.body;
    EXPECT_EQ(res.json().at("error").at("param"), json::value(c.param)) << c.body << " -> " << res.body;
  }
  auto malformed = upstream.post_json("/v1/chat/completions", R"({"model":"docent-extractive","messages":[)",
                                      bearer(upstream_key()));
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.json().at("error").at("code"), "INVALID_JSON");
}

TEST_F(LlmTest, EmbeddingsAsFloatsAndAsLittleEndianBase64Agree) {
  auto f = upstream.post_json("/v1/embeddings", R"({"model":"docent-hashed-v1","input":["quokka lot","parking"]})",
                              bearer(upstream_key()));
  ASSERT_EQ(f.status, 200) << f.body;
  auto fo = f.json().as_object();
  EXPECT_EQ(fo.at("object"), "list");
  EXPECT_EQ(fo.at("model"), "docent-hashed-v1");
  ASSERT_EQ(fo.at("data").as_array().size(), 2u);
  auto& v0 = fo.at("data").as_array()[0].at("embedding").as_array();
  EXPECT_EQ(v0.size(), 384u);
  EXPECT_EQ(fo.at("data").as_array()[1].at("index"), 1);
  EXPECT_GT(fo.at("usage").at("prompt_tokens").as_int64(), 0);

  auto b = upstream.post_json("/v1/embeddings",
                              R"({"model":"docent-hashed-v1","input":"quokka lot","encoding_format":"base64"})",
                              bearer(upstream_key()));
  ASSERT_EQ(b.status, 200) << b.body;
  std::string b64(b.json().at("data").at(0).at("embedding").as_string());
  // Decode base64 by hand and compare with the float answer.
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
  };
  std::string bytes;
  for (size_t i = 0; i + 3 < b64.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      int x = val(b64[i + k]);
      if (x < 0) ++pad, x = 0;
      n = (n << 6) | static_cast<uint32_t>(x);
    }
    bytes.push_back(static_cast<char>(n >> 16));
    if (pad < 2) bytes.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) bytes.push_back(static_cast<char>(n & 0xFF));
  }
  ASSERT_EQ(bytes.size(), 384u * 4);
  for (size_t i = 0; i < 384; ++i) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; ++k) bits |= uint32_t(static_cast<unsigned char>(bytes[i * 4 + k])) << (8 * k);
    float x;
    std::memcpy(&x, &bits, 4);
    EXPECT_FLOAT_EQ(x, static_cast<float>(v0[i].to_number<double>())) << i;
  }

  auto bad = upstream.post_json("/v1/embeddings", R"({"input":42})", bearer(upstream_key()));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json().at("error").at("param"), "input");
  auto fmt = upstream.post_json("/v1/embeddings", R"({"input":"x","encoding_format":"int8"})", bearer(upstream_key()));
  EXPECT_EQ(fmt.status, 400);
  EXPECT_EQ(fmt.json().at("error").at("param"), "encoding_format");
}

// ---- docent as the upstream of docent ----

TEST_F(LlmTest, FrontListsTheUpstreamsModels) {
  auto res = front.get("/v1/models", bearer(front_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  std::set<std::string> ids;
  json::value listed = res.json();
  for (const auto& m : listed.at("data").as_array()) ids.insert(std::string(m.at("id").as_string()));
  EXPECT_TRUE(ids.count("docent-extractive")) << res.body;
  EXPECT_TRUE(ids.count("docent-hashed-v1")) << res.body;
}

TEST_F(LlmTest, FrontChatGoesThroughTheUpstream) {
  const int before = upstream_chat_count();
  auto res = front.post_json("/v1/chat/completions", kFactChat, bearer(front_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("choices").at(0).at("message").at("content"),
            "Visitors park in the quokka lot behind building seven. [1]");
  EXPECT_GT(res.json().at("usage").at("total_tokens").as_int64(), 0);
  EXPECT_EQ(wait_upstream_chat_count(before + 1), before + 1);
}

TEST_F(LlmTest, FrontStreamGoesThroughTheUpstream) {
  const int before = upstream_chat_count();
  std::string req = kFactChat;
  req.insert(req.size() - 1, R"(,"stream":true,"stream_options":{"include_usage":true})");
  auto res = front.post_json("/v1/chat/completions", req, bearer(front_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  auto events = sse_data(res.body);
  ASSERT_GE(events.size(), 3u) << res.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    auto c = json::parse(events[i]).as_object();
    for (const auto& ch : c.at("choices").as_array()) {
      if (auto* content = ch.at("delta").as_object().if_contains("content")) text += std::string(content->as_string());
    }
  }
  EXPECT_EQ(text, "Visitors park in the quokka lot behind building seven. [1]");
  auto usage = json::parse(events[events.size() - 2]).as_object();
  EXPECT_GT(usage.at("usage").at("total_tokens").as_int64(), 0);
  EXPECT_EQ(wait_upstream_chat_count(before + 1), before + 1);
}

TEST_F(LlmTest, FrontEmbeddingsComeFromTheUpstream) {
  const std::string req = R"({"model":"docent-hashed-v1","input":["quokka lot"]})";
  auto direct = upstream.post_json("/v1/embeddings", req, bearer(upstream_key()));
  auto proxied = front.post_json("/v1/embeddings", req, bearer(front_key()));
  ASSERT_EQ(proxied.status, 200) << proxied.body;
  ASSERT_EQ(direct.status, 200);
  json::value dj = direct.json(), pj = proxied.json();
  auto& a = dj.at("data").at(0).at("embedding").as_array();
  auto& b = pj.at("data").at(0).at("embedding").as_array();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_FLOAT_EQ(float(a[i].to_number<double>()), float(b[i].to_number<double>()));
}

TEST_F(LlmTest, UpstreamRejectingOurKeyIsA502CarryingItsMessage) {
  auto bad = proxy_to("http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1", "dk_wrong");
  HttpClient c(bad->port());
  // A model the built-in engine does not serve, so the request has to go upstream.
  auto res = c.post_json("/v1/chat/completions",
                         R"({"model":"llama-3-8b","messages":[{"role":"user","content":"hi"}]})",
                         bearer(bad->admin_key()));
  ASSERT_EQ(res.status, 502) << res.body;
  EXPECT_EQ(res.json().at("error").at("code"), "UPSTREAM_ERROR");
  EXPECT_EQ(res.json().at("error").at("type"), "server_error");
  EXPECT_NE(res.json().at("error").at("message").as_string().find("401"), std::string::npos) << res.body;
}

TEST_F(LlmTest, PrivateUpstreamIsRefusedWhenTheOperatorTurnsPrivateOff) {
  auto r = run_docent({"config", "--llm-url", "http://127.0.0.1:1/v1", "--llm-key", "secret-upstream-key-123"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("secret-upstream-key-123"), std::string::npos) << r.out;  // masked
  TempDir dir;
  auto serve = run_docent({"serve", "--port", "0", "--data", dir.path().string(), "--llm-url", "http://127.0.0.1:1/v1",
                           "--set", "llm.allow_private=false"});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE((serve.out + serve.err).find("llm.allow_private"), std::string::npos) << serve.out << serve.err;
}

// ---- upstreams that misbehave ----

struct BrokenCase {
  FakeUpstream::Mode mode;
  std::string expect;  // in the error message
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << "mode " << static_cast<int>(c.mode); }

class BrokenUpstreamTest : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(BrokenUpstreamTest, IsAClear502UpstreamErrorStreamingOrNot) {
  FakeUpstream fake(GetParam().mode);
  auto server = proxy_to(fake.url());
  HttpClient c(server->port());
  for (bool stream : {false, true}) {
    std::string body = R"({"model":"some-upstream-model","messages":[{"role":"user","content":"hi"}])";
    body += stream ? R"(,"stream":true})" : "}";
    auto res = c.post_json("/v1/chat/completions", body, bearer(server->admin_key()));
    ASSERT_EQ(res.status, 502) << (stream ? "stream: " : "") << res.body;
    auto err = res.json().at("error");
    EXPECT_EQ(err.at("code"), "UPSTREAM_ERROR");
    EXPECT_EQ(err.at("type"), "server_error");
    EXPECT_NE(err.at("message").as_string().find(GetParam().expect), std::string::npos) << res.body;
  }
  // The model list degrades to the built-in models instead of failing.
  auto models = c.get("/v1/models", bearer(server->admin_key()));
  EXPECT_EQ(models.status, 200);
}

INSTANTIATE_TEST_SUITE_P(Modes, BrokenUpstreamTest,
                         ::testing::Values(BrokenCase{FakeUpstream::Mode::Hang, "llm.read_timeout"},
                                           BrokenCase{FakeUpstream::Mode::Reset, "upstream"},
                                           BrokenCase{FakeUpstream::Mode::Error500, "the model ran out of GPU memory"},
                                           BrokenCase{FakeUpstream::Mode::MalformedSse, "upstream"}),
                         [](const auto& info) {
  switch (info.param.mode) {
    case FakeUpstream::Mode::Hang: return std::string("Hang");
    case FakeUpstream::Mode::Reset: return std::string("Reset");
    case FakeUpstream::Mode::Error500: return std::string("Error500");
    case FakeUpstream::Mode::MalformedSse: return std::string("MalformedSse");
    default: return std::string("Other");
  }
});

TEST(UpstreamMidStream, AStreamCutBeforeDoneEndsWithAnErrorEventNotDone) {
  FakeUpstream fake(FakeUpstream::Mode::TruncatedStream);
  auto server = proxy_to(fake.url());
  HttpClient c(server->port());
  auto res = c.post_json("/v1/chat/completions",
                         R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})",
                         bearer(server->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;  // committed with the first chunk
  auto events = sse_data(res.body);
  ASSERT_EQ(events.size(), 2u) << res.body;
  EXPECT_NE(events[0].find("half "), std::string::npos);
  auto err = json::parse(events[1]).at("error");
  EXPECT_EQ(err.at("code"), "UPSTREAM_ERROR");
  EXPECT_NE(err.at("message").as_string().find("[DONE]"), std::string::npos) << events[1];
}

TEST(UpstreamCancellation, AClientThatDisconnectsMidStreamStopsTheUpstreamRequest) {
  FakeUpstream fake(FakeUpstream::Mode::EndlessStream);
  auto server = proxy_to(fake.url());
  HttpClient c(server->port());
  const std::string body = R"({"model":"endless","stream":true,"messages":[{"role":"user","content":"sing"}]})";
  std::string req = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + server->admin_key() +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  std::string got = c.raw_until(req, "la ");
  ASSERT_NE(got.find("la "), std::string::npos) << got;
  c.close_raw();
  // The upstream sees its connection closed (its next write fails). Bounded wait, not a timing claim.
  for (int i = 0; i < 300 && fake.closed_by_client() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fake.closed_by_client(), 1);
}

TEST(UpstreamCancellation, AConversationCutOffMidAnswerKeepsWhatWasSaidMarkedInterrupted) {
  FakeUpstream fake(FakeUpstream::Mode::EndlessStream);
  auto server = proxy_to(fake.url());
  HttpClient c(server->port());
  const Headers auth = bearer(server->admin_key());
  auto created = c.post_json("/v1/conversations", R"({"title":"song"})", auth);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id(created.json().at("id").as_string());
  const std::string body = R"({"content":"Sing me a song","model":"endless"})";
  std::string req = "POST /v1/conversations/" + id + "/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                    server->admin_key() +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body;
  std::string got = c.raw_until(req, "la ");
  ASSERT_NE(got.find("event: delta"), std::string::npos) << got;
  c.close_raw();
  for (int i = 0; i < 300 && fake.closed_by_client() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(fake.closed_by_client(), 1) << "the upstream request was stopped";

  // The question and what was said of the answer are stored; the answer is marked interrupted.
  json::value answer;
  for (int i = 0; i < 100; ++i) {
    auto page = c.get("/v1/conversations/" + id + "/messages", auth);
    ASSERT_EQ(page.status, 200) << page.body;
    const json::value listed = page.json();
    const auto& data = listed.at("data").as_array();
    if (!data.empty() && data[0].at("role") == "assistant") {
      answer = data[0];
      EXPECT_EQ(data.size(), 2u);
      EXPECT_EQ(data[1].at("content"), "Sing me a song");
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(answer.is_object()) << "no stored answer";
  EXPECT_EQ(answer.at("status"), "interrupted");
  const std::string content(answer.at("content").as_string());
  EXPECT_GE(content.size(), 3u);
  EXPECT_EQ(content.find_first_not_of("la "), std::string::npos) << content;
  EXPECT_EQ(answer.at("model"), "endless");
}

}  // namespace
}  // namespace docent::testing
