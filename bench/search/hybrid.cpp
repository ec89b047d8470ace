#include "hybrid.h"

#include "core/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "core/time.h"
#include "engines/fusion.h"
#include "services/accounts.h"
#include "services/jobs.h"
#include "services/knowledge.h"
#include "services/quota.h"
#include "services/search_index.h"
#include "store/accounts.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace docent::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kChunksPerFile = 100;
constexpr size_t kChunksPerTransaction = 5000;
constexpr int64_t kLimit = 10;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

template <typename T>
T must(core::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bench_search: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void must(const core::Status& st, const char* what) {
  if (!st) {
    std::fprintf(stderr, "bench_search: %s: %s\n", what, st.error().message.c_str());
    std::exit(1);
  }
}

// Resident anonymous memory (as resident_bytes in search_bench.cpp: not the mapped database's
// pages) after handing freed heap back to the system, so a drop in use shows as a drop.
double resident_bytes_trimmed() {
  malloc_trim(0);
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return static_cast<double>(std::stoull(line.substr(8))) * 1024;
  }
  return 0;
}

struct Usage {
  long disk_reads = 0, involuntary_switches = 0;
  double cpu_ms = 0;  // user and system time, all threads
};

double ms(const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; }

Usage usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  // Faults on mapped pages that needed I/O, and blocks read() had to fetch from the disk (the
  // pages past SQLite's map are read so, and a miss there is no fault).
  return {u.ru_majflt + u.ru_inblock, u.ru_nivcsw, ms(u.ru_utime) + ms(u.ru_stime)};
}

// Milliseconds the process's threads have spent runnable but waiting for a core: the second
// field of each /proc/self/task/TID/schedstat (0 where the kernel keeps no such count).
double core_wait_ms() {
  uint64_t total_ns = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "schedstat");
    uint64_t run_ns = 0, wait_ns = 0;
    if (in >> run_ns >> wait_ns) total_ns += wait_ns;
  }
  return static_cast<double>(total_ns) / 1e6;
}

// The probe's result, kept so the compiler cannot drop its loop.
std::atomic<uint64_t> g_probe_sink{0};

// About 0.2 ms of dependent integer arithmetic on one core; returns its wall milliseconds.
double cpu_probe_ms() {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  const auto t = Clock::now();
  for (int i = 0; i < 200000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  g_probe_sink.store(x, std::memory_order_relaxed);
  return ms_since(t);
}

// A random cycle through 256 MB of 4-byte slots (a pointer chase: each load's address is the
// previous load's value, so the loads cannot overlap), far larger than any cache.
class MemoryProbe {
 public:
  MemoryProbe() : next_(kSlots) {
    // Sattolo's shuffle: one cycle through every slot.
    std::vector<uint32_t> order(kSlots);
    for (uint32_t k = 0; k < kSlots; ++k) order[k] = k;
    uint64_t x = 0x2545f4914f6cdd1dULL;
    for (uint32_t k = kSlots - 1; k > 0; --k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      std::swap(order[k], order[x % k]);
    }
    for (uint32_t k = 0; k < kSlots; ++k) next_[order[k]] = order[(k + 1) % kSlots];
  }
  // kLoads dependent loads from main memory; returns their wall milliseconds.
  double run_ms() {
    const auto t = Clock::now();
    uint32_t at = at_;
    for (int k = 0; k < kLoads; ++k) at = next_[at];
    at_ = at;
    g_probe_sink.store(at, std::memory_order_relaxed);
    return ms_since(t);
  }

 private:
  static constexpr uint32_t kSlots = 64u << 20;  // 256 MB
  static constexpr int kLoads = 2000;            // ~0.2 ms at ~100 ns a load
  std::vector<uint32_t> next_;
  uint32_t at_ = 0;
};

}  // namespace

// The service and what it needs, wired as src/app/runtime.cpp wires them (job workers are not
// started: search never waits for them).
struct HybridBench::Stack {
  core::Config config;
  core::MetricsRegistry metrics;
  engines::HashedEmbedder& embedder;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<services::AccountService> accounts;
  std::unique_ptr<services::QuotaService> quota;
  std::unique_ptr<services::SearchIndex> index;
  std::unique_ptr<services::JobQueue> jobs;
  std::unique_ptr<services::KnowledgeService> knowledge;
  services::Principal actor;

  explicit Stack(engines::HashedEmbedder& e) : embedder(e) {}
};

