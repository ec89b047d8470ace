#include "store/mapped_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace docent::store {

namespace {

constexpr const char* kName = "docent-mapped";

std::atomic<uint64_t> g_mapped_reads{0};

sqlite3_vfs* g_root = nullptr;  // the default VFS, set once before ours is registered

// What SQLite allocates for a file of ours (szOsFile bytes): this, then the default VFS's file.
struct MappedFile {
  sqlite3_file base;   // base.pMethods = kMethods
  sqlite3_file* real;  // the default VFS's file, right after this struct
  int fd;              // our own read-only descriptor (read-only main database), or -1
  const char* map;     // the file's first `mapped` bytes, or nullptr
  size_t mapped;
};

MappedFile* of(sqlite3_file* f) { return reinterpret_cast<MappedFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return of(f)->real; }

// Makes the map cover [0, end) if the file is that long now. A connection is used by one thread
// at a time, so its map changes under no one.
bool covers(MappedFile* m, size_t end) {
  if (end <= m->mapped) return true;
  struct stat st {};
  if (::fstat(m->fd, &st) != 0 || static_cast<size_t>(st.st_size) < end) return false;
  const size_t size = static_cast<size_t>(st.st_size);
  void* p = m->map ? ::mremap(const_cast<char*>(m->map), m->mapped, size, MREMAP_MAYMOVE)
                   : ::mmap(nullptr, size, PROT_READ, MAP_SHARED, m->fd, 0);
  if (p == MAP_FAILED) return false;  // a failed mremap leaves the old map as it was
  m->map = static_cast<const char*>(p);
  m->mapped = size;
  return true;
}

int x_close(sqlite3_file* f) {
  MappedFile* m = of(f);
  if (m->map) ::munmap(const_cast<char*>(m->map), m->mapped);
  if (m->fd >= 0) ::close(m->fd);
  m->map = nullptr;
  m->fd = -1;
  return m->real->pMethods ? m->real->pMethods->xClose(m->real) : SQLITE_OK;
}

int x_read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 offset) {
  MappedFile* m = of(f);
  if (m->fd >= 0 && offset >= 0 && amt > 0 && covers(m, static_cast<size_t>(offset) + static_cast<size_t>(amt))) {
    std::memcpy(buf, m->map + offset, static_cast<size_t>(amt));
    g_mapped_reads.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  return real(f)->pMethods->xRead(real(f), buf, amt, offset);  // past the end: short-read rules
}

int x_write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 offset) {
  return real(f)->pMethods->xWrite(real(f), buf, amt, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) { return real(f)->pMethods->xSync(real(f), flags); }
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); }
int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) { return real(f)->pMethods->xShmUnmap(real(f), delete_flag); }
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amt, void** out) {
  return real(f)->pMethods->xFetch(real(f), offset, amt, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), offset, p);
}

// Version 3, as the unix VFS's (shared memory for WAL, xFetch for SQLite's own map).
const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  MappedFile* m = of(f);
  m->base.pMethods = nullptr;  // SQLite calls no method of a file whose open failed
  m->real = reinterpret_cast<sqlite3_file*>(m + 1);
  m->fd = -1;
  m->map = nullptr;
  m->mapped = 0;
  const int rc = g_root->xOpen(g_root, name, m->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (name && (flags & SQLITE_OPEN_MAIN_DB) && (flags & SQLITE_OPEN_READONLY)) {
    m->fd = ::open(name, O_RDONLY | O_CLOEXEC);  // -1: every read goes to the default VFS
  }
  m->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// The rest is the default VFS's, called with its own handle.
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_root->xDelete(g_root, name, sync_dir); }
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_root->xAccess(g_root, name, flags, out); }
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_root->xFullPathname(g_root, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) { return g_root->xDlOpen(g_root, name); }
void x_dl_error(sqlite3_vfs*, int n, char* out) { g_root->xDlError(g_root, n, out); }
void (*x_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_root->xDlSym(g_root, handle, symbol);
}
void x_dl_close(sqlite3_vfs*, void* handle) { g_root->xDlClose(g_root, handle); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return g_root->xRandomness(g_root, n, out); }
int x_sleep(sqlite3_vfs*, int micros) { return g_root->xSleep(g_root, micros); }
int x_current_time(sqlite3_vfs*, double* out) { return g_root->xCurrentTime(g_root, out); }
int x_get_last_error(sqlite3_vfs*, int n, char* out) { return g_root->xGetLastError(g_root, n, out); }
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) { return g_root->xCurrentTimeInt64(g_root, out); }

sqlite3_vfs g_vfs{};

}  // namespace

const char* mapped_vfs_name() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_root = sqlite3_vfs_find(nullptr);
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(MappedFile)) + g_root->szOsFile;
    g_vfs.mxPathname = g_root->mxPathname;
    g_vfs.zName = kName;
    g_vfs.xOpen = x_open;
    g_vfs.xDelete = x_delete;
    g_vfs.xAccess = x_access;
    g_vfs.xFullPathname = x_full_pathname;
    g_vfs.xDlOpen = x_dl_open;
    g_vfs.xDlError = x_dl_error;
    g_vfs.xDlSym = x_dl_sym;
    g_vfs.xDlClose = x_dl_close;
    g_vfs.xRandomness = x_randomness;
    g_vfs.xSleep = x_sleep;
    g_vfs.xCurrentTime = x_current_time;
    g_vfs.xGetLastError = x_get_last_error;
    g_vfs.xCurrentTimeInt64 = x_current_time_int64;
    sqlite3_vfs_register(&g_vfs, 0);
  });
  return kName;
}

uint64_t mapped_vfs_reads() { return g_mapped_reads.load(std::memory_order_relaxed); }

}  // namespace docent::store
