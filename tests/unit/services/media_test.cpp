// MediaJobs (services/media.h): a submitted job gets its kind's public prefix, runs on the durable
// queue with the progress its handler reports, is seen only by its owner (and admins), ends in the
// seed's completed or error shape, and is deleted with its upload once past its retention.

#include "core/config.h"
#include "core/id.h"
#include "core/metrics.h"
#include "services/accounts.h"
#include "services/jobs.h"
#include "services/media.h"
#include "services/quota.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/media_jobs.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

namespace docent::services {
namespace {

namespace json = boost::json;

class MediaJobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-media-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    config_.plans["unlimited"] = core::PlanConfig{};
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
    blobs_ = std::make_unique<store::BlobStore>(store::BlobStore::open(dir_ / "blobs").value());
    quota_ = std::make_unique<QuotaService>(*db_, config_, *accounts_);
    jobs_ = std::make_unique<JobQueue>(*db_, metrics_);
    media_ = std::make_unique<MediaJobs>(*db_, *blobs_, *jobs_, *quota_, MediaOptions{std::chrono::hours(1)});
    media_->register_kind({.name = "media.test",
                           .prefix = "tst_",
                           .type = "test_analysis",
                           .timeout = std::chrono::seconds(5),
                           .max_attempts = 1,
                           .run = [](MediaJobContext& job) -> core::Status {
                             if (!job.input()) return core::Error(core::Code::InvalidInput, "no input");
                             job.stage("read", 30);
                             std::ifstream in(*job.input());
                             std::string text((std::istreambuf_iterator<char>(in)), {});
                             if (text == "bad") return core::Error(core::Code::InvalidFormat, "Failed to process: bad");
                             job.stage("count", 70);
                             job.set_result(json::object{{"bytes", static_cast<int64_t>(text.size())},
                                                         {"question", job.params().at("question")}});
                             return {};
                           }});
    ASSERT_TRUE(jobs_->start(1));
  }
  void TearDown() override {
    jobs_->stop(std::chrono::steady_clock::now() + std::chrono::seconds(5));
    media_.reset();
    jobs_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Principal make(const std::string& login, const std::string& role = "user") {
    AccountInput in;
    in.login = login;
    in.password = "password-" + login;
    in.plan = "unlimited";
    in.role = role;
    const Account a = accounts_->create_unchecked(in).value();
    return Principal{a.id, a.role, a.plan, "", false};
  }
  std::filesystem::path upload(const std::string& bytes) {
    auto p = dir_ / ("up-" + core::random_hex(4));
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  MediaJobView wait(const Principal& who, const std::string& id) {
    MediaJobView v;
    for (int i = 0; i < 1000; ++i) {
      v = media_->get(who, id).value();
      if (v.status != "queued" && v.status != "processing") return v;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " did not finish";
    return v;
  }

  std::filesystem::path dir_;
  core::Config config_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<QuotaService> quota_;
  std::unique_ptr<JobQueue> jobs_;
  std::unique_ptr<MediaJobs> media_;
};

TEST_F(MediaJobsTest, AJobRunsToTheSeedsCompletedShapeAndOnlyItsOwnerSeesIt) {
  const Principal alice = make("alice"), bob = make("bob"), admin = make("root", "admin");
  auto queued = media_->submit(alice, "media.test",
                               {.input = upload("hello"), .params = {{"question", "how long?"}}, .session_id = {}});
  ASSERT_TRUE(queued.ok()) << queued.error().message;
  EXPECT_TRUE(queued->id.starts_with("tst_")) << queued->id;
  EXPECT_EQ(queued->status, "queued");
  EXPECT_EQ(queued->type, "test_analysis");

  const MediaJobView done = wait(alice, queued->id);
  EXPECT_EQ(done.status, "completed");
  EXPECT_EQ(done.progress, 100);
  ASSERT_TRUE(done.completed_at.has_value());
  EXPECT_EQ(done.result.at("bytes"), 5);
  EXPECT_EQ(done.result.at("question"), "how long?");

  auto peek = media_->get(bob, queued->id);
  ASSERT_FALSE(peek.ok());
  EXPECT_EQ(peek.error().code, core::Code::NotFound);
  EXPECT_TRUE(media_->get(admin, queued->id).ok()) << "admins see every account's jobs";
  EXPECT_EQ(media_->get(alice, "tst_nope").error().code, core::Code::NotFound);
  EXPECT_EQ(media_->submit(alice, "media.unknown", {}).error().code, core::Code::InvalidInput);
}

TEST_F(MediaJobsTest, BadInputFailsTheJobAtOnceInTheErrorShape) {
  const Principal alice = make("alice");
  auto queued = media_->submit(alice, "media.test", {.input = upload("bad"), .params = {}, .session_id = {}});
  ASSERT_TRUE(queued.ok());
  const MediaJobView failed = wait(alice, queued->id);
  EXPECT_EQ(failed.status, "error");
  EXPECT_EQ(failed.progress, 0);
  EXPECT_EQ(failed.error, "Failed to process: bad");
  EXPECT_TRUE(failed.result.is_null());
}

TEST_F(MediaJobsTest, TheSweepDeletesFinishedJobsPastTheirRetentionWithTheirUploads) {
  const Principal alice = make("alice");
  auto queued = media_->submit(alice, "media.test",
                               {.input = upload("keep me a while"), .params = {{"question", ""}}, .session_id = {}});
  ASSERT_TRUE(queued.ok());
  wait(alice, queued->id);
  std::string sha;
  ASSERT_TRUE(db_->read([&](store::Tx& tx) -> core::Status {
    auto m = store::media_jobs::by_id(tx, queued->id);
    if (!m) return m.error();
    sha = (*m)->input_sha256.value_or("");
    return {};
  }));
  ASSERT_TRUE(blobs_->exists(sha));

  // Within the retention nothing goes.
  EXPECT_EQ(media_->sweep_expired(std::chrono::system_clock::now()).value(), 0);
  EXPECT_TRUE(media_->get(alice, queued->id).ok());
  // Past it the job, its row and its upload go.
  EXPECT_EQ(media_->sweep_expired(std::chrono::system_clock::now() + std::chrono::hours(2)).value(), 1);
  EXPECT_EQ(media_->get(alice, queued->id).error().code, core::Code::NotFound);
  EXPECT_FALSE(blobs_->exists(sha));
}

}  // namespace
}  // namespace docent::services
