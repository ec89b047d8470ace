// KnowledgeService admitting an upload (issue 16): the file row, its usage count and its ingest
// job are one transaction, the plan's limits are decided inside it, and the same bytes sent
// again into the same folder are the file already there.

#include "core/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "engines/embedder.h"
#include "services/accounts.h"
#include "services/jobs.h"
#include "services/knowledge.h"
#include "services/quota.h"
#include "services/search_index.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/devices.h"
#include "store/knowledge.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace docent::services {
namespace {

class KnowledgeAdmitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-admit-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    config_.plans["one-file"] = core::PlanConfig{.file_capacity = 1};
    config_.plans["unlimited"] = core::PlanConfig{};
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
    blobs_ = std::make_unique<store::BlobStore>(store::BlobStore::open(dir_ / "blobs").value());
    quota_ = std::make_unique<QuotaService>(*db_, config_, *accounts_);
    jobs_ = std::make_unique<JobQueue>(*db_, metrics_);
    index_ = std::make_unique<SearchIndex>(*db_, embedder_, dir_ / "index");
    ASSERT_TRUE(index_->open());
    knowledge_ = std::make_unique<KnowledgeService>(*db_, *blobs_, *jobs_, *index_, *quota_, config_);
  }
  void TearDown() override {
    knowledge_.reset();
    index_.reset();
    jobs_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Principal make(const std::string& login, const std::string& plan = "unlimited") {
    AccountInput in;
    in.login = login;
    in.password = "password-" + login;
    in.plan = plan;
    const Account a = accounts_->create_unchecked(in).value();
    return Principal{a.id, a.role, a.plan, "", false};
  }
  NewFile named(const std::string& name) {
    NewFile info;
    info.name = name;
    return info;
  }
  int64_t count(const std::string& sql, const std::vector<store::Value>& params = {}) {
    int64_t n = -1;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> core::Status {
      auto row = tx.query_one(sql, params);
      if (!row) return row.error();
      n = (*row)->get_int(0);
      return {};
    }));
    return n;
  }
  int64_t files_counted(const Principal& who) {
    int64_t n = -1;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> core::Status {
      auto v = store::usage::get(tx, who.account_id, "files", QuotaService::month_period());
      if (!v) return v.error();
      n = *v;
      return {};
    }));
    return n;
  }

  std::filesystem::path dir_;
  core::Config config_;
  core::MetricsRegistry metrics_;
  engines::HashedEmbedder embedder_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<QuotaService> quota_;
  std::unique_ptr<JobQueue> jobs_;
  std::unique_ptr<SearchIndex> index_;
  std::unique_ptr<KnowledgeService> knowledge_;
};

