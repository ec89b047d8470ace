#include "app/folder_walk.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

namespace docent::app {

namespace fs = std::filesystem;

namespace {

class Walker {
 public:
  FolderWalk result;

  explicit Walker(const fs::path& leave_out) {
    struct stat st {};
    if (!leave_out.empty() && ::stat(leave_out.c_str(), &st) == 0) leave_out_ = {st.st_dev, st.st_ino};
  }

  void walk(const fs::path& dir, const std::string& subfolder) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return skip(dir, std::strerror(errno));
    if (leave_out_ && *leave_out_ == std::pair{st.st_dev, st.st_ino}) {
      result.passed_over.push_back(dir.string() + ": skipped: the data folder itself");
      return;
    }
    if (!seen_.insert({st.st_dev, st.st_ino}).second) {
      result.passed_over.push_back(dir.string() + ": skipped: a folder already read (a link back to it)");
      return;
    }
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
    if (ec) return skip(dir, "cannot read the folder (" + ec.message() + ")");
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) {
      const std::string name = entry.filename().string();
      if (name.empty() || name.front() == '.') continue;
      std::error_code sec;
      const auto status = fs::status(entry, sec);  // through links
      if (sec) {
        skip(entry, fs::is_symlink(fs::symlink_status(entry, sec)) ? "a broken link" : sec.message());
      } else if (fs::is_directory(status)) {
        walk(entry, subfolder.empty() ? name : subfolder + "/" + name);
      } else if (!fs::is_regular_file(status)) {
        skip(entry, "not a regular file");
      } else if (::access(entry.c_str(), R_OK) != 0) {
        skip(entry, "cannot read it (" + std::string(std::strerror(errno)) + ")");
      } else {
        result.files.push_back(FoundFile{entry, subfolder});
      }
    }
  }

 private:
  void skip(const fs::path& path, const std::string& why) {
    result.skipped.push_back(path.string() + ": skipped: " + why);
  }

  std::optional<std::pair<dev_t, ino_t>> leave_out_;
  std::set<std::pair<dev_t, ino_t>> seen_;
};

}  // namespace

FolderWalk walk_folder(const fs::path& root, const fs::path& leave_out) {
  Walker w(leave_out);
  w.walk(root, "");
  return std::move(w.result);
}

}  // namespace docent::app