HybridBench::HybridBench(const std::filesystem::path& parent, engines::HashedEmbedder& embedder)
    : dir_(parent / ("docent-bench-search-" + core::random_hex(8))), stack_(std::make_unique<Stack>(embedder)) {
  open_stack();
}

HybridBench::HybridBench(Kept kept, engines::HashedEmbedder& embedder)
    : dir_(std::move(kept.dir)), keep_(true), stack_(std::make_unique<Stack>(embedder)) {
  open_stack();
}

void HybridBench::open_stack() {
  std::filesystem::create_directories(dir_);
  auto& s = *stack_;
  s.config.data.dir = dir_.string();
  s.db = must(store::open_sqlite(dir_ / "docent.db"), "open the database");
  s.blobs = std::make_unique<store::BlobStore>(must(store::BlobStore::open(dir_ / "blobs"), "open the blob store"));
  s.accounts = std::make_unique<services::AccountService>(*s.db, s.config);
  s.quota = std::make_unique<services::QuotaService>(*s.db, s.config, *s.accounts);
  s.index = std::make_unique<services::SearchIndex>(*s.db, s.embedder, dir_ / "index");
  s.jobs = std::make_unique<services::JobQueue>(*s.db, s.metrics);
  s.knowledge = std::make_unique<services::KnowledgeService>(*s.db, *s.blobs, *s.jobs, *s.index, *s.quota, s.config);
  constexpr const char* kLogin = "bench";
  std::optional<store::AccountRecord> existing;
  must(s.db->read([&](store::Tx& tx) -> core::Status {
    auto r = store::accounts::by_login(tx, kLogin);
    if (!r) return r.error();
    existing = std::move(*r);
    return {};
  }),
       "look up the bench account");
  if (existing) {
    s.actor = services::Principal{existing->id, services::Role::User, existing->plan, "", false};
    return;
  }
  services::AccountInput who;
  who.login = kLogin;
  const auto account = must(s.accounts->create_key_only(who), "create the account");
  s.actor = services::Principal{account.id, account.role, account.plan, "", false};
}

