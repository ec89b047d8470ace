#include "store/blob_store.h"

#include "core/id.h"
#include "core/log.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

namespace docent::store {

namespace fs = std::filesystem;

namespace {

constexpr size_t kCopyChunk = 1 << 20;
constexpr auto kStaleTempAge = std::chrono::hours(1);
constexpr mode_t kFileMode = 0600;  // user documents: readable by the server's user only
constexpr mode_t kDirMode = 0700;

core::Error os_error(std::string_view what, const fs::path& path, int err) {
  return core::Error(core::Code::Internal, std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes now, reporting the error that close() can carry on some filesystems.
  int close() {
    const int rc = ::close(std::exchange(fd_, -1));
    return rc == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// Writes all of [data, data+size), retrying short writes. Returns 0 or errno.
int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// fsyncs a directory, making renames and creations in it durable.
int sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno;
  return ::fsync(fd.get()) == 0 ? 0 : errno;
}

// Makes `dir` (whose parent exists) if missing, syncing the parent so the entry survives a crash.
int make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), kDirMode) != 0) return errno == EEXIST ? 0 : errno;
  return sync_dir(dir.parent_path());
}

// Incremental SHA-256 on OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    ok_ = ctx_ != nullptr && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
  }
  void update(const char* data, size_t size) { ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data, size) == 1; }
  // The digest as lowercase hex, or nullopt if OpenSSL failed at any step.
  std::optional<std::string> hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &length) != 1) return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
      out.push_back(kHex[digest[i] >> 4]);
      out.push_back(kHex[digest[i] & 0xf]);
    }
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
  bool ok_ = false;
};

// A new file in <root>/tmp, deleted on destruction unless it was renamed into place.
class TempFile {
 public:
  static core::Result<TempFile> create(const fs::path& dir) {
    for (int attempt = 0; attempt < 8; ++attempt) {
      fs::path path = dir / (core::random_hex(16) + ".tmp");
      Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kFileMode));
      if (fd.valid()) return TempFile(std::move(path), std::move(fd));
      if (errno != EEXIST) return os_error("cannot create", path, errno);
    }
    return core::Error(core::Code::Internal, "cannot create a temporary file in " + dir.string());
  }

  TempFile(TempFile&& other) noexcept : path_(std::exchange(other.path_, {})), fd_(std::move(other.fd_)) {}
  TempFile& operator=(TempFile&&) = delete;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  core::Status write(const char* data, size_t size) {
    if (int err = write_all(fd_.get(), data, size); err != 0) return os_error("cannot write", path_, err);
    return {};
  }

  // fsyncs and closes the file, then renames it to `target` and fsyncs target's folder.
  core::Status commit(const fs::path& target) {
    if (::fsync(fd_.get()) != 0) return os_error("cannot sync", path_, errno);
    if (int err = fd_.close(); err != 0) return os_error("cannot close", path_, err);
    if (::rename(path_.c_str(), target.c_str()) != 0) return os_error("cannot rename into", target, errno);
    path_.clear();
    if (int err = sync_dir(target.parent_path()); err != 0) return os_error("cannot sync", target.parent_path(), err);
    return {};
  }

 private:
  TempFile(fs::path path, Fd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  fs::path path_;  // empty once renamed
  Fd fd_;
};

// The size of the regular file at `path`, if there is one.
std::optional<uint64_t> regular_file_size(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

// Moves a finished temporary file to `target` (<root>/ab/cd/<sha>), making the two fan-out
// folders on the way. If the blob is already there, the existing copy stays and `temp` is
// dropped; a file of the wrong size there (damaged) is replaced.
core::Result<BlobInfo> place(TempFile& temp, const fs::path& target, BlobInfo info) {
  if (regular_file_size(target) == info.size) return info;
  for (const fs::path& dir : {target.parent_path().parent_path(), target.parent_path()}) {
    if (int err = make_dir(dir); err != 0) return os_error("cannot create", dir, err);
  }
  if (core::Status s = temp.commit(target); !s.ok()) return s.error();
  return info;
}

}  // namespace

