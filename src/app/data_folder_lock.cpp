#include "app/data_folder_lock.h"

#include "core/time.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace docent::app {

namespace {

constexpr const char* kLockFile = "docent.lock";

// What the lock file says about its holder, without the line end; empty when unreadable.
std::string read_holder(int fd) {
  std::string text(512, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

}  // namespace

core::Result<DataFolderLock> DataFolderLock::acquire(const std::filesystem::path& dir, std::string_view command) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::Error(core::Code::Internal, "cannot create data folder " + dir.string() + ": " + ec.message());
  const auto path = dir / kLockFile;
  // Close-on-exec: a parser child must never inherit (and so keep) the lock.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return core::Error(core::Code::Internal, "cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string holder = err == EWOULDBLOCK ? read_holder(fd) : "";
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return core::Error(core::Code::Internal, "cannot lock " + path.string() + ": " + std::strerror(err));
    }
    if (holder.empty()) holder = "another docent process (it has not written its name yet)";
    return core::Error(core::Code::Conflict, "the data folder " + dir.string() + " is in use by " + holder +
                                                 "; one process owns a data folder at a time: stop it first, "
                                                 "or go through its HTTP API");
  }
  DataFolderLock lock(fd, std::string(command) + " (pid " + std::to_string(::getpid()) + ", since " +
                              core::rfc3339_now() + ")");
  lock.write_holder();
  return lock;
}

DataFolderLock::DataFolderLock(DataFolderLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), holder_(std::move(other.holder_)) {}

DataFolderLock& DataFolderLock::operator=(DataFolderLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    holder_ = std::move(other.holder_);
  }
  return *this;
}

DataFolderLock::~DataFolderLock() {
  if (fd_ < 0) return;
  (void)!::ftruncate(fd_, 0);  // still ours: nobody reads a gone holder's name
  ::close(fd_);
}

void DataFolderLock::note(std::string_view what) {
  if (fd_ < 0 || what.empty()) return;
  // "docent serve (pid 1, since T)" -> "docent serve (pid 1, since T, listening on ...)"
  if (!holder_.empty() && holder_.back() == ')') holder_.insert(holder_.size() - 1, ", " + std::string(what));
  write_holder();
}

void DataFolderLock::write_holder() {
  const std::string line = holder_ + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, line.data(), line.size(), 0);
}

}  // namespace docent::app
