// Upstreams the operator configures (issue 16, item 6): a model server on loopback is the common
// self-hosted case and needs no allow-private setting, and `--llm-url` alone is enough: the first
// model the upstream lists answers every face and `docent ask` when nothing names a model.
// The upstream is tests/integration/fake_chat_upstream.py (two models, "local-first" listed first)
// or a second docent.

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

// The fake local model server, stopped when destroyed.
class LocalModelServer {
 public:
  explicit LocalModelServer(const std::filesystem::path& dir) : log_(dir / "models.log") {
    auto port_file = dir / "port";
    auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                                 "/tests/integration/fake_chat_upstream.py' '" + log_.string() + "' > '" +
                                 port_file.string() + "' & echo $!");
    pid_ = code == 0 ? std::stoi(out) : -1;
    for (int i = 0; i < 400 && port_.empty(); ++i) {
      std::ifstream in(port_file);
      std::getline(in, port_);
      if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~LocalModelServer() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }
  std::string url() const { return "http://127.0.0.1:" + port_ + "/v1"; }
  // The models the chat requests named, one per line.
  std::string requested_models() const { return read_file(log_); }

 private:
  std::filesystem::path log_;
  int pid_ = -1;
  std::string port_;
};

TEST(OperatorUpstream, ALoopbackLlmUrlStartsWithoutAnyAllowPrivateSettingAndAnswersChat) {
  ServerProcess upstream;
  // Nothing but the URL and its key: no llm.allow_private anywhere.
  ServerProcess front({.args = {"--llm-url", "http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1"},
                       .env = {{"DOCENT_LLM_KEY", upstream.admin_key()}}});
  HttpClient c(front.port());
  auto res = c.post_json(
      "/v1/chat/completions",
      R"({"model":"docent-extractive","messages":[{"role":"user","content":"Quokkas live on Rottnest. Where do quokkas live?"}]})",
      bearer(front.admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  // The upstream counts a request once its answer is written, which may be just after the front
  // has read it: look for up to five seconds.
  const std::string counted =
      R"(docent_http_requests_total{route="/v1/chat/completions",method="POST",status="200"} 1)";
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = HttpClient(upstream.port()).get("/metrics").body;
    if (metrics.find(counted) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(metrics.find(counted), std::string::npos) << "the upstream on loopback answered the chat";
  // The same holds for the embeddings URL, from the environment.
  ServerProcess with_embeddings(
      {.env = {{"DOCENT_EMBEDDINGS_URL", "http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1"},
               {"DOCENT_EMBEDDINGS_KEY", upstream.admin_key()}}});
  auto e = HttpClient(with_embeddings.port())
               .post_json("/v1/embeddings", R"({"model":"docent-hashed-v1","input":"quokka"})",
                          bearer(with_embeddings.admin_key()));
  EXPECT_EQ(e.status, 200) << e.body;
}

TEST(OperatorUpstream, ServeWithOnlyTheLlmUrlAnswersEveryFaceWithTheUpstreamsFirstModel) {
  TempDir dir;
  LocalModelServer local(dir.path());
  ServerProcess front({.args = {"--llm-url", local.url()}});
  HttpClient c(front.port());

  auto completion = c.post_json("/v1/chat/completions", R"({"messages":[{"role":"user","content":"Hello?"}]})",
                                bearer(front.admin_key()));
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(completion.json().at("model"), "local-first");
  EXPECT_EQ(completion.json().at("choices").at(0).at("message").at("content"), "Answered by local-first.");

  // A seed face (chatbot) that names no model gets the same default.
  auto chat = c.post_json("/api/chat", R"({"message":"Hello?","stream":false})", bearer(front.admin_key()));
  ASSERT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(chat.json().at("model"), "local-first") << chat.body;

  auto models = c.get("/v1/models", bearer(front.admin_key()));
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(models.json().at("data").at(0).at("id"), "local-first") << "the list comes from the upstream";
  EXPECT_EQ(local.requested_models().find("docent-extractive"), std::string::npos) << local.requested_models();
}

TEST(OperatorUpstream, AskWithOnlyTheLlmUrlUsesTheUpstreamsFirstModel) {
  TempDir dir;
  LocalModelServer local(dir.path());
  std::ofstream(dir.path() / "otters.md") << "# Otters\n\nSea otters hold hands while they sleep.\n";
  auto r = run_docent({"ask", "-f", (dir.path() / "otters.md").string(), "What do sea otters do while sleeping?",
                       "--llm-url", local.url(), "--data", (dir.path() / "d").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Answered by local-first."), std::string::npos) << r.out << r.err;
  EXPECT_NE(local.requested_models().find("local-first"), std::string::npos) << local.requested_models();
}

}  // namespace
}  // namespace docent::testing
