// bench/search: the HNSW vector index against an exact scan, on chunks of synthetic text
// embedded with the built-in HashedEmbedder; then hybrid search end to end.
//
// For each collection size N it generates N chunk texts from a Zipf vocabulary with topics
// (so embeddings cluster as real ones do), embeds them (measuring embedding throughput),
// builds the VectorIndex (measuring build rate and resident memory) and an ExactIndex, tunes
// ef on a sample of queries until recall@10 against the exact scan reaches the target, then
// measures query latency percentiles for both. Hybrid mode (hybrid.h) stores the same chunks and
// embeddings in a real docent database and times KnowledgeService::search with the same HNSW
// index, beside the same calls with the exact scan and full-text search alone. It prints a
// markdown report on stdout (progress goes to stderr); bench/search/run.sh puts that report into
// docs/PERFORMANCE.md.
//
// Usage: bench_search [--quick] [--sizes N1,N2,...] [--queries 1000] [--recall-queries 200]
//                     [--threads T] [--M 32] [--ef-construction 200] [--dim 384] [--vocabulary 1000000]
//                     [--hybrid-queries 200 (0: no hybrid mode)] [--db-dir $TMPDIR]

#include "engines/embedder.h"
#include "engines/vector_index.h"
#include "corpus.h"
#include "hybrid.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using docent::bench::Corpus;
using docent::engines::ExactIndex;
using docent::engines::HashedEmbedder;
using docent::engines::ScoredLabel;
using docent::engines::VectorIndex;
using Clock = std::chrono::steady_clock;

constexpr size_t kK = 10;
constexpr double kTargetRecall = 0.95;
constexpr double kTargetP99Ms = 20.0;
constexpr double kTargetEmbedMBps = 20.0;
constexpr size_t kHybridWarmup = 20;  // hybrid queries run before the timed ones, untimed

struct Options {
  std::vector<size_t> sizes{100000, 1000000};
  size_t queries = 1000;
  size_t recall_queries = 200;
  int threads = std::max(1u, std::thread::hardware_concurrency());
  int m = 32;                 // HashedEmbedder vectors have a high intrinsic dimension: a denser graph pays off
  int ef_construction = 200;  // VectorIndex's default
  int dim = HashedEmbedder::kDefaultDimensions;
  size_t vocabulary = 1000000;  // distinct words: text of 1M chunks has a long tail of rare terms
  size_t hybrid_queries = 200;  // 0: no hybrid mode
  std::filesystem::path db_dir = std::filesystem::temp_directory_path();  // where hybrid mode's database goes
  // When set, the HNSW index and hybrid mode's database are kept here and reused by later runs
  // with the same parameters (for iterating on the query path; build figures are then absent).
  std::filesystem::path cache_dir;
};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// CPU time of the calling thread: throughput per core that other load on the machine does not
// distort (wall time would count the time the thread waited for a core).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Resident anonymous memory of this process in bytes (RssAnon in /proc/self/status): the heap
// and other private memory, not the pages of files it maps (SQLite maps its database; those
// pages are the OS page cache's, shared and reclaimable).
size_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8)) * 1024;
  }
  return 0;
}

// ---- measurement -----------------------------------------------------------------------------

struct Percentiles {
  double p50 = 0, p99 = 0, mean = 0, max = 0;
};

Percentiles percentiles(std::vector<double> ms) {
  Percentiles p;
  if (ms.empty()) return p;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(ms.size()))) - 1;
    return ms[std::min(i, ms.size() - 1)];
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = ms.back();
  double sum = 0;
  for (double x : ms) sum += x;
  p.mean = sum / static_cast<double>(ms.size());
  return p;
}

// Recall of got against truth over the queries q with q % stride == offset (all by default).
double recall_at_k(const std::vector<std::vector<ScoredLabel>>& got, const std::vector<std::vector<ScoredLabel>>& truth,
                   size_t stride = 1, size_t offset = 0) {
  size_t found = 0, wanted = 0;
  for (size_t q = offset; q < got.size(); q += stride) {
    std::set<uint64_t> t;
    for (const auto& h : truth[q]) t.insert(h.first);
    for (const auto& h : got[q]) found += t.count(h.first);
    wanted += truth[q].size();
  }
  return wanted ? static_cast<double>(found) / static_cast<double>(wanted) : 1.0;
}

// The ann-benchmarks reading of recall, which does not punish ties: a hit counts when it is at
// least as similar as the k-th exact neighbour minus epsilon.
double tolerant_recall(const std::vector<std::vector<ScoredLabel>>& got,
                       const std::vector<std::vector<ScoredLabel>>& truth, double epsilon = 1e-3) {
  size_t found = 0, wanted = 0;
  for (size_t q = 0; q < got.size(); ++q) {
    if (truth[q].empty()) continue;
    const double threshold = truth[q].back().second - epsilon;
    size_t hits = 0;
    for (const auto& h : got[q]) hits += h.second >= threshold;
    found += std::min(hits, truth[q].size());
    wanted += truth[q].size();
  }
  return wanted ? static_cast<double>(found) / static_cast<double>(wanted) : 1.0;
}

