// One owner per data folder (issue 16, item 5): `docent serve`, `ingest`, `search` and `ask` hold
// an exclusive lock on <data>/docent.lock; a second one is refused naming the holder, and the
// kernel frees the lock when its holder dies, so a crash never leaves the folder blocked.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

namespace docent::testing {
namespace {

// The stderr of a `docent serve` on `data` that exits before listening; empty when it started.
std::string refused_serve(const std::filesystem::path& data) {
  try {
    ServerProcess second({.data_dir = data});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

TEST(DataFolderLock, ASecondServeOnTheSameDataFolderIsRefusedNamingTheHolder) {
  ServerProcess first;
  std::string err = refused_serve(first.data_dir());
  ASSERT_FALSE(err.empty()) << "the second serve started beside the first";
  EXPECT_NE(err.find("in use by docent serve (pid " + std::to_string(first.pid()) + ", since "), std::string::npos)
      << err;
  EXPECT_NE(err.find("listening on http://127.0.0.1:" + std::to_string(first.port())), std::string::npos) << err;
  EXPECT_EQ(HttpClient(first.port()).get("/health").status, 200) << "the first server is untouched";
}

TEST(DataFolderLock, IngestWhileServingIsRefused) {
  TempDir dir;
  std::ofstream(dir.path() / "note.md") << "# Note\n\nThe heron waits by the weir.\n";
  const auto data = dir.path() / "d";
  {
    ServerProcess server({.data_dir = data});
    auto ingest = run_docent({"ingest", (dir.path() / "note.md").string(), "--data", data.string()});
    EXPECT_EQ(ingest.exit_code, 2) << ingest.out << ingest.err;
    EXPECT_NE(ingest.err.find("in use by docent serve (pid " + std::to_string(server.pid())), std::string::npos)
        << ingest.err;
    EXPECT_EQ(ingest.out.find("ok "), std::string::npos) << "nothing was added: " << ingest.out;
    auto search = run_docent({"search", "heron", "--data", data.string()});
    EXPECT_EQ(search.exit_code, 2) << search.out << search.err;
    EXPECT_NE(search.err.find("in use by docent serve"), std::string::npos) << search.err;
    // Read-only commands need no lock.
    EXPECT_EQ(run_docent({"config", "--data", data.string()}).exit_code, 0);
    EXPECT_EQ(run_docent({"routes", "--data", data.string()}).exit_code, 0);
  }
  // Once the server stopped, the same command works.
  auto ingest = run_docent({"ingest", (dir.path() / "note.md").string(), "--data", data.string()});
  EXPECT_EQ(ingest.exit_code, 0) << ingest.out << ingest.err;
  EXPECT_NE(ingest.out.find("ok      note.md"), std::string::npos) << ingest.out;
}

TEST(DataFolderLock, TheLockIsFreeAfterKill9) {
  TempDir dir;
  std::ofstream(dir.path() / "note.md") << "# Note\n\nThe heron waits by the weir.\n";
  const auto data = dir.path() / "d";
  {
    ServerProcess server({.data_dir = data});
    server.stop(SIGKILL);
  }
  ASSERT_TRUE(std::filesystem::exists(data / "docent.lock"));
  auto ingest = run_docent({"ingest", (dir.path() / "note.md").string(), "--data", data.string()});
  EXPECT_EQ(ingest.exit_code, 0) << "a killed server leaves no lock behind: " << ingest.err;
  ServerProcess again({.data_dir = data});
  EXPECT_EQ(HttpClient(again.port()).get("/health").status, 200);
}

}  // namespace
}  // namespace docent::testing
