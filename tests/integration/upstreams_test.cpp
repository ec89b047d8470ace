// Several upstreams, routed by model name, through the real binary: two docent instances (each
// with only its built-in engine) are [llm.upstreams.NAME] of a third. "first" is configured with
// a fixed model list that leaves docent-extractive out, so only "second" serves it; which
// upstream got a request is read from that upstream's own /metrics.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


std::string base_url(const ServerProcess& s) { return "http://127.0.0.1:" + std::to_string(s.port()) + "/v1"; }

// How many POST /v1/chat/completions `server` answered with `status`.
int chat_count(const ServerProcess& server, int status) {
  auto m = HttpClient(server.port()).get("/metrics").body;
  const std::string needle = R"(docent_http_requests_total{route="/v1/chat/completions",method="POST",status=")" +
                             std::to_string(status) + "\"} ";
  auto at = m.find(needle);
  return at == std::string::npos ? 0 : std::stoi(m.substr(at + needle.size()));
}

// An upstream counts a request once it has written the answer, which may be a moment after the
// front relayed it: wait (bounded) for the count to reach `expected`.
int wait_chat_count(const ServerProcess& server, int status, int expected) {
  int n = chat_count(server, status);
  for (int i = 0; i < 100 && n < expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    n = chat_count(server, status);
  }
  return n;
}

// The docent.toml of the front: `allow_private` decides whether loopback upstreams are allowed.
std::string front_toml(const ServerProcess& first, const ServerProcess& second, bool allow_private) {
  return std::string("[llm]\nallow_private = ") + (allow_private ? "true" : "false") +
         "\n"
         "[llm.upstreams.first]\n"
         "url = \"" +
         base_url(first) +
         "\"\n"
         "key = \"" +
         first.admin_key() +
         "\"\n"
         "models = [\"house-model\"]\n"
         "[llm.upstreams.second]\n"
         "url = \"" +
         base_url(second) +
         "\"\n"
         "key = \"" +
         second.admin_key() + "\"\n";
}

class UpstreamsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    first_ = new ServerProcess();
    second_ = new ServerProcess();
    dir_ = new TempDir();
    config_ = dir_->path() / "front.toml";
    std::ofstream(config_) << front_toml(*first_, *second_, true);
    ServerOptions o;
    o.args = {"--config", config_.string()};
    front_ = new ServerProcess(o);
  }
  static void TearDownTestSuite() {
    delete front_;
    delete second_;
    delete first_;
    delete dir_;
    front_ = second_ = first_ = nullptr;
    dir_ = nullptr;
  }

  static ServerProcess* first_;
  static ServerProcess* second_;
  static ServerProcess* front_;
  static TempDir* dir_;
  static std::filesystem::path config_;
  HttpClient front{front_->port()};
};
ServerProcess* UpstreamsTest::first_ = nullptr;
ServerProcess* UpstreamsTest::second_ = nullptr;
ServerProcess* UpstreamsTest::front_ = nullptr;
TempDir* UpstreamsTest::dir_ = nullptr;
std::filesystem::path UpstreamsTest::config_;

const std::string kFactChat =
    R"({"model":"docent-extractive","messages":[
         {"role":"system","content":"Visitors park in the quokka lot behind building seven. The canteen closes at three."},
         {"role":"user","content":"Where do visitors park?"}]})";

TEST_F(UpstreamsTest, ModelsListEveryUpstreamsModelsOwnedByThatUpstream) {
  auto res = front.get("/v1/models", bearer(front_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  std::map<std::string, std::string> owner;
  std::vector<std::string> order;
  json::value listed = res.json();
  for (const auto& m : listed.at("data").as_array()) {
    const std::string id(m.at("id").as_string());
    EXPECT_EQ(owner.count(id), 0u) << "listed twice: " << id;
    owner[id] = std::string(m.at("owned_by").as_string());
    order.push_back(id);
  }
  EXPECT_EQ(owner["house-model"], "first") << res.body;         // its configured list
  EXPECT_EQ(owner["docent-extractive"], "second") << res.body;  // from second's GET /models
  EXPECT_EQ(owner["docent-hashed-v1"], "second") << res.body;
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.front(), "house-model");  // routing order: first, then second

  auto one = front.get("/v1/models/docent-extractive", bearer(front_->admin_key()));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json().at("owned_by"), "second");
}

TEST_F(UpstreamsTest, AModelOnlyTheSecondUpstreamServesIsRoutedThere) {
  const int first_before = chat_count(*first_, 200);
  const int second_before = chat_count(*second_, 200);
  auto res = front.post_json("/v1/chat/completions", kFactChat, bearer(front_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("choices").at(0).at("message").at("content"),
            "Visitors park in the quokka lot behind building seven. [1]");
  EXPECT_EQ(wait_chat_count(*second_, 200, second_before + 1), second_before + 1);
  EXPECT_EQ(chat_count(*first_, 200), first_before);
}

TEST_F(UpstreamsTest, AModelTheFirstUpstreamIsConfiguredWithIsSentToIt) {
  // first is a docent that does not know "house-model": it answers 404, which reaches the
  // client as an upstream error, and first's own metrics show the request arrived there.
  const int first_before = chat_count(*first_, 404);
  const int second_before = chat_count(*second_, 404);
  auto res = front.post_json("/v1/chat/completions",
                             R"({"model":"house-model","messages":[{"role":"user","content":"hi"}]})",
                             bearer(front_->admin_key()));
  EXPECT_EQ(res.status, 502) << res.body;
  EXPECT_EQ(res.json().at("error").at("code"), "UPSTREAM_ERROR") << res.body;
  EXPECT_EQ(wait_chat_count(*first_, 404, first_before + 1), first_before + 1);
  EXPECT_EQ(chat_count(*second_, 404), second_before);
}

TEST_F(UpstreamsTest, AModelNoUpstreamServesIsA404NamingTheModel) {
  auto res = front.post_json("/v1/chat/completions",
                             R"({"model":"nobody-has-this","messages":[{"role":"user","content":"hi"}]})",
                             bearer(front_->admin_key()));
  EXPECT_EQ(res.status, 404) << res.body;
  EXPECT_EQ(res.json().at("error").at("param"), "model");
}

TEST_F(UpstreamsTest, ConfigMasksEveryUpstreamKey) {
  auto r = run_docent({"config", "--config", config_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find(first_->admin_key()), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(second_->admin_key()), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[llm.upstreams.second]"), std::string::npos) << r.out;
}

TEST_F(UpstreamsTest, ALoopbackUpstreamIsRefusedUnlessPrivateAddressesAreAllowed) {
  TempDir dir;
  const auto path = dir.path() / "strict.toml";
  std::ofstream(path) << front_toml(*first_, *second_, false);
  auto serve = run_docent(
      {"serve", "--port", "0", "--data", (dir.path() / "data").string(), "--config", path.string()});
  EXPECT_NE(serve.exit_code, 0);
  EXPECT_NE((serve.out + serve.err).find("llm.upstreams.first.url"), std::string::npos) << serve.out << serve.err;
}

}  // namespace
}  // namespace docent::testing
