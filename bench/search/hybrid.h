#pragma once
// bench/search's hybrid mode: the product's whole query path, KnowledgeService::search (FTS5
// BM25, query embedding, HNSW, reciprocal-rank fusion, row fetch), timed over the bench's
// synthetic chunks loaded into a real docent database.
//
// The database is made by the store's own migrations in a temporary folder and filled through
// store::files::insert and store::chunks::insert in bulk transactions, so FTS5 is populated by
// the product's triggers. The service is built as src/app/runtime.cpp builds it, around a
// SearchIndex that adopts the HNSW index the bench built for its vector figures.

#include "engines/embedder.h"
#include "engines/vector_index.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace docent::bench {

// Milliseconds per query, one entry per query, in query order.
struct StagedTimes {
  std::vector<double> fts, embed, vector, fuse_fetch, total;
};

struct HybridSamples {
  std::vector<double> service_hybrid;  // KnowledgeService::search, Mode::Hybrid
  std::vector<double> service_text;    // KnowledgeService::search, Mode::Text (FTS5 alone)
  // The same questions scoped as a chat over documents scopes them: to one file (file_ids, 100
  // chunks), to ten, and with a type filter every file passes (source_types ["pdf"]).
  std::vector<double> service_one_file, service_ten_files, service_all_types;
  // The same calls the service makes, in its order, timed one by one: with the service's HNSW
  // index, and with the exact scan in its place.
  StagedTimes hnsw, exact;
  double staged_agreement = 0;  // share of the service's hits that the staged HNSW run returned
  double load_s = 0;            // filling the database (rows, FTS5, embeddings), wall seconds
  double adopt_s = 0;           // SearchIndex::adopt: reading every chunk's owner
  double db_file_bytes = 0;     // the database's main file after the queries (WAL left out)
  double owners_rss_bytes = 0;  // resident memory SearchIndex adds for the chunks' owners
  double sqlite_rss_bytes = 0;  // resident memory the database connections hold after the queries
  // Per timed service_hybrid query, what the process went through during it (getrusage deltas,
  // all threads): reads from the disk (major faults plus blocks read: the database's pages, when
  // the OS has dropped them from its cache) and times a thread was descheduled against its will.
  std::vector<long> service_disk_reads, service_involuntary_switches;
  // Per timed service_hybrid query, milliseconds the process's threads spent runnable but
  // waiting for a core (the kernel's run-queue delay, /proc/self/task/*/schedstat, summed over
  // threads): time the guest gave to other tasks. A stall the guest cannot see (the host not
  // running its virtual CPU) does not show here.
  std::vector<double> service_core_wait;
  // Per timed service_hybrid query, the CPU time (user and system) of all the process's threads:
  // the work the query did as the kernel counts it. Time the host stretched without telling the
  // guest (a slower memory, a virtual CPU not running) is counted in here too.
  std::vector<double> service_cpu;
  // A fixed CPU-only loop (registers only, no memory traffic), timed right before each
  // service_hybrid query: the same work from query to query, so its spread is the host's.
  std::vector<double> cpu_probe;
  // 2,000 dependent loads from random places in 256 MB, timed right before each query (after
  // the CPU loop): the same work each time, bound by the memory's latency, which other tenants
  // of the host's memory system and shared caches can stretch without taking the core away.
  std::vector<double> memory_probe;
  // The slowest 1% of service_hybrid queries, each run through the service once more after the
  // others: a query slow by its nature is slow again; one the host held up is not.
  std::vector<double> slowest_first, slowest_again;
};

class HybridBench {
 public:
  // A docent database (migrated) and the service stack in a new folder under `parent`, deleted
  // again by the destructor. Aborts the program on failure (a benchmark has no one to tell).
  HybridBench(const std::filesystem::path& parent, engines::HashedEmbedder& embedder);
  // The same in the folder `kept` itself, which outlives the bench: a database a previous run
  // filled there is used as it is (see load()).
  struct Kept {
    std::filesystem::path dir;
  };
  HybridBench(Kept kept, engines::HashedEmbedder& embedder);
  ~HybridBench();
  HybridBench(const HybridBench&) = delete;
  HybridBench& operator=(const HybridBench&) = delete;

  // Stores n chunks, ids 1..n: chunk i's text from text(i - 1, out), its embedding at
  // vectors[(i - 1) * dim]. 100 chunks per file, like a 30-page document. In a kept folder
  // whose database already holds n chunks nothing is stored and loaded() says so; one holding
  // another number is an error (a stale cache: delete the folder).
  void load(size_t n, const std::function<void(uint64_t, std::string&)>& text, const float* vectors);
  bool reused() const { return reused_; }

  // Hands `index` (labels = chunk ids, search width already set) to the service, runs the first
  // `warmup` queries untimed, then times each of the others through the service and through the
  // staged calls (the samples hold the timed ones only).
  HybridSamples run(std::unique_ptr<engines::VectorIndex> index, const engines::ExactIndex& exact,
                    const std::vector<std::string>& queries, size_t warmup);

 private:
  struct Stack;
  void open_stack();
  std::filesystem::path dir_;
  bool keep_ = false;
  bool reused_ = false;
  std::unique_ptr<Stack> stack_;
  double load_s_ = 0;
};

}  // namespace docent::bench