// Before, the file was inserted, counted and queued in three transactions: a failure (or a crash)
// after the first left a file `uploaded` forever with no job to ingest it.
TEST_F(KnowledgeAdmitTest, AdmitIsOneTransactionSoACrashLeavesNoFileWithoutAJob) {
  const Principal alice = make("alice");
  ASSERT_TRUE(db_->write([](store::Tx& tx) {
    return tx.exec("CREATE TRIGGER refuse_jobs BEFORE INSERT ON jobs BEGIN SELECT RAISE(ABORT, 'no jobs today'); END");
  }));
  auto refused = knowledge_->add_bytes(alice, "notes about the harbour\n", named("notes.txt"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(count("SELECT COUNT(*) FROM files"), 0) << "a file row outlived its failed job";
  EXPECT_EQ(files_counted(alice), 0) << "the usage counter outlived the failed upload";

  ASSERT_TRUE(db_->write([](store::Tx& tx) { return tx.exec("DROP TRIGGER refuse_jobs"); }));
  auto file = knowledge_->add_bytes(alice, "notes about the harbour\n", named("notes.txt"));
  ASSERT_TRUE(file.ok()) << file.error().message;
  ASSERT_FALSE(file->job_id.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM files WHERE job_id = ?", {file->job_id}), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs WHERE id = ? AND kind = 'ingest' AND status = 'queued'", {file->job_id}),
            1);
  EXPECT_EQ(files_counted(alice), 1);
}

// Before, the capacity was counted in a read transaction and the file inserted in a later write:
// uploads racing for the last place all saw room (the bytes are stored, with an fsync, between).
TEST_F(KnowledgeAdmitTest, ConcurrentUploadsCannotBothPassTheCapacityCheck) {
  constexpr int kRacers = 6;
  for (int round = 0; round < 3; ++round) {
    const Principal who = make("racer" + std::to_string(round), "one-file");
    std::atomic<int> admitted{0}, refused{0}, other{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i) {
      // Different bytes each: a duplicate would be answered without the capacity check.
      std::string bytes = "racer ";
      bytes += std::to_string(i) + " of round " + std::to_string(round) + "\n";
      threads.emplace_back([&, i, bytes] {
        while (!go.load()) std::this_thread::yield();
        auto f = knowledge_->add_bytes(who, bytes, named("racer.txt"));
        if (f.ok()) {
          ++admitted;
        } else if (f.error().code == core::Code::QuotaExceeded) {
          ++refused;
        } else {
          ++other;
        }
      });
    }
    go = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(admitted.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), kRacers - 1) << "round " << round;
    EXPECT_EQ(other.load(), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM files WHERE account_id = ?", {who.account_id}), 1);
    EXPECT_EQ(files_counted(who), 1);
  }
}

TEST_F(KnowledgeAdmitTest, TheSameBytesUploadedTwiceIntoOneFolderAreOneFile) {
  const Principal alice = make("alice"), bob = make("bob");
  const std::string bytes = "the quokka lot is behind building seven\n";
  auto first = knowledge_->add_bytes(alice, bytes, named("parking.txt"));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_FALSE(first->duplicate);
  auto again = knowledge_->add_bytes(alice, bytes, named("parking (1).txt"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->name, "parking.txt");  // the file already there, as it is
  EXPECT_EQ(count("SELECT COUNT(*) FROM files WHERE account_id = ?", {alice.account_id}), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM jobs"), 1) << "a duplicate queued a second ingestion";
  EXPECT_EQ(files_counted(alice), 1) << "a duplicate counted against the quota";

  // Another folder, or another account, is another file.
  auto folder = knowledge_->create_folder(alice, "Policies", "", std::nullopt);
  ASSERT_TRUE(folder.ok());
  NewFile in_folder = named("parking.txt");
  in_folder.folder = folder->id;
  auto elsewhere = knowledge_->add_bytes(alice, bytes, in_folder);
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->duplicate);
  EXPECT_NE(elsewhere->id, first->id);
  auto theirs = knowledge_->add_bytes(bob, bytes, named("parking.txt"));
  ASSERT_TRUE(theirs.ok());
  EXPECT_FALSE(theirs->duplicate);
  EXPECT_NE(theirs->id, first->id);

  // A file whose ingestion failed is no match: sending it again is how a client retries.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return store::files::set_status(tx, theirs->id, "failed", "x", 0, 0); }));
  auto retried = knowledge_->add_bytes(bob, bytes, named("parking.txt"));
  ASSERT_TRUE(retried.ok());
  EXPECT_FALSE(retried->duplicate);
  EXPECT_NE(retried->id, theirs->id);
}

TEST_F(KnowledgeAdmitTest, AChunkAddedByHandFollowsTheFilesLastOrdinal) {
  const Principal alice = make("alice");
  auto file = knowledge_->add_bytes(alice, "hand-made chunks\n", named("hand.txt"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(knowledge_->add_chunk(alice, file->id, "first by hand", 1).ok());
  ASSERT_TRUE(knowledge_->add_chunk(alice, file->id, "second by hand", 2).ok());
  EXPECT_EQ(count("SELECT MAX(ordinal) FROM chunks WHERE file_id = ?", {file->id}), 1);
  EXPECT_EQ(count("SELECT chunk_count FROM files WHERE id = ?", {file->id}), 2);
}

}  // namespace
}  // namespace docent::services