struct SizeResult {
  size_t n = 0;
  double text_mb = 0;
  double embed_mbps_per_core = 0;  // bytes embedded / CPU time inside embed_into
  double embed_wall_s = 0;
  double build_s = 0;
  double build_rate = 0;      // vectors per second, all threads
  bool index_cached = false;  // read from --cache-dir, not built in this run
  double hnsw_rss_mb = 0;
  double raw_vectors_mb = 0;
  struct Sweep {
    size_t ef;
    double recall, topic, passage;  // all queries, topic queries, passage queries
    double tolerant;                // tolerant_recall over all queries
  };
  std::vector<Sweep> ef_sweep;
  size_t ef = 0;
  double recall = 0;
  Percentiles hnsw_ms, exact_ms, filtered_ms, exact_filtered_ms;
  double filtered_recall = 0;
  double query_embed_us = 0;
  // Hybrid mode (bench/search/hybrid.h); hybrid_queries == 0 when it did not run.
  size_t hybrid_queries = 0;
  std::string example_question;
  Percentiles service_ms, text_ms, staged_ms, staged_exact_ms;
  Percentiles one_file_ms, ten_files_ms, all_types_ms;  // scoped service queries (hybrid.h)
  Percentiles fts_ms, embed_ms, vector_ms, fuse_fetch_ms, exact_vector_ms;
  double staged_agreement = 0, load_s = 0, adopt_s = 0, db_file_mb = 0, owners_rss_mb = 0, sqlite_rss_mb = 0;
  // What the slowest service queries went through (hybrid.h: major faults, involuntary switches).
  size_t faulting_queries = 0;        // service queries during which a page was read from disk
  Percentiles faulting_ms, clean_ms;  // the service's latency with and without such a read
  size_t slowest = 0, slowest_faulting = 0, slowest_descheduled = 0;  // the slowest 1% and why
  Percentiles cpu_probe_ms;                                           // the fixed CPU-only loop timed before each query
  Percentiles slowest_first_ms, slowest_again_ms;                     // the slowest 1%, and the same queries run again
  // Time the process's threads waited for a core during each query (hybrid.h), over all
  // queries and over the slowest 1%; and the share of the hybrid phase the host took the
  // virtual CPUs away (steal time, /proc/stat: what no guest counter sees per query).
  Percentiles core_wait_ms, slowest_core_wait_ms;
  Percentiles cpu_ms, slowest_cpu_ms;                    // CPU time of the process's threads during each query
  Percentiles memory_probe_ms, slowest_memory_probe_ms;  // the memory chase before each query
  double steal_share = -1;                               // -1: the kernel reports no steal time
  // The host right before the hybrid queries: one thread per core reading the clock for
  // kNoiseSeconds; the gaps over 5 ms each saw and the share of its time lost to gaps over 0.5 ms.
  std::vector<size_t> host_gaps_over_5ms;
  std::vector<double> host_lost_share;
};

constexpr double kNoiseSeconds = 5;

// The machine's steal time so far in seconds (the eighth number of /proc/stat's "cpu" line:
// time the hypervisor ran something else while a virtual CPU wanted to run), or -1.
double steal_seconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) || cpu != "cpu") return -1;
  return static_cast<double>(steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One thread per core spinning on the clock: a gap between two readings is time the thread did
// not run (another thread, the kernel, or the host took its core).
void measure_host_noise(SizeResult& r) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  r.host_gaps_over_5ms.assign(cores, 0);
  r.host_lost_share.assign(cores, 0);
  std::vector<std::thread> loops;
  for (unsigned c = 0; c < cores; ++c) {
    loops.emplace_back([&, c] {
      using namespace std::chrono;
      const auto start = steady_clock::now();
      auto last = start;
      double lost_ms = 0;
      while (last - start < duration<double>(kNoiseSeconds)) {
        const auto now = steady_clock::now();
        const double gap = duration<double, std::milli>(now - last).count();
        if (gap > 0.5) lost_ms += gap;
        if (gap > 5) ++r.host_gaps_over_5ms[c];
        last = now;
      }
      r.host_lost_share[c] = lost_ms / (kNoiseSeconds * 1e3);
    });
  }
  for (auto& t : loops) t.join();
}


