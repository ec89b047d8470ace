// `docent ingest DIR` (issue 16, item 6): a folder is read recursively, its sub-folders mirrored as
// folders, hidden entries left out, what cannot be read skipped with a line each, and a link loop
// read once.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <regex>

namespace docent::testing {
namespace {

namespace fs = std::filesystem;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(IngestFolder, IngestOfAFolderReadsItRecursivelySkippingWhatItCannotReadAndFollowingNoLinkLoop) {
  TempDir dir;
  const auto docs = dir.path() / "docs";
  fs::create_directories(docs / "birds" / "alpine");
  fs::create_directories(docs / ".git");
  std::ofstream(docs / "readme.md") << "# Readme\n\nThe archive holds field notes.\n";
  std::ofstream(docs / "birds" / "alpine" / "kea.md") << "# Kea\n\nThe kea is an alpine parrot of New Zealand.\n";
  std::ofstream(docs / ".git" / "config.md") << "# Hidden\n\nNever read.\n";
  std::ofstream(docs / ".notes.md") << "# Hidden\n\nNever read either.\n";
  fs::create_directory_symlink(docs, docs / "birds" / "back-to-top");  // a loop
  fs::create_symlink(docs / "gone.md", docs / "broken.md");
  ASSERT_EQ(::mkfifo((docs / "pipe").c_str(), 0600), 0);  // would block a reader forever

  const std::string data = (dir.path() / "d").string();
  auto r = run_docent({"ingest", docs.string(), "--folder", "Library", "--data", data});
  EXPECT_EQ(r.exit_code, 1) << "the broken link and the FIFO could not be read: " << r.out << r.err;
  EXPECT_NE(r.out.find("ok      readme.md: 1 pages"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("ok      birds/alpine/kea.md: 1 pages"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(count(r.out, "ok "), 2u) << "each file once, nothing hidden, the loop read once: " << r.out;
  EXPECT_NE(r.err.find((docs / "broken.md").string() + ": skipped: a broken link"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((docs / "pipe").string() + ": skipped: not a regular file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("back-to-top: skipped: a folder already read"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("Hidden"), std::string::npos);

  // The sub-folders became folders under --folder.
  std::smatch key;  // the first start was this command's: it printed the admin key
  ASSERT_TRUE(std::regex_search(r.err, key, std::regex("dk_[0-9A-Za-z]+"))) << r.err;
  const std::string admin_key = key[0].str();
  ServerProcess server({.data_dir = data});
  HttpClient c(server.port());
  auto folders = c.get("/v1/folders", bearer(admin_key));
  ASSERT_EQ(folders.status, 200) << folders.body;
  const auto list = folders.json();
  std::map<std::string, std::string> parent_of;  // folder name -> parent's name ("" at the top)
  std::map<std::string, std::string> name_of;    // id -> name
  for (const auto& f : list.at("data").as_array()) {
    name_of[std::string(f.at("id").as_string())] = std::string(f.at("name").as_string());
  }
  for (const auto& f : list.at("data").as_array()) {
    const auto& parent = f.at("parent_id");
    parent_of[std::string(f.at("name").as_string())] = parent.is_null() ? "" : name_of[std::string(parent.as_string())];
  }
  EXPECT_EQ(parent_of.size(), 3u) << folders.body;
  EXPECT_EQ(parent_of["Library"], "");
  EXPECT_EQ(parent_of["birds"], "Library");
  EXPECT_EQ(parent_of["alpine"], "birds");
  auto search = c.post_json("/v1/search", R"({"query":"alpine parrot"})", bearer(admin_key));
  ASSERT_EQ(search.status, 200) << search.body;
  EXPECT_NE(search.body.find("kea.md"), std::string::npos) << search.body;
}

TEST(IngestFolder, IngestOfTheFolderHoldingTheDataFolderLeavesTheDataFolderOut) {
  TempDir dir;
  std::ofstream(dir.path() / "note.md") << "# Note\n\nThe heron waits by the weir.\n";
  const auto data = dir.path() / "d";
  ASSERT_EQ(run_docent({"ingest", (dir.path() / "note.md").string(), "--data", data.string()}).exit_code, 0);
  auto r = run_docent({"ingest", dir.path().string(), "--data", data.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count(r.out, "ok "), 1u) << "only note.md; never the database, blobs or master.key: " << r.out;
  EXPECT_NE(r.err.find(data.string() + ": skipped: the data folder itself"), std::string::npos) << r.err;
}

TEST(IngestFolder, AnEmptyFolderSaysSo) {
  TempDir dir;
  fs::create_directories(dir.path() / "empty");
  auto r = run_docent({"ingest", (dir.path() / "empty").string(), "--data", (dir.path() / "d").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no file to add in this folder"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace docent::testing
