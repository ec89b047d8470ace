// SearchIndex::adopt: an index built outside the service answers the service's searches, with
// owners read from the chunks table.

#include "services/search_index.h"
#include "unit/services/search_index_fixture.h"

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "core/metrics.h"
#include "services/accounts.h"
#include "services/jobs.h"
#include "services/knowledge.h"
#include "services/quota.h"
#include "store/blob_store.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

namespace docent::services {
namespace {

using SearchIndexTest = SearchIndexFixture;

TEST_F(SearchIndexTest, AdoptedIndexAnswersWithOwnersFromTheTable) {
  const std::string alice = make_account("alice"), bob = make_account("bob");
  const std::vector<std::string> texts{"invoice totals and tax", "the harbour at dawn", "rust on iron bridges"};
  const auto ids = add_file(alice, texts);
  add_file(bob, {"invoice totals and tax"});

  auto built = std::make_unique<engines::VectorIndex>(embedder_.dimensions(), 16);
  for (size_t i = 0; i < texts.size(); ++i) {
    const auto v = embedder_.embed({texts[i]}).value().front();
    ASSERT_TRUE(built->add(static_cast<uint64_t>(ids[i]), v.data()));
  }
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.adopt(std::move(built)));
  EXPECT_EQ(index.size(), 4u);  // every chunk with an embedding has an owner, bob's included

  const auto query = embedder_.embed({"harbour dawn"}).value().front();
  auto hits = index.search(query, 2, alice, nullptr);
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits.front().first, ids[1]);
  // Bob's chunk was never added to the adopted index, and alice's are not his.
  EXPECT_TRUE(index.search(query, 2, bob, nullptr).empty());
}

TEST_F(SearchIndexTest, AdoptRefusesAnIndexOfAnotherDimension) {
  SearchIndex index(*db_, embedder_, dir_ / "index");
  auto wrong = std::make_unique<engines::VectorIndex>(embedder_.dimensions() + 1, 16);
  EXPECT_FALSE(index.adopt(std::move(wrong)));
  EXPECT_FALSE(index.adopt(nullptr));
}

TEST(SearchIndexEf, WidensTheBeamAsTheIndexGrows) {
  // The widths bench/search found for recall@10 >= 0.95: 256 at 100k chunks, 2048 at 1M.
  EXPECT_EQ(SearchIndex::ef_for(0), engines::VectorIndex::kDefaultEf);
  EXPECT_EQ(SearchIndex::ef_for(10000), engines::VectorIndex::kDefaultEf);
  EXPECT_EQ(SearchIndex::ef_for(100000), 256u);
  EXPECT_EQ(SearchIndex::ef_for(1000000), 2048u);
  EXPECT_EQ(SearchIndex::ef_for(100000000), 4096u);
}

// A single-user server's full-text search skips the owner check per match (SearchIndex says the
// caller owns every indexed chunk). A chunk another account stores before the index hears of it
// must still never reach the caller.
TEST_F(SearchIndexTest, FullTextSearchOfTheOnlyIndexedOwnerNeverShowsAnotherAccountsChunk) {
  const std::string alice = make_account("alice"), bob = make_account("bob");
  const auto mine = add_file(alice, {"invoice totals and tax for march"});
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  ASSERT_TRUE(index.owns_every_chunk(alice));
  const auto theirs = add_file(bob, {"invoice totals and tax for april"});  // in the database only
  EXPECT_TRUE(index.owns_every_chunk(alice));

  core::MetricsRegistry metrics;
  auto blobs = store::BlobStore::open(dir_ / "blobs").value();
  QuotaService quota(*db_, config_, *accounts_);
  JobQueue jobs(*db_, metrics);
  KnowledgeService knowledge(*db_, blobs, jobs, index, quota, config_);
  for (auto mode : {SearchQuery::Mode::Text, SearchQuery::Mode::Hybrid}) {
    SearchQuery q;
    q.text = "invoice totals";
    q.mode = mode;
    const auto hits = knowledge.search(principal(alice), q).value();
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].chunk_id, mine[0]);
    // Bob owns part of the database only: his search checks owners and finds his chunk.
    const auto his = knowledge.search(principal(bob), q).value();
    ASSERT_FALSE(his.empty());
    for (const auto& h : his) EXPECT_EQ(h.chunk_id, theirs[0]);
  }
}

