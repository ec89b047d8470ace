// The command line: version, help, and configuration precedence as `docent config` shows it.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace docent::testing {
namespace {

TEST(Cli, VersionPrintsTheVersion) {
  auto r = run_docent({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("docent ") + DOCENT_VERSION + "\n");
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const char* cmd : {"serve", "config", "version"}) {
    auto r = run_docent({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << cmd;
  }
  auto serve = run_docent({"serve", "--help"});
  for (const char* flag : {"--host", "--port", "--data", "--config", "--set"}) {
    EXPECT_NE(serve.out.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, UnknownSubcommandFails) {
  auto r = run_docent({"frobnicate"});
  EXPECT_NE(r.exit_code, 0);
}

TEST(Cli, ConfigPrecedenceFlagOverEnvOverFileOverDefault) {
  TempDir dir;
  std::ofstream(dir.path() / "docent.toml") << "[server]\nport = 7001\nthreads = 3\nworkers = 5\n";
  auto r = run_docent({"config", "--port", "7003"}, {{"DOCENT_PORT", "7002"}, {"DOCENT_THREADS", "4"}}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("port = 7003"), std::string::npos) << r.out;  // flag beats env and file
  EXPECT_NE(r.out.find("threads = 4"), std::string::npos) << r.out;  // env beats file
  EXPECT_NE(r.out.find("workers = 5"), std::string::npos) << r.out;  // file beats default
  EXPECT_NE(r.out.find("json_max_depth = 64"), std::string::npos);   // default
}

TEST(Cli, ConfigMasksSecrets) {
  auto r = run_docent({"config"}, {{"DOCENT_MASTER_KEY", "super-secret-master-key-1234"},
                                   {"DOCENT_LLM_KEY", "sk-abcdefghijklmnop"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("super-secret-master-key"), std::string::npos);
  EXPECT_EQ(r.out.find("sk-abcdefghijkl"), std::string::npos);
  EXPECT_NE(r.out.find("****1234"), std::string::npos);
}

TEST(Cli, BadConfigValueIsAClearErrorNamingTheSetting) {
  auto r = run_docent({"serve", "--port", "0"}, {{"DOCENT_MAX_BODY_BYTES", "lots"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("DOCENT_MAX_BODY_BYTES"), std::string::npos) << r.err;
}

TEST(Cli, SetFlagReachesAnySetting) {
  auto r = run_docent({"config", "--set", "server.max_body_bytes=2MiB"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("max_body_bytes = \"2MiB\""), std::string::npos) << r.out;
  auto bad = run_docent({"config", "--set", "server.no_such_thing=1"});
  EXPECT_NE(bad.exit_code, 0);
}

TEST(Cli, ServeHonoursConfiguredLimits) {
  ServerProcess server({.args = {"--set", "server.max_header_bytes=2KiB"}});
  HttpClient c(server.port());
  EXPECT_EQ(c.get("/health").status, 200);
  std::string out = c.raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(3000, 'p') + "\r\n\r\n");
  EXPECT_EQ(HttpClient::status_of(out), 431);
}

TEST(Cli, IngestThenSearchFromTheCommandLine) {
  TempDir dir;
  std::ofstream(dir.path() / "birds.md") << "# Birds\n\nThe kea is an alpine parrot of New Zealand.\n";
  std::ofstream(dir.path() / "empty.txt");
  const std::string data = (dir.path() / "d").string();
  auto ingest = run_docent({"ingest", (dir.path() / "birds.md").string(), (dir.path() / "empty.txt").string(),
                            "--folder", "Library/Nature", "--data", data});
  EXPECT_EQ(ingest.exit_code, 1) << "one file was empty, so the command reports a failure";
  EXPECT_NE(ingest.out.find("ok      birds.md: 1 pages"), std::string::npos) << ingest.out << ingest.err;
  EXPECT_NE(ingest.err.find("empty.txt: the file is empty"), std::string::npos) << ingest.err;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "birds.md")) << "the user's file is copied, never moved";

  auto search = run_docent({"search", "alpine parrot", "--json", "--data", data});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  auto hits = boost::json::parse(search.out).as_array();
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].at("filename"), "birds.md");
  EXPECT_EQ(hits[0].at("page"), 1);
  EXPECT_EQ(run_docent({"search", "x", "--account", "nobody", "--data", data}).exit_code, 3);
}

TEST(Cli, AskReadsTheFileOnceStreamsTheAnswerAndListsItsPages) {
  TempDir dir;
  const auto pdf = dir.path() / "ferry.pdf";
  std::ofstream(pdf, std::ios::binary) << make_pdf({{"The timetable starts on the next page."},
                                                    {"Fares are paid on board."},
                                                    {"The last ferry to the island leaves at eleven at night."}});
  const std::string data = (dir.path() / "d").string();
  auto first = run_docent({"ask", "--file", pdf.string(), "When does the last ferry leave?", "--data", data});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("The last ferry to the island leaves at eleven at night. [1]"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("Sources:\n  [1] ferry.pdf, page 3\n"), std::string::npos) << first.out;
  EXPECT_NE(first.err.find("docent ask --conversation "), std::string::npos) << first.err;

  // The same bytes again are not read again: the search still finds one copy of the file.
  auto second = run_docent({"ask", "-f", pdf.string(), "How are fares paid?", "--data", data});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("Fares are paid on board. [1]"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("ferry.pdf, page 2"), std::string::npos) << second.out;
  auto hits = boost::json::parse(run_docent({"search", "ferry", "--json", "--data", data}).out).as_array();
  std::set<std::string> files;
  for (const auto& h : hits) files.insert(std::string(h.at("file_id").as_string()));
  EXPECT_EQ(files.size(), 1u);

  // Going on in a conversation; an unknown one, a missing file and an unknown account are errors.
  const std::string err = first.err;
  const size_t at = err.find("--conversation ") + 15;
  const std::string conversation = err.substr(at, err.find(' ', at) - at);
  auto more = run_docent({"ask", "--conversation", conversation, "Where are fares paid?", "--data", data});
  EXPECT_EQ(more.exit_code, 0) << more.err;
  EXPECT_NE(more.out.find("[1] ferry.pdf, page 2"), std::string::npos) << more.out;
  EXPECT_EQ(run_docent({"ask", "--conversation", "nope", "Hi?", "--data", data}).exit_code, 3);
  EXPECT_EQ(run_docent({"ask", "-f", (dir.path() / "missing.pdf").string(), "Hi?", "--data", data}).exit_code, 2);
  EXPECT_EQ(run_docent({"ask", "Hi?", "--account", "nobody", "--data", data}).exit_code, 3);
}

}  // namespace
}  // namespace docent::testing
