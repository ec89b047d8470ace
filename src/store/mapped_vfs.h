#pragma once
// A SQLite VFS for the read-only connections: each one maps its whole database file, and a page
// SQLite reads past its own map (Debian builds SQLite with SQLITE_MAX_MMAP_SIZE = 2 GB) is
// copied from that map instead of read with pread().
//
// Why: pages read with pread() stay in the OS page cache only as long as the kernel keeps
// unmapped file pages. Some kernels drop cold ones with memory to spare (the machines this is
// tested on run a DAMON scheme that pages out file pages no process maps after 60 s without an
// access), so a big collection's FTS5 pages past 2 GB came back from the disk query after query.
// A mapped page stays while memory allows, and costs no system call to read.
//
// Everything else (locks, WAL, shared memory, writes) is the default VFS's. The map grows when
// a read lands past its end and the file has grown. SQLite reads only pages inside the database
// as its read transaction sees it, and its locks keep a checkpoint from cutting the file below
// what a reader may still read, so no copy touches bytes past the end of the file (docent never
// shrinks it anyway: no VACUUM, auto_vacuum off).

#include <cstdint>

namespace docent::store {

// Registers the VFS with SQLite on first use (not as the default) and returns its name, for
// sqlite3_open_v2. Thread-safe.
const char* mapped_vfs_name();

// Reads served from a connection's own map so far, all connections together (for tests).
uint64_t mapped_vfs_reads();

}  // namespace docent::store
