#pragma once
// Content-addressed file storage: each blob is stored once, named by the SHA-256 of its bytes,
// at <root>/ab/cd/<64 hex> (the first two byte pairs fan the files out over 65,536 folders).
//
// Writes are atomic and durable: bytes go to a new file in <root>/tmp, are fsynced, renamed into
// place, and the folder is fsynced, so a blob either exists whole or not at all, even after a
// crash. Storing bytes that are already there keeps the one copy.
//
// Blobs carry no owner or reference count: which rows use a blob is the database's business, and
// so is deciding when remove() is safe (no row refers to it, decided inside a write transaction).
// Thread-safe and multi-process safe; every method may be called concurrently.

#include "core/error.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace docent::store {

struct BlobInfo {
  std::string sha256;  // 64 lowercase hex characters
  uint64_t size = 0;   // bytes
};

class BlobStore {
 public:
  // Opens the store at `root` (conventionally <data>/blobs), creating it and <root>/tmp if
  // needed, and deletes temporary files older than an hour that a crash left behind.
  static core::Result<BlobStore> open(std::filesystem::path root);

  // Stores `bytes`; returns their digest and size.
  core::Result<BlobInfo> put(std::string_view bytes);
  // Stores a copy of the file at `src`, reading it once (hashing while copying). A missing
  // `src` is Code::NotFound.
  core::Result<BlobInfo> put_file(const std::filesystem::path& src);

  // Where the blob is, if `sha256` is well formed and the blob exists.
  std::optional<std::filesystem::path> path_of(std::string_view sha256) const;
  bool exists(std::string_view sha256) const;
  // The blob's bytes. Code::InvalidInput for a malformed digest, Code::NotFound if absent.
  core::Result<std::string> read(std::string_view sha256) const;
  // Deletes the blob. Code::InvalidInput for a malformed digest, Code::NotFound if absent.
  core::Status remove(std::string_view sha256);

  const std::filesystem::path& root() const { return root_; }

  // Whether `sha256` is 64 lowercase hex characters — the only strings ever turned into paths.
  static bool valid_sha256(std::string_view sha256);

 private:
  explicit BlobStore(std::filesystem::path root) : root_(std::move(root)) {}
  std::filesystem::path blob_path(std::string_view sha256) const;  // sha256 must be valid

  std::filesystem::path root_;
};

}  // namespace docent::store
