#pragma once
// One owner per data folder. `docent serve` and the commands that use the knowledge base (ingest,
// search, ask) hold an exclusive lock on <data>/docent.lock while they run, so two of them never
// work on one folder unaware of each other (a file added by `docent ingest` would stay invisible
// to a running server's vector index until it restarted).
//
// The lock is flock(2) on an open file: the kernel releases it when the holder exits, however it
// exits (kill -9 included), so it can never go stale. The file's text names the holder (pid,
// command, since when, and what it noted later, such as its URL) for the message of the one
// refused. The file itself stays; only the lock on it matters.
//
// `docent accounts` and `docent keys` take no lock: they change only rows a server reads afresh on
// every request (SQLite in WAL mode lets them run beside it), so a key revoked from the command line
// is refused by a running server at once. `docent config`, `routes` and `version` read nothing.

#include "core/error.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace docent::app {

class DataFolderLock {
 public:
  // Takes the lock on `dir` (created if missing) for `command` (e.g. "docent serve"). Conflict
  // when another process holds it, its message naming that holder; Internal when the lock file
  // cannot be opened or locked. Never blocks.
  static core::Result<DataFolderLock> acquire(const std::filesystem::path& dir, std::string_view command);

  DataFolderLock(DataFolderLock&& other) noexcept;
  DataFolderLock& operator=(DataFolderLock&& other) noexcept;
  DataFolderLock(const DataFolderLock&) = delete;
  DataFolderLock& operator=(const DataFolderLock&) = delete;
  // Releases the lock (and clears the holder's text).
  ~DataFolderLock();

  // Adds `what` (e.g. "listening on http://127.0.0.1:8080") to the holder's text that a refused
  // process shows. Best effort.
  void note(std::string_view what);

 private:
  explicit DataFolderLock(int fd, std::string holder) : fd_(fd), holder_(std::move(holder)) {}
  void write_holder();

  int fd_ = -1;
  std::string holder_;  // the text in the file: "docent serve (pid 12, since 2026-12-07T01:30:00Z)"
};

}  // namespace docent::app