std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// 8. Hybrid mode: the service's whole query path over the stored chunks, with the index built
// above (at the tuned ef), beside the same path with the exact scan and full-text search alone.
void run_hybrid(const Corpus& corpus, const Options& o, std::unique_ptr<VectorIndex> index, const ExactIndex& exact,
                docent::bench::HybridBench& hybrid, SizeResult& r) {
  std::vector<std::string> questions(o.hybrid_queries + kHybridWarmup);
  for (size_t q = 0; q < questions.size(); ++q) corpus.question(q, r.n, questions[q]);
  std::fprintf(stderr, "[N=%zu] %zu hybrid queries through KnowledgeService::search, e.g. \"%s\"\n", r.n,
               o.hybrid_queries, questions[kHybridWarmup].c_str());
  measure_host_noise(r);
  const double steal_before = steal_seconds();
  const auto started = std::chrono::steady_clock::now();
  const auto s = hybrid.run(std::move(index), exact, questions, kHybridWarmup);
  const double phase_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double steal_after = steal_seconds();
  if (steal_before >= 0 && steal_after >= 0 && phase_s > 0) {
    r.steal_share = (steal_after - steal_before) / (phase_s * std::max(1u, std::thread::hardware_concurrency()));
  }
  r.hybrid_queries = o.hybrid_queries;
  r.example_question = questions[kHybridWarmup];
  r.service_ms = percentiles(s.service_hybrid);
  r.text_ms = percentiles(s.service_text);
  r.one_file_ms = percentiles(s.service_one_file);
  r.ten_files_ms = percentiles(s.service_ten_files);
  r.all_types_ms = percentiles(s.service_all_types);
  r.staged_ms = percentiles(s.hnsw.total);
  r.staged_exact_ms = percentiles(s.exact.total);
  r.fts_ms = percentiles(s.hnsw.fts);
  r.embed_ms = percentiles(s.hnsw.embed);
  r.vector_ms = percentiles(s.hnsw.vector);
  r.fuse_fetch_ms = percentiles(s.hnsw.fuse_fetch);
  r.exact_vector_ms = percentiles(s.exact.vector);
  r.staged_agreement = s.staged_agreement;
  r.load_s = s.load_s;
  r.adopt_s = s.adopt_s;
  r.db_file_mb = s.db_file_bytes / 1e6;
  r.owners_rss_mb = s.owners_rss_bytes / 1e6;
  r.sqlite_rss_mb = s.sqlite_rss_bytes / 1e6;
  std::vector<double> faulting, clean;
  for (size_t i = 0; i < s.service_hybrid.size(); ++i) {
    (s.service_disk_reads[i] > 0 ? faulting : clean).push_back(s.service_hybrid[i]);
  }
  r.faulting_queries = faulting.size();
  r.faulting_ms = percentiles(faulting);
  r.clean_ms = percentiles(clean);
  std::vector<size_t> order(s.service_hybrid.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s.service_hybrid[a] > s.service_hybrid[b]; });
  r.slowest = std::max<size_t>(1, order.size() / 100);
  std::vector<double> slowest_wait, slowest_cpu, slowest_memory_probe;
  for (size_t k = 0; k < r.slowest && k < order.size(); ++k) {
    r.slowest_faulting += s.service_disk_reads[order[k]] > 0;
    r.slowest_descheduled += s.service_involuntary_switches[order[k]] > 0;
    slowest_wait.push_back(s.service_core_wait[order[k]]);
    slowest_cpu.push_back(s.service_cpu[order[k]]);
    slowest_memory_probe.push_back(s.memory_probe[order[k]]);
  }
  r.core_wait_ms = percentiles(s.service_core_wait);
  r.slowest_core_wait_ms = percentiles(slowest_wait);
  r.cpu_ms = percentiles(s.service_cpu);
  r.slowest_cpu_ms = percentiles(slowest_cpu);
  r.memory_probe_ms = percentiles(s.memory_probe);
  r.slowest_memory_probe_ms = percentiles(slowest_memory_probe);
  r.cpu_probe_ms = percentiles(s.cpu_probe);
  r.slowest_first_ms = percentiles(s.slowest_first);
  r.slowest_again_ms = percentiles(s.slowest_again);
  std::fprintf(stderr,
               "[N=%zu] hybrid p50 %.2f ms p99 %.2f ms (FTS p50 %.2f, HNSW p50 %.2f); exact-scan hybrid p99 %.2f ms\n",
               r.n, r.service_ms.p50, r.service_ms.p99, r.fts_ms.p50, r.vector_ms.p50, r.staged_exact_ms.p99);
}

