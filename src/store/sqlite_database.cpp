#include "store/sqlite_database.h"

#include "core/log.h"
#include "core/thread_annotations.h"
#include "store/mapped_vfs.h"
#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

namespace docent::store {

namespace {

constexpr int64_t kJournalSizeLimit = 64 * 1024 * 1024;         // WAL bytes kept after a checkpoint
constexpr int64_t kReaderMmapBytes = 2LL * 1024 * 1024 * 1024;  // per reader; SQLite caps it at its build's limit
constexpr int64_t kReaderCacheKiB = 32 * 1024;                  // per reader, for pages past the mapped part

// The databases whose read() or write() this thread is inside, innermost last.
thread_local std::vector<const void*> t_active;

class ActiveScope {
 public:
  explicit ActiveScope(const void* db) { t_active.push_back(db); }
  ~ActiveScope() { t_active.pop_back(); }
  ActiveScope(const ActiveScope&) = delete;
  ActiveScope& operator=(const ActiveScope&) = delete;

  static bool inside(const void* db) { return std::find(t_active.begin(), t_active.end(), db) != t_active.end(); }
};

core::Error nested_call() {
  return core::Error(core::Code::Internal,
                     "Database::read/write called inside another read/write on the same thread; use the Tx you have");
}

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(SqliteConnection& conn) : conn_(conn) {}

  core::Status exec(std::string_view sql, const std::vector<Value>& params) override {
    return conn_.exec(sql, params, &changes_);
  }
  core::Result<std::vector<Row>> query(std::string_view sql, const std::vector<Value>& params) override {
    return conn_.query(sql, params);
  }
  core::Result<std::optional<Row>> query_one(std::string_view sql, const std::vector<Value>& params) override {
    auto rows = conn_.query(sql, params, 1);
    if (!rows.ok()) return std::move(rows).error();
    if (rows->empty()) return std::optional<Row>();
    return std::optional<Row>(std::move(rows->front()));
  }
  int64_t changes() const override { return changes_; }
  int64_t last_insert_id() const override { return sqlite3_last_insert_rowid(conn_.handle()); }

 private:
  SqliteConnection& conn_;
  int64_t changes_ = 0;
};

void rollback(SqliteConnection& conn) {
  if (sqlite3_get_autocommit(conn.handle()) != 0) return;  // SQLite already ended it
  if (core::Status s = conn.exec("ROLLBACK", {}); !s.ok()) {
    core::log::error("rollback failed", {{"error", s.error().message}});
  }
}

// Runs fn inside the transaction just begun on `conn`, then commits or rolls back.
core::Status run_transaction(SqliteConnection& conn, const std::function<core::Status(Tx&)>& fn) {
  SqliteTx tx(conn);
  core::Status result;
  try {
    result = fn(tx);
  } catch (...) {
    rollback(conn);
    throw;
  }
  if (sqlite3_get_autocommit(conn.handle()) != 0) {
    // Some errors (disk full, I/O, out of memory) make SQLite roll the whole transaction back;
    // SQL in fn may also have ended it. Either way nothing of fn's is committed by us.
    if (!result.ok()) return result;
    return core::Error(core::Code::Internal, "the transaction ended before commit (rolled back by the database)");
  }
  if (!result.ok()) {
    rollback(conn);
    return result;
  }
  if (core::Status s = conn.exec("COMMIT", {}); !s.ok()) {
    rollback(conn);
    return s;
  }
  return {};
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::unique_ptr<SqliteConnection> writer, std::vector<std::unique_ptr<SqliteConnection>> readers,
                 std::unique_ptr<SqliteConnection> probe, int schema_version, std::chrono::milliseconds busy_timeout)
      : busy_timeout_(busy_timeout),
        schema_version_(schema_version),
        writer_(std::move(writer)),
        probe_(std::move(probe)),
        readers_(std::move(readers)) {
    for (auto& r : readers_) idle_readers_.push_back(r.get());
  }

  core::Status write(const std::function<core::Status(Tx&)>& fn) override {
    if (ActiveScope::inside(this)) return nested_call();
    core::MutexLock lock(writer_mutex_);
    ActiveScope scope(this);
    // IMMEDIATE takes the write lock now, so a busy database fails here, before fn runs,
    // rather than at fn's first write.
    if (core::Status s = writer_->exec("BEGIN IMMEDIATE", {}); !s.ok()) return s;
    return run_transaction(*writer_, fn);
  }

  core::Status read(const std::function<core::Status(Tx&)>& fn) override {
    if (ActiveScope::inside(this)) return nested_call();
    auto reader = acquire_reader();
    if (!reader.ok()) return std::move(reader).error();
    ReaderLease lease(*this, **reader);
    ActiveScope scope(this);
    // A deferred transaction takes its snapshot at the first read and keeps it to the end.
    if (core::Status s = (*reader)->exec("BEGIN", {}); !s.ok()) return s;
    return run_transaction(**reader, fn);
  }

