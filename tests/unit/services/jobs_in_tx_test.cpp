// JobQueue::enqueue(Tx&) (issue 16): a job queued inside the caller's write transaction exists
// exactly when that transaction commits.

#include "core/id.h"
#include "core/metrics.h"
#include "services/jobs.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace docent::services {
namespace {

namespace json = boost::json;

class JobsInTxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-jobs-tx-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    queue_ = std::make_unique<JobQueue>(*db_, metrics_);
  }
  void TearDown() override {
    queue_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(JobsInTxTest, AJobQueuedInARolledBackTransactionNeverExists) {
  std::string id;
  core::Status s = db_->write([&](store::Tx& tx) -> core::Status {
    auto queued = queue_->enqueue(tx, "ingest", "", json::object{{"file_id", "f1"}});
    if (!queued) return queued.error();
    id = *queued;
    return core::Error(core::Code::Internal, "the change that needed the job failed");
  });
  ASSERT_FALSE(s);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(queue_->get(id).error().code, core::Code::NotFound);
}

TEST_F(JobsInTxTest, AJobQueuedInACommittedTransactionIsQueuedAndDedupesInsideIt) {
  std::string first, second;
  core::Status s = db_->write([&](store::Tx& tx) -> core::Status {
    EnqueueOptions once;
    once.dedupe_key = "file:f1";
    auto a = queue_->enqueue(tx, "ingest", "", json::object{{"file_id", "f1"}}, once);
    if (!a) return a.error();
    auto b = queue_->enqueue(tx, "ingest", "", json::object{{"file_id", "f1"}}, once);  // sees the first
    if (!b) return b.error();
    first = *a;
    second = *b;
    return {};
  });
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(first, second);
  auto job = queue_->get(first);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::Queued);
  EXPECT_EQ(job->kind, "ingest");
  // Bad input is refused before anything is written.
  s = db_->write([&](store::Tx& tx) -> core::Status {
    auto bad = queue_->enqueue(tx, "", "", json::object{});
    return bad ? core::Status() : core::Status(bad.error());
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, core::Code::InvalidInput);
}

}  // namespace
}  // namespace docent::services