// A search can say which files of its scope it could not look at: the caller's files still
// being ingested, narrowed by the query's filters.
TEST_F(SearchIndexTest, PendingFilesAreTheCallersStillIngestingInTheQuerysScope) {
  const std::string alice = make_account("alice"), bob = make_account("bob");
  std::string done, uploaded, processing, bobs;
  add_file(alice, {"indexed text"}, &done);
  add_file(alice, {}, &uploaded, "uploaded");
  add_file(alice, {}, &processing, "processing", "pdf");
  add_file(bob, {}, &bobs, "uploaded");
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  core::MetricsRegistry metrics;
  auto blobs = store::BlobStore::open(dir_ / "blobs").value();
  QuotaService quota(*db_, config_, *accounts_);
  JobQueue jobs(*db_, metrics);
  KnowledgeService knowledge(*db_, blobs, jobs, index, quota, config_);

  SearchQuery all;
  all.text = "text";
  EXPECT_EQ(knowledge.pending_files(principal(alice), all).value(), (std::vector<std::string>{uploaded, processing}));
  EXPECT_EQ(knowledge.pending_files(principal(bob), all).value(), std::vector<std::string>{bobs});
  SearchQuery pdfs = all;
  pdfs.source_types = {"pdf"};
  EXPECT_EQ(knowledge.pending_files(principal(alice), pdfs).value(), std::vector<std::string>{processing});
  SearchQuery named = all;
  named.file_ids = {done};
  EXPECT_TRUE(knowledge.pending_files(principal(alice), named).value().empty());
  named.file_ids = {bobs};  // another account's file is not found, pending or not
  EXPECT_EQ(knowledge.pending_files(principal(alice), named).error().code, core::Code::NotFound);

  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return store::files::set_status(tx, uploaded, "processed", "", 1, 0); }));
  EXPECT_EQ(knowledge.pending_files(principal(alice), all).value(), std::vector<std::string>{processing});
}

// Owners and files are kept as numbers: searches still see only the caller's chunks, a file
// filter only its files (an id never indexed matches nothing), and removing a file removes
// exactly its chunks.
TEST_F(SearchIndexTest, OwnerAndFileChecksSurviveTheCompactOwnerTable) {
  SearchIndex index(*db_, embedder_, dir_ / "index");
  ASSERT_TRUE(index.open());
  auto chunk = [&](int64_t id, const std::string& account, const std::string& file, const std::string& text) {
    store::ChunkRecord c;
    c.id = id;
    c.account_id = account;
    c.file_id = file;
    c.embedding = SearchIndex::to_bytes(embedder_.embed({text}).value().front());
    return c;
  };
  ASSERT_TRUE(index.add({chunk(1, "alice", "fa1", "harbour at dawn"), chunk(2, "alice", "fa2", "harbour at dusk"),
                         chunk(3, "bob", "fb1", "harbour at dawn"), chunk(4, "alice", "fa1", "iron bridges")}));
  EXPECT_EQ(index.size(), 4u);
  EXPECT_FALSE(index.owns_every_chunk("alice"));
  const auto query = embedder_.embed({"harbour dawn"}).value().front();
  auto ids = [](const std::vector<std::pair<int64_t, float>>& hits) {
    std::set<int64_t> out;
    for (const auto& h : hits) out.insert(h.first);
    return out;
  };
  EXPECT_EQ(ids(index.search(query, 10, "alice", nullptr)), (std::set<int64_t>{1, 2, 4}));
  EXPECT_EQ(ids(index.search(query, 10, "bob", nullptr)), (std::set<int64_t>{3}));
  EXPECT_TRUE(index.search(query, 10, "carol", nullptr).empty());
  const std::vector<std::string> fa2{"fa2"}, fb1{"fb1"}, unknown{"nope"};
  EXPECT_EQ(ids(index.search(query, 10, "alice", &fa2)), (std::set<int64_t>{2}));
  EXPECT_TRUE(index.search(query, 10, "alice", &fb1).empty());  // bob's file
  EXPECT_TRUE(index.search(query, 10, "alice", &unknown).empty());
  // File filters keeping few chunks are scored exactly: the best first, k at most.
  const std::vector<std::string> fa1_fa2{"fa1", "fa2"};
  const auto best = index.search(query, 1, "alice", &fa1_fa2);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].first, 1);
  // A chunk added again under another file belongs to that file only.
  ASSERT_TRUE(index.add({chunk(2, "alice", "fa3", "harbour at dusk")}));
  const std::vector<std::string> fa3{"fa3"};
  EXPECT_TRUE(index.search(query, 10, "alice", &fa2).empty());
  EXPECT_EQ(ids(index.search(query, 10, "alice", &fa3)), (std::set<int64_t>{2}));
  EXPECT_EQ(ids(index.search(query, 10, "alice", &fa1_fa2)), (std::set<int64_t>{1, 4}));

  index.remove_file("fa1");
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(ids(index.search(query, 10, "alice", nullptr)), (std::set<int64_t>{2}));
  index.remove_file("fb1");
  EXPECT_TRUE(index.owns_every_chunk("alice"));
  EXPECT_EQ(ids(index.search(query, 10, "alice", nullptr)), (std::set<int64_t>{2}));
  EXPECT_TRUE(index.search(query, 10, "bob", nullptr).empty());
}

}  // namespace
}  // namespace docent::services