  int schema_version() const override { return schema_version_; }

  core::Status check() override {
    return read([](Tx& tx) -> core::Status {
      auto row = tx.query_one("SELECT count(*) FROM sqlite_schema");
      if (!row.ok()) return std::move(row).error();
      return {};
    });
  }

  std::string_view backend() const override { return "sqlite"; }

  core::Result<int64_t> change_counter() override {
    // try_lock: a caller on a network thread must never queue behind another thread's probe.
    if (!probe_mutex_.try_lock()) return probe_busy();
    auto counter = wal_index_ != nullptr ? wal_index_counter() : first_look();
    probe_mutex_.unlock();
    return counter;
  }

 private:
  // Why not PRAGMA data_version every time: each one is a read transaction, and in WAL mode that
  // takes and drops a lock on the database file (two fcntl calls), which on the authenticated hot
  // path (services/auth_cache.h asks before every cached answer) cost more than the rest of the
  // check. Every commit, by any connection of any process, rewrites the wal-index header at the
  // start of the -shm file that all of them map (https://www.sqlite.org/walformat.html, "The
  // WAL-Index Header": iChange counts transactions, mxFrame and the salts and checksums move with
  // them), so reading that header from the probe's own mapping tells the same thing with no
  // system call. The mapping comes from SQLite's VFS (xShmMap, the call SQLite itself makes),
  // once the first PRAGMA has opened it; without one (no WAL, an unusual VFS) every call is the PRAGMA.
  // It relies on the database staying in WAL mode, which docent sets at open and never changes: a
  // tool that switched the file to another journal mode under a running server would leave this
  // header unchanging (the server's own connections keep the -shm file from being removed).
  core::Result<int64_t> first_look() REQUIRES(probe_mutex_) {
    auto version = read_data_version();
    if (!version) return version;
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(probe_->handle(), "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
        file->pMethods->xShmMap == nullptr) {
      return version;
    }
    volatile void* region = nullptr;
    // Region 0 (32 KiB), not extended: it exists once a read transaction in WAL mode has run.
    if (file->pMethods->xShmMap(file, 0, 32 * 1024, 0, &region) != SQLITE_OK || region == nullptr) return version;
    wal_index_ = static_cast<volatile const unsigned char*>(region);
    return wal_index_counter();
  }

  // A hash of the wal-index header. The header is kept twice (48 bytes each); a committer writes
  // the second copy, then the first, and a reader takes the first, then the second: equal copies
  // are a whole header. Unequal ones mean a commit is writing it now: "busy", as a locked file is.
  core::Result<int64_t> wal_index_counter() REQUIRES(probe_mutex_) {
    constexpr size_t kHeader = 48;
    unsigned char first[kHeader];
    unsigned char second[kHeader];
    for (size_t i = 0; i < kHeader; ++i) first[i] = wal_index_[i];
    std::atomic_thread_fence(std::memory_order_acquire);
    for (size_t i = 0; i < kHeader; ++i) second[i] = wal_index_[kHeader + i];
    if (std::memcmp(first, second, kHeader) != 0) return probe_busy();
    uint64_t hash = 14695981039346656037ull;  // FNV-1a: equality is all a caller compares
    for (unsigned char byte : first) hash = (hash ^ byte) * 1099511628211ull;
    return static_cast<int64_t>(hash >> 1);
  }

  core::Result<int64_t> read_data_version() REQUIRES(probe_mutex_) {
    // data_version moves when any other connection commits; the probe connection never writes,
    // so every commit counts. Its busy timeout is 0: a locked file answers "busy" at once.
    auto stmt = probe_->prepare("PRAGMA data_version");
    if (!stmt.ok()) return std::move(stmt).error();
    StatementUse use(*stmt);
    const int rc = sqlite3_step(*stmt);
    if (rc != SQLITE_ROW) {
      if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) return probe_busy();
      return sqlite_error(probe_->handle(), rc);
    }
    return static_cast<int64_t>(sqlite3_column_int64(*stmt, 0));
  }

  // Returns a leased reader to the pool.
  class ReaderLease {
   public:
    ReaderLease(SqliteDatabase& db, SqliteConnection& conn) : db_(db), conn_(conn) {}
    ~ReaderLease() { db_.release_reader(&conn_); }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;

   private:
    SqliteDatabase& db_;
    SqliteConnection& conn_;
  };

  core::Result<SqliteConnection*> acquire_reader() {
    core::MutexLock lock(pool_mutex_);
    if (!reader_freed_.wait_for(lock, busy_timeout_, [&]() REQUIRES(pool_mutex_) { return !idle_readers_.empty(); })) {
      return core::Error(core::Code::ServiceUnavailable, "all " + std::to_string(readers_.size()) +
                                                             " database readers stayed busy for " +
                                                             std::to_string(busy_timeout_.count()) + " ms");
    }
    SqliteConnection* conn = idle_readers_.back();
    idle_readers_.pop_back();
    return conn;
  }

  void release_reader(SqliteConnection* conn) {
    {
      core::MutexLock lock(pool_mutex_);
      idle_readers_.push_back(conn);
    }
    reader_freed_.notify_one();
  }

  const std::chrono::milliseconds busy_timeout_;
  const int schema_version_;

  core::Mutex writer_mutex_;  // held for the whole of write(); writers queue on it
  std::unique_ptr<SqliteConnection> writer_ GUARDED_BY(writer_mutex_);

  static core::Error probe_busy() {
    return core::Error(core::Code::ServiceUnavailable, "the change counter cannot be read without waiting");
  }

  core::Mutex probe_mutex_;  // held for one look at the change counter
  std::unique_ptr<SqliteConnection> probe_ GUARDED_BY(probe_mutex_);
  // The probe's mapping of the wal-index (see first_look()); SQLite keeps it until probe_ closes.
  volatile const unsigned char* wal_index_ GUARDED_BY(probe_mutex_) = nullptr;

  core::Mutex pool_mutex_;
  core::CondVar reader_freed_;  // signalled when a reader returns
  std::vector<SqliteConnection*> idle_readers_ GUARDED_BY(pool_mutex_);
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // owns every reader; fixed after construction
};