SizeResult run_size(const Corpus& corpus, const Options& o, size_t n) {
  SizeResult r;
  r.n = n;
  const int dim = o.dim;
  HashedEmbedder embedder(dim);
  std::fprintf(stderr, "[N=%zu] generating and embedding %zu chunks on %d threads...\n", n, n, o.threads);

  // 1. Generate and embed, in parallel; each thread owns a stride of ids.
  std::vector<float> vectors(n * static_cast<size_t>(dim));
  std::vector<double> embed_seconds(o.threads), bytes(o.threads);
  auto t0 = Clock::now();
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) {
      workers.emplace_back([&, t] {
        HashedEmbedder::Scratch scratch;
        std::string text;
        double spent = 0, total = 0;
        for (size_t id = t; id < n; id += o.threads) {
          corpus.chunk(id, text);
          const double s = thread_cpu_seconds();
          embedder.embed_into(text, &vectors[id * dim], scratch);
          spent += thread_cpu_seconds() - s;
          total += static_cast<double>(text.size());
        }
        embed_seconds[t] = spent;
        bytes[t] = total;
      });
    }
    for (auto& w : workers) w.join();
  }
  r.embed_wall_s = seconds_since(t0);
  double total_bytes = 0, total_seconds = 0;
  for (int t = 0; t < o.threads; ++t) total_bytes += bytes[t], total_seconds += embed_seconds[t];
  r.text_mb = total_bytes / 1e6;
  r.embed_mbps_per_core = total_seconds > 0 ? total_bytes / 1e6 / total_seconds : 0;
  std::fprintf(stderr, "[N=%zu] %.0f MB of text embedded at %.1f MB/s per core (%.1f s wall)\n", n, r.text_mb,
               r.embed_mbps_per_core, r.embed_wall_s);

  // 2. HNSW index, built by all threads; resident memory measured around it.
  // Labels are chunk ids as the database will number them: 1..n.
  const size_t rss_before = resident_bytes();
  const std::string tag = "n" + std::to_string(n) + "-d" + std::to_string(dim) + "-v" + std::to_string(o.vocabulary);
  const std::filesystem::path cached_index = o.cache_dir.empty()
                                                 ? std::filesystem::path()
                                                 : o.cache_dir / ("hnsw-" + tag + "-m" + std::to_string(o.m) + "-efc" +
                                                                  std::to_string(o.ef_construction) + ".bin");
  std::unique_ptr<VectorIndex> owned_index;
  if (!cached_index.empty() && std::filesystem::exists(cached_index)) {
    auto loaded = VectorIndex::load(cached_index.string(), dim);
    if (!loaded) {
      std::fprintf(stderr, "bench_search: %s: %s\n", cached_index.c_str(), loaded.error().message.c_str());
      std::exit(1);
    }
    owned_index = std::move(*loaded);
    r.index_cached = true;
  } else {
    owned_index = std::make_unique<VectorIndex>(dim, n, o.m, o.ef_construction);
    VectorIndex& index = *owned_index;
    t0 = Clock::now();
    std::atomic<size_t> done{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < o.threads; ++t) {
      workers.emplace_back([&, t] {
        for (size_t id = t; id < n; id += o.threads) {
          if (!index.add(id + 1, &vectors[id * dim]).ok()) std::abort();
          const size_t d = ++done;
          if (d % 100000 == 0) {
            std::fprintf(stderr, "[N=%zu]   %zu added (%.0f/s)\n", n, d, static_cast<double>(d) / seconds_since(t0));
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    r.build_s = seconds_since(t0);
    r.build_rate = static_cast<double>(n) / r.build_s;
    if (!cached_index.empty()) {
      std::filesystem::create_directories(o.cache_dir);
      if (auto st = index.save(cached_index.string()); !st) {
        std::fprintf(stderr, "bench_search: %s: %s\n", cached_index.c_str(), st.error().message.c_str());
        std::exit(1);
      }
    }
  }
  VectorIndex& index = *owned_index;
  r.hnsw_rss_mb = static_cast<double>(resident_bytes() - rss_before) / 1e6;
  r.raw_vectors_mb = static_cast<double>(n) * dim * sizeof(float) / 1e6;
  std::fprintf(stderr, "[N=%zu] HNSW %s in %.1f s (%.0f vectors/s), +%.0f MB resident\n", n,
               r.index_cached ? "read from the cache" : "built", r.build_s, r.build_rate, r.hnsw_rss_mb);

  // 3. The exact baseline over the same vectors.
  ExactIndex exact(dim);
  exact.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    if (!exact.add(id + 1, &vectors[id * dim]).ok()) std::abort();
  }
  // 3b. Hybrid mode: the chunks, with these embeddings, into a real docent database.
  std::unique_ptr<docent::bench::HybridBench> hybrid;
  if (o.hybrid_queries > 0) {
    std::fprintf(stderr, "[N=%zu] storing %zu chunks in a docent database under %s...\n", n, n, o.db_dir.c_str());
    hybrid = o.cache_dir.empty() ? std::make_unique<docent::bench::HybridBench>(o.db_dir, embedder)
                                 : std::make_unique<docent::bench::HybridBench>(
                                       docent::bench::HybridBench::Kept{o.cache_dir / ("db-" + tag)}, embedder);
    hybrid->load(
        n, [&](uint64_t id, std::string& text) { corpus.chunk(id, text); }, vectors.data());
  }
  std::vector<float>().swap(vectors);

  // 4. Queries: embedded once; the first recall_queries also answered exactly.
  const size_t nq = std::max(o.queries, o.recall_queries);
  std::vector<float> queries(nq * dim);
  {
    HashedEmbedder::Scratch scratch;
    std::string text;
    t0 = Clock::now();
    for (size_t q = 0; q < nq; ++q) {
      corpus.query(q, n, text);
      embedder.embed_into(text, &queries[q * dim], scratch);
    }
    r.query_embed_us = seconds_since(t0) * 1e6 / static_cast<double>(nq);
  }
  std::fprintf(stderr, "[N=%zu] exact answers for %zu queries...\n", n, o.recall_queries);
  std::vector<std::vector<ScoredLabel>> truth(o.recall_queries);
  std::vector<double> exact_ms;
  for (size_t q = 0; q < o.recall_queries; ++q) {
    const auto s = Clock::now();
    truth[q] = exact.search(&queries[q * dim], kK);
    exact_ms.push_back(seconds_since(s) * 1e3);
  }
  r.exact_ms = percentiles(exact_ms);

  // 5. Tune ef: the smallest in the sweep that reaches the target recall.
  for (size_t ef : {16, 32, 64, 128, 256, 512, 1024, 2048, 4096}) {
    index.set_ef(ef);
    std::vector<std::vector<ScoredLabel>> got(o.recall_queries);
    for (size_t q = 0; q < o.recall_queries; ++q) got[q] = index.search(&queries[q * dim], kK);
    const double recall = recall_at_k(got, truth);
    r.ef_sweep.push_back(
        {ef, recall, recall_at_k(got, truth, 2, 0), recall_at_k(got, truth, 2, 1), tolerant_recall(got, truth)});
    std::fprintf(stderr, "[N=%zu] ef=%zu recall@10=%.3f (topic %.3f, passage %.3f; tie-tolerant %.3f)\n", n, ef, recall,
                 r.ef_sweep.back().topic, r.ef_sweep.back().passage, r.ef_sweep.back().tolerant);
    r.ef = ef;
    r.recall = recall;
    if (recall >= kTargetRecall) break;
  }
  index.set_ef(r.ef);

  // 6. Latency at the tuned ef, one query at a time.
  std::vector<double> ms;
  for (size_t q = 0; q < o.queries; ++q) {
    const auto s = Clock::now();
    const auto hits = index.search(&queries[q * dim], kK);
    ms.push_back(seconds_since(s) * 1e3);
    if (hits.size() != kK) std::abort();
  }
  r.hnsw_ms = percentiles(ms);

  // 7. Filtered search (1 label in 100 accepted, e.g. one collection among many) vs. the
  // exact scan under the same filter.
  auto filter = [](uint64_t label) { return label % 100 == 7; };
  std::vector<std::vector<ScoredLabel>> got(o.recall_queries), want(o.recall_queries);
  std::vector<double> fms, ems;
  for (size_t q = 0; q < o.recall_queries; ++q) {
    auto s = Clock::now();
    got[q] = index.search(&queries[q * dim], kK, filter);
    fms.push_back(seconds_since(s) * 1e3);
    s = Clock::now();
    want[q] = exact.search(&queries[q * dim], kK, filter);
    ems.push_back(seconds_since(s) * 1e3);
  }
  r.filtered_ms = percentiles(fms);
  r.exact_filtered_ms = percentiles(ems);
  r.filtered_recall = recall_at_k(got, want);
  std::fprintf(stderr, "[N=%zu] p50 %.3f ms p99 %.3f ms (exact p50 %.1f ms); filtered recall %.3f\n", n, r.hnsw_ms.p50,
               r.hnsw_ms.p99, r.exact_ms.p50, r.filtered_recall);
  if (hybrid) run_hybrid(corpus, o, std::move(owned_index), exact, *hybrid, r);
  return r;
}

std::string human(size_t n) {
  if (n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::string ms(double v) { return fmt(v < 10 ? "%.2f" : "%.1f", v) + " ms"; }
std::string ms_pair(const Percentiles& p) { return ms(p.p50) + " / " + ms(p.p99); }

void report_hybrid(const std::vector<SizeResult>& results) {
  if (std::none_of(results.begin(), results.end(), [](const auto& r) { return r.hybrid_queries > 0; })) return;
  const auto& first = *std::find_if(results.begin(), results.end(), [](const auto& r) { return r.hybrid_queries > 0; });
  std::printf("\n### Hybrid search: `KnowledgeService::search` end to end\n\n");
  std::printf(
      "- **Setup:** the same chunks, stored through the store layer (migrations, `files::insert`, "
      "`chunks::insert`, 5,000 chunks a transaction, 100 chunks a file) in a docent SQLite database, so "
      "the product's triggers fill FTS5; the service is wired as `docent serve` wires it, its `SearchIndex` "
      "adopting the HNSW index above and searching it with its own beam width (`SearchIndex::ef_for`: 256 at "
      "100k chunks, 2048 at 1M). One account owns every chunk; no filters; limit 10.\n");
  std::printf(
      "- **Queries:** %zu per N (after %zu untimed), one at a time: the vector queries' words phrased as "
      "questions with the corpus's most frequent function words (an opening such as \"what is the\", "
      "then \"of\", \"and\", \"the\", \"in\"... between half the words), e.g. \"%s\". "
      "\"the\" is in nearly every chunk, so full-text search scores a large share of the collection.\n",
      first.hybrid_queries, kHybridWarmup, first.example_question.c_str());
  std::printf(
      "- **Baselines (same run):** the same sequence of calls the service makes, timed one by one, with "
      "`ExactIndex` in place of HNSW (\"exact-scan hybrid\"); and the service with full-text search "
      "alone (`Mode::Text`). The split below is that staged sequence with HNSW; it returns the service's "
      "hits (agreement column).\n\n");
  std::printf(
      "| Figure | N | Hybrid (service) | Exact-scan hybrid (baseline) | Hybrid / baseline | FTS5 alone "
      "(service) | Hybrid / FTS5 alone | Target |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    const std::string n = human(r.n);
    std::printf("| Hybrid latency p50 | %s | %s | %s | %s | %s | %s | |\n", n.c_str(), ms(r.service_ms.p50).c_str(),
                ms(r.staged_exact_ms.p50).c_str(), fmt("%.3f", r.service_ms.p50 / r.staged_exact_ms.p50).c_str(),
                ms(r.text_ms.p50).c_str(), fmt("%.2f", r.service_ms.p50 / r.text_ms.p50).c_str());
    std::printf("| Hybrid latency p99 | %s | %s | %s | %s | %s | %s | %s |\n", n.c_str(), ms(r.service_ms.p99).c_str(),
                ms(r.staged_exact_ms.p99).c_str(), fmt("%.3f", r.service_ms.p99 / r.staged_exact_ms.p99).c_str(),
                ms(r.text_ms.p99).c_str(), fmt("%.2f", r.service_ms.p99 / r.text_ms.p99).c_str(),
                r.n >= 1000000 ? (r.service_ms.p99 < kTargetP99Ms ? "< 20 ms: **met**" : "< 20 ms: **missed**") : "");
  }
  std::printf(
      "\nScoped questions (the same questions, through the service, as a chat over documents asks them): "
      "within one file (`file_ids`, 100 chunks), within ten, and with a type filter every file passes "
      "(`source_types` [\"pdf\"]); each beside the unscoped hybrid query above (baseline):\n\n");
  std::printf(
      "| N | One file p50 / p99 | Ten files p50 / p99 | Type filter, all pass p50 / p99 | One file / "
      "unscoped (p50) | Ten files / unscoped (p50) | Type filter / unscoped (p50) |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    std::printf("| %s | %s | %s | %s | %s | %s | %s |\n", human(r.n).c_str(), ms_pair(r.one_file_ms).c_str(),
                ms_pair(r.ten_files_ms).c_str(), ms_pair(r.all_types_ms).c_str(),
                fmt("%.3f", r.one_file_ms.p50 / r.service_ms.p50).c_str(),
                fmt("%.3f", r.ten_files_ms.p50 / r.service_ms.p50).c_str(),
                fmt("%.3f", r.all_types_ms.p50 / r.service_ms.p50).c_str());
  }
  std::printf(
      "\nWhere the time goes (staged calls with HNSW; p50 / p99 of each step, and each step's p50 as a share "
      "of the staged total's p50):\n\n");
  std::printf(
      "| N | FTS5 (`search_text`) | Embed query | HNSW (`SearchIndex::search`) | Fuse + fetch rows | Staged "
      "total | Exact scan in HNSW's place | Agreement with the service |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    auto share = [&](const Percentiles& p) { return fmt(" (%.0f%%)", 100 * p.p50 / r.staged_ms.p50); };
    std::printf("| %s | %s%s | %s%s | %s%s | %s%s | %s | %s | %s |\n", human(r.n).c_str(), ms_pair(r.fts_ms).c_str(),
                share(r.fts_ms).c_str(), ms_pair(r.embed_ms).c_str(), share(r.embed_ms).c_str(),
                ms_pair(r.vector_ms).c_str(), share(r.vector_ms).c_str(), ms_pair(r.fuse_fetch_ms).c_str(),
                share(r.fuse_fetch_ms).c_str(), ms_pair(r.staged_ms).c_str(), ms_pair(r.exact_vector_ms).c_str(),
                fmt("%.3f", r.staged_agreement).c_str());
  }
  std::printf(
      "\nThe tail: the service queries during which the process read from the disk (a major fault on a "
      "mapped page, or a block `read()` fetched: database pages the OS had dropped from its cache) against "
      "the others; then, of the slowest 1%%: how many read from disk; how many had a thread descheduled "
      "against its will (`getrusage`, all threads); how long the process's threads waited for a core while "
      "another task of the guest ran (the kernel's run-queue delay, `/proc/self/task/*/schedstat`, summed "
      "over threads); the CPU time they used (user and system, all threads; a query's work is the same "
      "from run to run, so more CPU time for it is the host making the same work slower); and how long "
      "the same queries take when run again after all the others (a query slow by its nature is slow "
      "again; one the host held up is not):\n\n");
  std::printf(
      "| N | Queries reading from disk | Their latency p50 / p99 | The others' p50 / p99 | Slowest 1%%: read "
      "from disk | Slowest 1%%: descheduled | Slowest 1%%: waited for a core p50 / max (all queries: p50 / "
      "p99) | Slowest 1%%: CPU time p50 (all queries: p50) | Slowest 1%%: p50 / max, then run again |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    const std::string waited = ms(r.slowest_core_wait_ms.p50) + " / " + ms(r.slowest_core_wait_ms.max) + " (" +
                               ms(r.core_wait_ms.p50) + " / " + ms(r.core_wait_ms.p99) + ")";
    const std::string cpu = ms(r.slowest_cpu_ms.p50) + " (" + ms(r.cpu_ms.p50) + ")";
    const std::string again = ms(r.slowest_first_ms.p50) + " / " + ms(r.slowest_first_ms.max) + ", then " +
                              ms(r.slowest_again_ms.p50) + " / " + ms(r.slowest_again_ms.max);
    std::printf("| %s | %zu of %zu | %s | %s | %zu of %zu | %zu of %zu | %s | %s | %s |\n", human(r.n).c_str(),
                r.faulting_queries, r.hybrid_queries, r.faulting_queries ? ms_pair(r.faulting_ms).c_str() : "-",
                ms_pair(r.clean_ms).c_str(), r.slowest_faulting, r.slowest, r.slowest_descheduled, r.slowest,
                waited.c_str(), cpu.c_str(), again.c_str());
  }
  std::printf(
      "\nThe host, whose spread is not the search's: two fixed probes timed right before each query, a CPU "
      "loop (~0.2 ms of register arithmetic) and a memory chase (2,000 dependent loads from random places "
      "in 256 MB: the memory's latency, which other tenants of the host's memory and shared caches can "
      "stretch without taking a core away), with the memory chase's p50 right before the slowest 1%% of "
      "queries; one thread per core reading the clock for %.0f s right before the queries, the gaps over "
      "5 ms each saw and the share of its time lost to gaps over 0.5 ms (a quiet host: a few gaps, under "
      "1%%); and the share of the cores' time the hypervisor reported giving to others during the queries "
      "(steal time, `/proc/stat`):\n\n",
      kNoiseSeconds);
  std::printf(
      "| N | CPU loop p50 / p99 (p99 / p50) | Memory chase p50 / p99 (p99 / p50) | Memory chase before the "
      "slowest 1%%: p50 (/ all p50) | Gaps over 5 ms per core (time lost) | Steal during the queries |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    auto probe = [](const Percentiles& p) {
      return fmt("%.3f", p.p50) + " / " + fmt("%.3f", p.p99) + " ms (" + fmt("%.1f", p.p99 / p.p50) + ")";
    };
    std::string gaps;
    for (size_t c = 0; c < r.host_gaps_over_5ms.size(); ++c) {
      if (c) gaps += ", ";
      gaps += std::to_string(r.host_gaps_over_5ms[c]) + " (" + fmt("%.1f", 100 * r.host_lost_share[c]) + "%)";
    }
    const std::string before_slowest = fmt("%.3f ms", r.slowest_memory_probe_ms.p50) + " (" +
                                       fmt("%.1f", r.slowest_memory_probe_ms.p50 / r.memory_probe_ms.p50) + ")";
    const std::string steal = r.steal_share < 0 ? "not reported" : fmt("%.2f%%", 100 * r.steal_share);
    std::printf("| %s | %s | %s | %s | %s | %s |\n", human(r.n).c_str(), probe(r.cpu_probe_ms).c_str(),
                probe(r.memory_probe_ms).c_str(), before_slowest.c_str(), gaps.c_str(), steal.c_str());
  }
  std::printf(
      "\nMemory and storage per 1M chunks (resident: the growth of the process's anonymous memory, "
      "`RssAnon`, heap trimmed; the database file is on disk and in the OS page cache as far as memory "
      "allows, and the pages of it that SQLite maps are not counted):\n\n");
  std::printf(
      "| N | HNSW index (resident) | Chunk owners in `SearchIndex` (resident) | SQLite connections after the "
      "queries (resident) | Resident total | Database file (rows, embeddings, FTS5) | Raw embeddings (baseline) "
      "| Database / raw embeddings | Load |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    if (r.hybrid_queries == 0) continue;
    const double per = 1e6 / static_cast<double>(r.n);
    auto mb = [&](double v) { return fmt("%.0f", v * per) + " MB"; };
    const std::string load = r.load_s > 0 ? fmt("%.0f", static_cast<double>(r.n) / r.load_s) + " chunks/s (" +
                                                fmt("%.0f", r.load_s) + " s; "
                                          : std::string("database from --cache-dir (");
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %sowners read in %s s) |\n", human(r.n).c_str(),
                mb(r.hnsw_rss_mb).c_str(), mb(r.owners_rss_mb).c_str(), mb(r.sqlite_rss_mb).c_str(),
                mb(r.hnsw_rss_mb + r.owners_rss_mb + r.sqlite_rss_mb).c_str(), mb(r.db_file_mb).c_str(),
                mb(r.raw_vectors_mb).c_str(), fmt("%.2f", r.db_file_mb / r.raw_vectors_mb).c_str(), load.c_str(),
                fmt("%.1f", r.adopt_s).c_str());
  }
}

void report(const Options& o, const std::vector<SizeResult>& results) {
  std::printf(
      "- **Setup:** chunks of synthetic text (~1 kB each: sentences over a Zipf vocabulary of %zu words "
      "led by English function words, 45%% background words, 55%% words of a main and a side topic out of "
      "1000) embedded with `HashedEmbedder` (%d dimensions). Queries are 3-8 words: half about a topic "
      "(its words), half about a passage (content words of one indexed chunk). HNSW: M=%d, "
      "ef_construction=%d, built by %d threads. k=%zu.\n",
      o.vocabulary, o.dim, o.m, o.ef_construction, o.threads, kK);
  std::printf(
      "- **Baseline:** `ExactIndex`, a brute-force scan of the same vectors at the same N (exact by "
      "definition). Latency is one query at a time, search only (the query is embedded beforehand): "
      "HNSW over %zu queries, the exact scan over the %zu recall queries. ef is the smallest of "
      "16, 32, ..., 4096 reaching recall@10 >= %.2f on those %zu queries.\n",
      o.queries, o.recall_queries, kTargetRecall, o.recall_queries);
  std::printf("- **Targets:** p99 < %.0f ms at 1M, recall@10 >= %.2f, embedding > %.0f MB/s per core.\n\n",
              kTargetP99Ms, kTargetRecall, kTargetEmbedMBps);

  std::printf("| Figure | N | HNSW | Exact scan (baseline) | HNSW / baseline | Target |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& r : results) {
    const std::string n = human(r.n);
    const bool at_1m = r.n >= 1000000;
    std::printf("| Query latency p50 (ef=%zu) | %s | %s ms | %s ms | %s | |\n", r.ef, n.c_str(),
                fmt("%.3f", r.hnsw_ms.p50).c_str(), fmt("%.1f", r.exact_ms.p50).c_str(),
                fmt("%.4f", r.hnsw_ms.p50 / r.exact_ms.p50).c_str());
    std::printf("| Query latency p99 (ef=%zu) | %s | %s ms | %s ms | %s | %s |\n", r.ef, n.c_str(),
                fmt("%.3f", r.hnsw_ms.p99).c_str(), fmt("%.1f", r.exact_ms.p99).c_str(),
                fmt("%.4f", r.hnsw_ms.p99 / r.exact_ms.p99).c_str(),
                at_1m ? (r.hnsw_ms.p99 < kTargetP99Ms ? "< 20 ms: **met**" : "< 20 ms: **missed**") : "");
    std::printf("| Recall@10 (ef=%zu) | %s | %s | 1.000 | %s | >= 0.95: **%s** |\n", r.ef, n.c_str(),
                fmt("%.3f", r.recall).c_str(), fmt("%.3f", r.recall).c_str(),
                r.recall >= kTargetRecall ? "met" : "missed");
    std::printf("| Filtered (1%% of labels) p99 | %s | %s ms | %s ms | %s | |\n", n.c_str(),
                fmt("%.3f", r.filtered_ms.p99).c_str(), fmt("%.1f", r.exact_filtered_ms.p99).c_str(),
                fmt("%.4f", r.filtered_ms.p99 / r.exact_filtered_ms.p99).c_str());
    std::printf("| Filtered recall@10 | %s | %s | 1.000 | %s | |\n", n.c_str(), fmt("%.3f", r.filtered_recall).c_str(),
                fmt("%.3f", r.filtered_recall).c_str());
    std::printf("| Resident memory per 1M vectors | %s | %s MB | %s MB (raw floats) | %s | |\n", n.c_str(),
                fmt("%.0f", r.hnsw_rss_mb * 1e6 / static_cast<double>(r.n)).c_str(),
                fmt("%.0f", r.raw_vectors_mb * 1e6 / static_cast<double>(r.n)).c_str(),
                fmt("%.2f", r.hnsw_rss_mb / r.raw_vectors_mb).c_str());
    if (r.index_cached) {
      std::printf("| Build rate | %s | not measured (index read from --cache-dir) | | | |\n", n.c_str());
    } else {
      std::printf("| Build rate | %s | %s vectors/s (%s s) | | | |\n", n.c_str(), fmt("%.0f", r.build_rate).c_str(),
                  fmt("%.1f", r.build_s).c_str());
    }
    std::printf(
        "| Embedding throughput | %s | %s MB/s per core (%s MB) | %s MB/s (target) | %s | > 20 MB/s: **%s** |\n",
        n.c_str(), fmt("%.1f", r.embed_mbps_per_core).c_str(), fmt("%.0f", r.text_mb).c_str(),
        fmt("%.0f", kTargetEmbedMBps).c_str(), fmt("%.2f", r.embed_mbps_per_core / kTargetEmbedMBps).c_str(),
        r.embed_mbps_per_core > kTargetEmbedMBps ? "met" : "missed");
  }
  std::printf(
      "\nef sweep: recall@10 on the %zu recall queries (topic queries / passage queries; tie-tolerant "
      "recall, ann-benchmarks style: a hit counts if its cosine is within 0.001 of the 10th exact "
      "neighbour's). The exact top 10 is crowded: the 10th and 11th neighbours typically differ by "
      "0.001-0.003 in cosine, so strict recall@10 also measures the order of near-ties.\n\n",
      o.recall_queries);
  const auto& longest = std::max_element(results.begin(), results.end(), [](const auto& a, const auto& b) {
                          return a.ef_sweep.size() < b.ef_sweep.size();
                        })->ef_sweep;
  std::printf("| N |");
  for (const auto& sweep : longest) std::printf(" ef=%zu |", sweep.ef);
  std::printf("\n|---|");
  for (size_t i = 0; i < longest.size(); ++i) std::printf("---|");
  std::printf("\n");
  for (const auto& r : results) {
    std::printf("| %s |", human(r.n).c_str());
    for (size_t i = 0; i < longest.size(); ++i) {
      if (i < r.ef_sweep.size()) {
        std::printf(" %.3f (%.2f / %.2f; %.2f) |", r.ef_sweep[i].recall, r.ef_sweep[i].topic, r.ef_sweep[i].passage,
                    r.ef_sweep[i].tolerant);
      } else {
        std::printf(" |");
      }
    }
    std::printf("\n");
  }
  std::printf("\nQuery embedding (3-8 words) takes %.1f us on average.\n", results.back().query_embed_us);
  report_hybrid(results);
}

std::vector<size_t> parse_sizes(const std::string& s) {
  std::vector<size_t> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(std::stoull(item));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_search: %s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--quick") {
      o.sizes = {100000};
    } else if (arg == "--sizes") {
      o.sizes = parse_sizes(value());
    } else if (arg == "--queries") {
      o.queries = std::stoull(value());
    } else if (arg == "--recall-queries") {
      o.recall_queries = std::stoull(value());
    } else if (arg == "--threads") {
      o.threads = std::max(1, std::stoi(value()));
    } else if (arg == "--M") {
      o.m = std::stoi(value());
    } else if (arg == "--ef-construction") {
      o.ef_construction = std::stoi(value());
    } else if (arg == "--vocabulary") {
      o.vocabulary = std::stoull(value());
    } else if (arg == "--dim") {
      o.dim = std::stoi(value());
    } else if (arg == "--hybrid-queries") {
      o.hybrid_queries = std::stoull(value());
    } else if (arg == "--db-dir") {
      o.db_dir = value();
    } else if (arg == "--cache-dir") {
      o.cache_dir = value();
    } else {
      std::fprintf(stderr,
                   "usage: bench_search [--quick] [--sizes N1,N2] [--queries Q] [--recall-queries R] "
                   "[--threads T] [--M M] [--ef-construction E] [--dim D] [--vocabulary V] [--hybrid-queries H] "
                   "[--db-dir DIR] [--cache-dir DIR]\n");
      return 2;
    }
  }
  if (o.sizes.empty() || o.queries == 0 || o.recall_queries == 0) {
    std::fprintf(stderr, "bench_search: nothing to do\n");
    return 2;
  }
  const Corpus corpus(o.vocabulary);
  std::vector<SizeResult> results;
  for (size_t n : o.sizes) results.push_back(run_size(corpus, o, n));
  report(o, results);
  return 0;
}