HybridBench::~HybridBench() {
  stack_.reset();
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void HybridBench::load(size_t n, const std::function<void(uint64_t, std::string&)>& text, const float* vectors) {
  auto& s = *stack_;
  int64_t stored = 0;
  must(s.db->read([&](store::Tx& tx) -> core::Status {
    auto row = tx.query_one("SELECT count(*) FROM chunks");
    if (!row) return row.error();
    stored = *row ? (*row)->get_int(0) : 0;
    return {};
  }),
       "count the stored chunks");
  if (stored == static_cast<int64_t>(n)) {
    reused_ = true;
    std::fprintf(stderr, "[N=%zu] the database in %s already holds the chunks\n", n, dir_.c_str());
    return;
  }
  if (stored != 0) {
    std::fprintf(stderr, "bench_search: %s holds %lld chunks, not %zu (delete it)\n", dir_.c_str(),
                 static_cast<long long>(stored), n);
    std::exit(1);
  }
  const size_t dim = static_cast<size_t>(s.embedder.dimensions());
  const auto t0 = Clock::now();
  std::vector<store::FileRecord> files;
  std::vector<store::ChunkRecord> chunks;
  for (size_t begin = 0; begin < n; begin += kChunksPerTransaction) {
    const size_t end = std::min(n, begin + kChunksPerTransaction);
    files.clear();
    chunks.clear();
    const std::string now = core::rfc3339_now();
    for (size_t i = begin; i < end; ++i) {
      if (i % kChunksPerFile == 0 || files.empty()) {
        store::FileRecord f;
        f.id = core::new_id();
        f.account_id = s.actor.account_id;
        f.name = "document-" + std::to_string(i / kChunksPerFile) + ".pdf";
        f.mime = "application/pdf";
        f.source_type = "pdf";
        f.sha256 = std::string(64, '0');
        f.status = "processed";
        f.pages = static_cast<int64_t>(kChunksPerFile / 3);
        f.chunk_count = static_cast<int64_t>(kChunksPerFile);
        f.created_at = f.updated_at = now;
        f.processed_at = now;
        files.push_back(std::move(f));
      }
      store::ChunkRecord c;
      c.file_id = files.back().id;
      c.account_id = s.actor.account_id;
      c.ordinal = static_cast<int64_t>(i % kChunksPerFile);
      c.page = c.ordinal / 3 + 1;
      text(i, c.text);
      c.embedding.assign(reinterpret_cast<const char*>(vectors + i * dim), dim * sizeof(float));
      chunks.push_back(std::move(c));
    }
    must(s.db->write([&](store::Tx& tx) -> core::Status {
      for (auto& f : files) {
        if (auto st = store::files::insert(tx, f); !st) return st;
      }
      return store::chunks::insert(tx, chunks);
    }),
         "store chunks");
    if (chunks.front().id != static_cast<int64_t>(begin + 1)) {
      std::fprintf(stderr, "bench_search: chunk ids are not 1..n (got %lld for %zu)\n",
                   static_cast<long long>(chunks.front().id), begin + 1);
      std::exit(1);
    }
    if (end % 100000 == 0) {
      std::fprintf(stderr, "[N=%zu]   %zu chunks stored (%.0f/s)\n", n, end,
                   static_cast<double>(end) * 1e3 / ms_since(t0));
    }
  }
  load_s_ = ms_since(t0) / 1e3;
}

HybridSamples HybridBench::run(std::unique_ptr<engines::VectorIndex> index, const engines::ExactIndex& exact,
                               const std::vector<std::string>& queries, size_t warmup) {
  auto& s = *stack_;
  HybridSamples out;
  out.load_s = load_s_;

  const double rss_before_adopt = resident_bytes_trimmed();
  auto t0 = Clock::now();
  must(s.index->adopt(std::move(index)), "adopt the index");
  out.adopt_s = ms_since(t0) / 1e3;
  const double rss_after_adopt = resident_bytes_trimmed();
  out.owners_rss_bytes = rss_after_adopt - rss_before_adopt;

  services::SearchQuery hybrid;
  hybrid.limit = kLimit;
  services::SearchQuery text_only = hybrid;
  text_only.mode = services::SearchQuery::Mode::Text;
  const int64_t depth = std::max<int64_t>(kLimit * 4, 40);  // as KnowledgeService::search asks

  // The service's calls in its order; `vector_search` is the one that differs between runs.
  using VectorSearch = std::function<std::vector<std::pair<int64_t, float>>(const std::vector<float>&)>;
  auto staged = [&](const std::string& q, const VectorSearch& vector_search, StagedTimes& times) {
    const auto start = Clock::now();
    std::vector<store::chunks::TextHit> text_hits;
    // As the service: an account owning every chunk searches the text without an owner check.
    const std::string owner = s.index->owns_every_chunk(s.actor.account_id) ? "" : s.actor.account_id;
    must(s.db->read([&](store::Tx& tx) -> core::Status {
      auto r = store::chunks::search_text(tx, q, owner, {}, depth);
      if (!r) return r.error();
      text_hits = std::move(*r);
      return {};
    }),
         "search_text");
    times.fts.push_back(ms_since(start));
    auto t = Clock::now();
    auto vectors = must(s.index->embedder().embed({q}), "embed");
    times.embed.push_back(ms_since(t));
    t = Clock::now();
    const auto found = vector_search(vectors.front());
    times.vector.push_back(ms_since(t));
    t = Clock::now();
    std::vector<std::vector<uint64_t>> rankings(2);
    for (const auto& h : text_hits) rankings[0].push_back(static_cast<uint64_t>(h.id));
    for (const auto& [id, score] : found) rankings[1].push_back(static_cast<uint64_t>(id));
    std::vector<int64_t> ids;
    for (const auto& f : engines::reciprocal_rank_fusion(rankings, 60, kLimit))
      ids.push_back(static_cast<int64_t>(f.id));
    std::vector<store::ChunkRecord> rows;
    std::unordered_map<std::string, std::string> names;
    must(s.db->read([&](store::Tx& tx) -> core::Status {
      auto r = store::chunks::by_ids(tx, ids);
      if (!r) return r.error();
      rows = std::move(*r);
      for (const auto& c : rows) {
        if (names.count(c.file_id)) continue;
        auto f = store::files::by_id(tx, c.file_id);
        if (!f) return f.error();
        names[c.file_id] = *f ? (*f)->name : "";
      }
      return {};
    }),
         "fetch rows");
    times.fuse_fetch.push_back(ms_since(t));
    times.total.push_back(ms_since(start));
    return ids;
  };
  const VectorSearch with_hnsw = [&](const std::vector<float>& v) {
    return s.index->search(v, static_cast<size_t>(depth), s.actor.account_id, nullptr);
  };
  const VectorSearch with_exact = [&](const std::vector<float>& v) {
    std::vector<std::pair<int64_t, float>> found;
    for (const auto& [label, score] : exact.search(v.data(), static_cast<size_t>(depth))) {
      found.emplace_back(static_cast<int64_t>(label), score);
    }
    return found;
  };

  warmup = std::min(warmup, queries.size());
  for (size_t i = 0; i < warmup; ++i) {
    hybrid.text = queries[i];
    (void)must(s.knowledge->search(s.actor, hybrid), "search");
  }
  std::vector<std::string> file_ids;
  must(s.db->read([&](store::Tx& tx) -> core::Status {
    auto files = store::files::list(tx, s.actor.account_id, std::nullopt, 0, 1 << 30);
    if (!files) return files.error();
    for (const auto& f : *files) file_ids.push_back(f.id);
    return {};
  }),
       "list files");
  const auto timed = [&](services::SearchQuery q, std::vector<double>& into) {
    t0 = Clock::now();
    (void)must(s.knowledge->search(s.actor, q), "search");
    into.push_back(ms_since(t0));
  };
  MemoryProbe memory_probe;
  size_t agreeing = 0, service_hits = 0;
  for (size_t i = warmup; i < queries.size(); ++i) {
    hybrid.text = text_only.text = queries[i];
    out.cpu_probe.push_back(cpu_probe_ms());
    out.memory_probe.push_back(memory_probe.run_ms());
    const double waited_before = core_wait_ms();
    const Usage before = usage();
    t0 = Clock::now();
    const auto hits = must(s.knowledge->search(s.actor, hybrid), "search");
    out.service_hybrid.push_back(ms_since(t0));
    const Usage after = usage();
    const double waited_after = core_wait_ms();
    out.service_core_wait.push_back(std::max(0.0, waited_after - waited_before));
    out.service_cpu.push_back(after.cpu_ms - before.cpu_ms);
    out.service_disk_reads.push_back(after.disk_reads - before.disk_reads);
    out.service_involuntary_switches.push_back(after.involuntary_switches - before.involuntary_switches);
    t0 = Clock::now();
    (void)must(s.knowledge->search(s.actor, text_only), "search");
    out.service_text.push_back(ms_since(t0));
    services::SearchQuery scoped = hybrid;
    scoped.file_ids = {file_ids[(i * 37) % file_ids.size()]};
    timed(scoped, out.service_one_file);
    for (size_t k = 1; k < 10; ++k) scoped.file_ids.push_back(file_ids[(i * 37 + k * 101) % file_ids.size()]);
    timed(scoped, out.service_ten_files);
    services::SearchQuery typed = hybrid;
    typed.source_types = {"pdf"};
    timed(typed, out.service_all_types);
    const auto ids = staged(queries[i], with_hnsw, out.hnsw);
    (void)staged(queries[i], with_exact, out.exact);
    const std::unordered_set<int64_t> mine(ids.begin(), ids.end());
    for (const auto& h : hits) agreeing += mine.count(h.chunk_id);
    service_hits += hits.size();
    if ((i + 1 - warmup) % 50 == 0) std::fprintf(stderr, "  %zu hybrid queries\n", i + 1 - warmup);
  }
  std::vector<size_t> order(out.service_hybrid.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return out.service_hybrid[a] > out.service_hybrid[b]; });
  order.resize(std::max<size_t>(1, order.size() / 100));
  for (size_t k : order) {
    hybrid.text = queries[warmup + k];
    t0 = Clock::now();
    (void)must(s.knowledge->search(s.actor, hybrid), "search");
    out.slowest_again.push_back(ms_since(t0));
    out.slowest_first.push_back(out.service_hybrid[k]);
  }
  out.staged_agreement = service_hits ? static_cast<double>(agreeing) / static_cast<double>(service_hits) : 0;
  out.sqlite_rss_bytes = resident_bytes_trimmed() - rss_after_adopt;
  // The main file only: SQLite's automatic checkpoints have copied all but the last few thousand
  // chunks' pages into it, and the WAL file keeps the size of the largest transaction.
  std::error_code ec;
  out.db_file_bytes = static_cast<double>(std::filesystem::file_size(dir_ / "docent.db", ec));
  return out;
}

}  // namespace docent::bench
