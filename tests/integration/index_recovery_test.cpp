// The vector index after a restart, against the real binary (issue 16 item 4): the server answers
// from its first second while the index opens in the background, searches meanwhile are full
// text and say so, SIGTERM stops a rebuild promptly (keeping its progress), and after kill -9 a
// start replays only what changed since the last checkpoint. A rebuild is made observable with
// the testing-only setting index.test_replay_pause_ms; no assertion depends on timing.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

// A text file of `paragraphs` paragraphs, each about a chunk long (the chunker's target is
// 1200 characters), each naming `word` once.
std::string long_text(const std::string& word, int paragraphs) {
  std::string out;
  for (int p = 0; p < paragraphs; ++p) {
    out += "Paragraph " + std::to_string(p) + " mentions the " + word + " once. ";
    for (int s = 0; s < 14; ++s) out += "Filler sentence number " + std::to_string(s) + " keeps the paragraph long. ";
    out += "\n\n";
  }
  return out;
}

HttpResponse upload(HttpClient& client, const std::string& key, const std::string& name, const std::string& text) {
  return client.request("POST", "/v1/files",
                        multipart_body("b0undary",
                                       {{"purpose", "", "", "assistants"}, {"file", name, "text/plain", text}}),
                        {{"Authorization", "Bearer " + key},
                         {"Content-Type", "multipart/form-data; boundary=b0undary"}});
}

