#pragma once
// What `docent ingest DIR` reads: the regular files under a folder, found recursively.

#include <filesystem>
#include <string>
#include <vector>

namespace docent::app {

struct FoundFile {
  std::filesystem::path path;
  std::string subfolder;  // where it was found, relative to the root: "" at the top, else "a/b"
};

struct FolderWalk {
  std::vector<FoundFile> files;
  // One line per entry left out that the user may have wanted ("PATH: skipped: why"): a folder or
  // file that cannot be read, a broken link, a FIFO, socket or device.
  std::vector<std::string> skipped;
  // Lines for what was left out on purpose: a folder already read (reached again through a link:
  // a loop, or a second way to one folder), and the data folder.
  std::vector<std::string> passed_over;
};

// Walks `root` depth first in name order. Hidden entries (a name starting with '.') are left out
// silently. Links are followed, files and folders alike, but no folder is read twice (judged by
// device and inode), so a link loop ends. Never opens a file: readability is checked with
// access(2), and only regular files are returned. The folder `leave_out` (the data folder, whose
// database and master key must never become documents) is skipped with a line wherever it appears.
FolderWalk walk_folder(const std::filesystem::path& root, const std::filesystem::path& leave_out = {});

}  // namespace docent::app