bool BlobStore::valid_sha256(std::string_view sha256) {
  if (sha256.size() != 64) return false;
  for (char c : sha256) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

fs::path BlobStore::blob_path(std::string_view sha256) const {
  return root_ / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256;
}

core::Result<BlobStore> BlobStore::open(fs::path root) {
  std::error_code ec;
  fs::create_directories(root / "tmp", ec);
  if (ec) {
    return core::Error(core::Code::Internal,
                       "cannot create blob folder " + (root / "tmp").string() + ": " + ec.message());
  }

  // A crash between creating and renaming a temporary file leaves it behind. Only old ones go:
  // another process sharing this folder may be writing the young ones right now.
  const auto cutoff = fs::file_time_type::clock::now() - kStaleTempAge;
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec)) {
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec) && entry.last_write_time(entry_ec) < cutoff && !entry_ec) {
      if (fs::remove(entry.path(), entry_ec)) ++removed;
    }
  }
  if (removed > 0) core::log::info("removed stale blob temp files", {{"count", removed}, {"root", root.string()}});
  return BlobStore(std::move(root));
}

core::Result<BlobInfo> BlobStore::put(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  auto sha = hash.hex();
  if (!sha) return core::Error(core::Code::Internal, "SHA-256 failed");
  BlobInfo info{*sha, bytes.size()};
  const fs::path target = blob_path(info.sha256);
  if (regular_file_size(target) == info.size) return info;  // already stored: skip the copy

  auto temp = TempFile::create(root_ / "tmp");
  if (!temp.ok()) return std::move(temp).error();
  if (core::Status s = temp->write(bytes.data(), bytes.size()); !s.ok()) return s.error();
  return place(*temp, target, std::move(info));
}

core::Result<BlobInfo> BlobStore::put_file(const fs::path& src) {
  Fd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) {
    if (errno == ENOENT) return core::Error(core::Code::NotFound, "no such file: " + src.string());
    return os_error("cannot open", src, errno);
  }
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) return os_error("cannot stat", src, errno);
  if (!S_ISREG(st.st_mode)) return core::Error(core::Code::InvalidInput, "not a regular file: " + src.string());

  auto temp = TempFile::create(root_ / "tmp");
  if (!temp.ok()) return std::move(temp).error();
  Sha256 hash;
  uint64_t size = 0;
  std::vector<char> buffer(kCopyChunk);
  for (;;) {
    const ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read", src, errno);
    }
    if (n == 0) break;
    hash.update(buffer.data(), static_cast<size_t>(n));
    if (core::Status s = temp->write(buffer.data(), static_cast<size_t>(n)); !s.ok()) return s.error();
    size += static_cast<uint64_t>(n);
  }
  auto sha = hash.hex();
  if (!sha) return core::Error(core::Code::Internal, "SHA-256 failed");
  return place(*temp, blob_path(*sha), BlobInfo{*sha, size});
}

std::optional<fs::path> BlobStore::path_of(std::string_view sha256) const {
  if (!exists(sha256)) return std::nullopt;
  return blob_path(sha256);
}

bool BlobStore::exists(std::string_view sha256) const {
  return valid_sha256(sha256) && regular_file_size(blob_path(sha256)).has_value();
}

core::Result<std::string> BlobStore::read(std::string_view sha256) const {
  if (!valid_sha256(sha256)) return core::Error(core::Code::InvalidInput, "not a SHA-256 digest", "sha256");
  const fs::path path = blob_path(sha256);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return core::Error(core::Code::NotFound, "no blob " + std::string(sha256));
    return os_error("cannot open", path, errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return os_error("cannot stat", path, errno);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done != bytes.size()) {
    return core::Error(core::Code::Internal, "blob " + std::string(sha256) + " shrank while being read");
  }
  return bytes;
}

core::Status BlobStore::remove(std::string_view sha256) {
  if (!valid_sha256(sha256)) return core::Error(core::Code::InvalidInput, "not a SHA-256 digest", "sha256");
  const fs::path path = blob_path(sha256);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return core::Error(core::Code::NotFound, "no blob " + std::string(sha256));
    return os_error("cannot remove", path, errno);
  }
  return {};
}

}  // namespace docent::store