// Uploads and waits (bounded) until ingested; returns the file id and its chunk count.
std::pair<std::string, int64_t> ingest(HttpClient& client, const std::string& key, const std::string& name,
                                       const std::string& text) {
  auto up = upload(client, key, name, text);
  EXPECT_EQ(up.status, 200) << up.body;
  if (up.status != 200) return {};
  const std::string id = str(up.json().at("id"));
  for (int i = 0; i < 600; ++i) {
    auto res = client.get("/v1/files/" + id, bearer(key));
    auto d = res.json().at("docent").as_object();
    if (d.at("status") == "processed") return {id, d.at("chunk_count").as_int64()};
    if (d.at("status") == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "file " << name << " was not ingested";
  return {};
}

json::object health(HttpClient& client) {
  auto res = client.get("/health");
  EXPECT_EQ(res.status, 200) << res.body;
  return res.status == 200 ? res.json().as_object() : json::object{};
}

// Waits (bounded) until /health says every check passes.
bool wait_ready(HttpClient& client) {
  for (int i = 0; i < 1200; ++i) {
    auto h = health(client);
    if (h.contains("ready") && h.at("ready").as_bool()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Waits (bounded) for the server's log line `message` and returns its key=value fields.
std::map<std::string, std::string> wait_log(const ServerProcess& server, const std::string& message) {
  for (int i = 0; i < 600; ++i) {
    const std::string err = server.stderr_text();
    if (auto at = err.find(message + " "); at != std::string::npos) {
      const std::string line = err.substr(at, err.find('\n', at) - at);
      std::map<std::string, std::string> fields;
      std::regex field(R"((\w+)=(\S+))");
      for (std::sregex_iterator it(line.begin(), line.end(), field), end; it != end; ++it) fields[(*it)[1]] = (*it)[2];
      return fields;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "no log line '" << message << "' in:\n" << server.stderr_text();
  return {};
}

// A data folder holding `chunks`-chunk file "rebuild.txt" that the checkpoint lacks: the
// server that ingested it was killed with SIGKILL before its first periodic checkpoint.
struct CrashedFolder {
  TempDir dir;
  std::string key;
  int64_t chunks = 0;
};

std::unique_ptr<CrashedFolder> crashed_folder() {
  auto folder = std::make_unique<CrashedFolder>();
  ServerProcess server(ServerOptions{.env = {{"DOCENT_LOG_LEVEL", "info"}}, .data_dir = folder->dir.path()});
  folder->key = server.admin_key();
  HttpClient client(server.port());
  EXPECT_TRUE(wait_ready(client));
  folder->chunks = ingest(client, folder->key, "rebuild.txt", long_text("wombat", 24)).second;
  EXPECT_GE(folder->chunks, 20);
  server.stop(SIGKILL);
  return folder;
}

ServerOptions slow_replay(const CrashedFolder& folder) {
  // A second a chunk: the replay outlasts every wait below.
  return ServerOptions{.args = {"--set", "index.test_replay_pause_ms=1000"},
                       .env = {{"DOCENT_LOG_LEVEL", "info"}},
                       .data_dir = folder.dir.path()};
}

TEST(IndexRecovery, HealthAnswersWhileTheIndexRebuilds) {
  auto folder = crashed_folder();
  ServerProcess server(slow_replay(*folder));
  HttpClient client(server.port());
  auto h = health(client);
  EXPECT_EQ(h.at("status"), "ok") << json::serialize(h);
  EXPECT_FALSE(h.at("ready").as_bool()) << json::serialize(h);
  const std::string check(h.at("checks").at("vector_index").as_string());
  EXPECT_EQ(check.rfind("rebuilding", 0), 0u) << check;
  EXPECT_EQ(h.at("checks").at("database"), "ok");
  // Soon it names the replay's progress (the body is rebuilt at most once a second).
  std::string later;
  for (int i = 0; i < 100 && later.find(" of ") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    later = std::string(health(client).at("checks").at("vector_index").as_string());
  }
  EXPECT_EQ(later.rfind("rebuilding", 0), 0u) << later;
  EXPECT_NE(later.find(" of " + std::to_string(folder->chunks) + " chunks"), std::string::npos) << later << "\n"
                                                                                                << server.stderr_text();
}

TEST(IndexRecovery, SearchDuringRebuildIsFullTextAndSaysSo) {
  auto folder = crashed_folder();
  ServerProcess server(slow_replay(*folder));
  HttpClient client(server.port());
  for (const char* mode : {"hybrid", "semantic"}) {
    auto res = client.post_json("/v1/search", std::string(R"({"query":"wombat","limit":5,"mode":")") + mode + "\"}",
                                bearer(folder->key));
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = res.json().as_object();
    ASSERT_TRUE(body.contains("degraded")) << mode << ": " << res.body;
    EXPECT_NE(std::string(body.at("degraded").as_string()).find("full-text"), std::string::npos);
    EXPECT_EQ(body.at("data").as_array().size(), 5u) << mode << ": " << res.body;
    EXPECT_NE(res.body.find("mentions the wombat"), std::string::npos);
  }
  auto text = client.post_json("/v1/search", R"({"query":"wombat","mode":"text"})", bearer(folder->key));
  ASSERT_EQ(text.status, 200);
  EXPECT_FALSE(text.json().as_object().contains("degraded")) << "a text search loses nothing";
}

TEST(IndexRecovery, SigtermDuringRebuildExitsPromptlyAndKeepsItsProgress) {
  auto folder = crashed_folder();
  {
    ServerProcess server(slow_replay(*folder));
    HttpClient client(server.port());
    // Some chunks replayed, most not (a second each).
    for (int i = 0; i < 200; ++i) {
      const std::string check(health(client).at("checks").at("vector_index").as_string());
      if (check.find(", 0 of") == std::string::npos && check.find(" of ") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // Well before the replay's remaining ~20 seconds (this wait would otherwise end in SIGKILL).
    const int status = server.stop(SIGTERM, std::chrono::milliseconds(10000));
    ASSERT_NE(status, -1) << "the server did not exit on SIGTERM during the rebuild\n" << server.stderr_text();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    auto stopped = wait_log(server, "vector index replay stopped");
    EXPECT_LT(std::stoll(stopped["replayed"]), folder->chunks);
  }
  // The next start replays only what the stopped one had not.
  ServerProcess again(ServerOptions{.env = {{"DOCENT_LOG_LEVEL", "info"}}, .data_dir = folder->dir.path()});
  auto loaded = wait_log(again, "vector index loaded");
  EXPECT_LT(std::stoll(loaded["replayed"]), folder->chunks);
  EXPECT_EQ(std::stoll(loaded["chunks"]), folder->chunks);
}

TEST(IndexRecovery, AfterKill9OnlyChangesSinceTheCheckpointAreReplayed) {
  TempDir dir;
  std::string key, kept_id, dropped_id;
  int64_t kept = 0, dropped = 0, added = 0;
  {
    // A clean stop writes a checkpoint holding both files.
    ServerProcess server(ServerOptions{.env = {{"DOCENT_LOG_LEVEL", "info"}}, .data_dir = dir.path()});
    key = server.admin_key();
    HttpClient client(server.port());
    ASSERT_TRUE(wait_ready(client));
    std::tie(kept_id, kept) = ingest(client, key, "kept.txt", long_text("pangolin", 6));
    std::tie(dropped_id, dropped) = ingest(client, key, "dropped.txt", long_text("axolotl", 4));
    ASSERT_EQ(WEXITSTATUS(server.stop(SIGTERM)), 0);
  }
  {
    // Then a file added and one deleted, and a crash before the next checkpoint.
    ServerProcess server(ServerOptions{.env = {{"DOCENT_LOG_LEVEL", "info"}}, .data_dir = dir.path()});
    HttpClient client(server.port());
    ASSERT_TRUE(wait_ready(client));
    auto loaded = wait_log(server, "vector index loaded");
    EXPECT_EQ(loaded["replayed"], "0");
    EXPECT_EQ(loaded["removed"], "0");
    added = ingest(client, key, "added.txt", long_text("quokka", 3)).second;
    ASSERT_EQ(client.request("DELETE", "/v1/files/" + dropped_id, "", bearer(key)).status, 200);
    server.stop(SIGKILL);
  }
  ServerProcess server(ServerOptions{.env = {{"DOCENT_LOG_LEVEL", "info"}}, .data_dir = dir.path()});
  HttpClient client(server.port());
  ASSERT_TRUE(wait_ready(client));
  auto loaded = wait_log(server, "vector index loaded");
  EXPECT_EQ(std::stoll(loaded["replayed"]), added) << "only the added file's chunks are replayed";
  EXPECT_EQ(std::stoll(loaded["removed"]), dropped) << "the deleted file's chunks leave the index";
  EXPECT_EQ(std::stoll(loaded["chunks"]), kept + added);
  // And the index answers for what changed.
  auto res = client.post_json("/v1/search", R"({"query":"quokka","mode":"semantic","limit":3})", bearer(key));
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_FALSE(res.json().as_object().contains("degraded"));
  EXPECT_NE(res.body.find("mentions the quokka"), std::string::npos) << res.body;
  EXPECT_EQ(res.body.find("axolotl"), std::string::npos) << res.body;
}

}  // namespace
}  // namespace docent::testing
