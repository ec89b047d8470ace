// bench/restart: fills a docent data folder with N chunks of generated text, embedded with the
// built-in HashedEmbedder, owned by its "admin" account, through the store layer (so FTS5's
// triggers run), as `docent ingest` would leave them but without parsing anything. Then builds
// their HNSW index on every core (as the server's own rebuild does) and saves
// it as the server's checkpoint (SearchIndex::adopt, save). Prints the build's seconds.
//
// Usage: bench_restart_fill DATA_DIR N
#include "core/id.h"
#include "core/time.h"
#include "engines/embedder.h"
#include "services/search_index.h"
#include "store/accounts.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

using namespace docent;

namespace {

template <typename T>
T must(core::Result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "bench_restart_fill: %s: %s\n", what, r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

// About 150 words from a 2,000-word vocabulary, different for every chunk.
std::string chunk_text(size_t i) {
  std::string out;
  uint64_t x = i * 2654435761u + 12345;
  for (int w = 0; w < 150; ++w) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += "w" + std::to_string(x % 2000) + (w % 12 == 11 ? ". " : " ");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: bench_restart_fill DATA_DIR N\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const size_t n = std::strtoull(argv[2], nullptr, 10);
  auto db = must(store::open_sqlite(dir / "docent.db"), "open the database");
  std::string account;
  if (auto st = db->read([&](store::Tx& tx) -> core::Status {
        auto a = store::accounts::by_login(tx, "admin");
        if (!a) return a.error();
        if (!*a) return core::Error(core::Code::NotFound, "no admin account (start docent once first)");
        account = (*a)->id;
        return {};
      });
      !st) {
    std::fprintf(stderr, "bench_restart_fill: %s\n", st.error().message.c_str());
    return 1;
  }
  engines::HashedEmbedder embedder;
  constexpr size_t kPerTransaction = 5000, kPerFile = 100;
  for (size_t begin = 0; begin < n; begin += kPerTransaction) {
    const size_t end = std::min(n, begin + kPerTransaction);
    std::vector<store::FileRecord> files;
    std::vector<store::ChunkRecord> chunks;
    const std::string now = core::rfc3339_now();
    std::vector<std::string> texts;
    for (size_t i = begin; i < end; ++i) texts.push_back(chunk_text(i));
    auto vectors = must(embedder.embed(texts), "embed");
    for (size_t i = begin; i < end; ++i) {
      if (i % kPerFile == 0 || files.empty()) {
        store::FileRecord f;
        f.id = core::new_id();
        f.account_id = account;
        f.name = "document-" + std::to_string(i / kPerFile) + ".txt";
        f.mime = "text/plain";
        f.source_type = "text";
        f.sha256 = std::string(64, '0');
        f.status = "processed";
        f.pages = 1;
        f.chunk_count = static_cast<int64_t>(kPerFile);
        f.created_at = f.updated_at = now;
        f.processed_at = now;
        files.push_back(std::move(f));
      }
      store::ChunkRecord c;
      c.file_id = files.back().id;
      c.account_id = account;
      c.ordinal = static_cast<int64_t>(i % kPerFile);
      c.page = 1;
      c.text = std::move(texts[i - begin]);
      c.embedding = services::SearchIndex::to_bytes(vectors[i - begin]);
      chunks.push_back(std::move(c));
    }
    auto st = db->write([&](store::Tx& tx) -> core::Status {
      for (auto& f : files) {
        if (auto s = store::files::insert(tx, f); !s) return s;
      }
      return store::chunks::insert(tx, chunks);
    });
    if (!st) {
      std::fprintf(stderr, "bench_restart_fill: store: %s\n", st.error().message.c_str());
      return 1;
    }
  }
  // The index, built from the stored vectors on every core (new labels add concurrently).
  std::vector<store::ChunkRecord> all;
  auto st = db->read([&](store::Tx& tx) -> core::Status {
    auto r = store::chunks::page_after(tx, 0, static_cast<int64_t>(n) + 1);
    if (!r) return r.error();
    all = std::move(*r);
    return {};
  });
  if (!st) {
    std::fprintf(stderr, "bench_restart_fill: read: %s\n", st.error().message.c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto index = std::make_unique<engines::VectorIndex>(embedder.dimensions(), all.size() + 1024,
                                                      services::SearchIndex::kGraphDegree);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (size_t i = t; i < all.size(); i += threads) {
        const auto v = services::SearchIndex::from_bytes(all[i].embedding);
        (void)index->add(static_cast<uint64_t>(all[i].id), v.data());
      }
    });
  }
  for (auto& th : pool) th.join();
  const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  services::SearchIndex search_index(*db, embedder, dir / "index");
  if (auto a = search_index.adopt(std::move(index)); !a) {
    std::fprintf(stderr, "bench_restart_fill: adopt: %s\n", a.error().message.c_str());
    return 1;
  }
  if (auto saved = search_index.save(); !saved) {
    std::fprintf(stderr, "bench_restart_fill: save: %s\n", saved.error().message.c_str());
    return 1;
  }
  std::printf("%.3f\n", build_s);
  return 0;
}