core::Status configure_writer(SqliteConnection& writer) {
  // WAL is a property of the file: set once here, every later connection finds it.
  auto mode = writer.query("PRAGMA journal_mode = WAL", {});
  if (!mode.ok()) return std::move(mode).error();
  if (mode->empty() || mode->front().get_text(0) != "wal") {
    return core::Error(core::Code::Internal, "the database could not switch to WAL mode (got '" +
                                                 (mode->empty() ? std::string() : mode->front().get_text(0)) +
                                                 "'); is it on a network filesystem?");
  }
  // synchronous=NORMAL is enough for our promise that an acknowledged write survives the process
  // being killed (kill -9, a crash): in WAL mode the commit is in the WAL file, in the OS's hands,
  // before COMMIT returns, and SQLite replays it on the next open. What NORMAL gives up, against
  // FULL's fsync on every commit, is only the last few commits on an OS crash or power loss; the
  // database is never corrupted either way.
  return writer.exec_script("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = " +
                            std::to_string(kJournalSizeLimit) + ";");
}

}  // namespace

core::Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file, const SqliteOptions& options,
                                                    std::span<const Migration> migrations) {
  if (options.readers < 1) return core::Error(core::Code::InvalidInput, "SQLite needs at least one reader");
  auto writer = SqliteConnection::open(file, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, options.busy_timeout);
  if (!writer.ok()) return std::move(writer).error();
  if (core::Status s = configure_writer(**writer); !s.ok()) return s.error();
  auto version = migrate_sqlite(**writer, migrations);
  if (!version.ok()) return std::move(version).error();

  // Readers open read-only, after the migrations: they can never write, whatever fn does.
  std::vector<std::unique_ptr<SqliteConnection>> readers;
  for (int i = 0; i < options.readers; ++i) {
    auto reader = SqliteConnection::open(file, SQLITE_OPEN_READONLY, options.busy_timeout, mapped_vfs_name());
    if (!reader.ok()) return std::move(reader).error();
    // Searches read scattered pages of a large file (FTS5 doclists, chunk rows): mapped, a page
    // costs no read() and no copy into SQLite's own cache (bench/search, 1M chunks: 4.5 GB).
    // Past the mapped 2 GB (Debian's SQLITE_MAX_MMAP_SIZE) pages are copied from the reader's
    // own map of the file (store/mapped_vfs.h) into the connection's cache; a larger one keeps
    // a big collection's FTS5 index and chunks_owner pages between queries (SQLite allocates it
    // as pages are read).
    if (auto st = (*reader)->exec_script("PRAGMA mmap_size = " + std::to_string(kReaderMmapBytes) +
                                         "; PRAGMA cache_size = -" + std::to_string(kReaderCacheKiB) + ";");
        !st) {
      return st.error();
    }
    readers.push_back(std::move(reader).value());
  }
  // The change counter's own connection (Database::change_counter): read-only, and never waits.
  auto probe = SqliteConnection::open(file, SQLITE_OPEN_READONLY, std::chrono::milliseconds(0));
  if (!probe.ok()) return std::move(probe).error();
  core::log::info("database opened",
                  {{"path", file.string()}, {"schema_version", *version}, {"readers", options.readers}});
  return std::unique_ptr<Database>(std::make_unique<SqliteDatabase>(std::move(writer).value(), std::move(readers),
                                                                    std::move(probe).value(), *version,
                                                                    options.busy_timeout));
}

core::Result<std::unique_ptr<Database>> open_sqlite(const std::filesystem::path& file, const SqliteOptions& options) {
  return open_sqlite(file, options, embedded_migrations());
}

}  // namespace docent::store
