// The retention policy of the Sherpa log and the audit trail, against a real SQLite database with
// a clock the test moves: lines and records older than their retention go, newer ones stay, a
// second sweep (another process, say) deletes nothing more, 0 days keeps everything, and
// logs.max_per_account keeps only an account's newest lines.

#include "core/config.h"
#include "core/id.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "services/retention.h"
#include "services/robot_logs.h"
#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace docent::services {
namespace {

using namespace std::chrono_literals;

constexpr const char* kGuid = "16f94238-ede9-435b-a001-1489b32e7dc2";

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-retention-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
    AccountInput in;
    in.login = "robot-owner";
    in.password = "password-robot";
    auto a = accounts_->create_unchecked(in).value();
    owner_ = Principal{a.id, Role::User, a.plan, "", false};
    now_ = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  WallClock clock() {
    return [this] { return now_; };
  }
  NewRobotLog line(const std::string& message) { return NewRobotLog{kGuid, kGuid, kGuid, 2, message}; }
  int64_t total(RobotLogService& logs) { return logs.list(owner_, RobotLogFilter{}).value().total; }

  std::filesystem::path dir_;
  core::Config config_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AccountService> accounts_;
  Principal owner_;
  std::chrono::system_clock::time_point now_;
};

TEST_F(RetentionTest, LogLinesOlderThanTheRetentionGoAndNewerOnesStay) {
  RobotLogService logs(*db_, RobotLogRetention{30, 0}, clock());
  ASSERT_TRUE(logs.create(owner_, line("old")).ok());
  now_ += 20 * 24h;
  ASSERT_TRUE(logs.create(owner_, line("newer")).ok());
  now_ += 11 * 24h;  // "old" is 31 days old, "newer" 11
  EXPECT_EQ(logs.purge_expired().value(), 1);
  EXPECT_EQ(logs.purge_expired().value(), 0);  // a second sweep, by any process, finds nothing more
  auto left = logs.list(owner_, RobotLogFilter{}).value();
  ASSERT_EQ(left.items.size(), 1u);
  EXPECT_EQ(left.items[0].message, "newer");
}

TEST_F(RetentionTest, ZeroDaysKeepsLogLinesUntilPurged) {
  RobotLogService logs(*db_, RobotLogRetention{0, 0}, clock());
  ASSERT_TRUE(logs.create(owner_, line("kept")).ok());
  now_ += 3650 * 24h;
  EXPECT_EQ(logs.purge_expired().value(), 0);
  EXPECT_EQ(total(logs), 1);
}

TEST_F(RetentionTest, MaxPerAccountKeepsTheNewestLines) {
  RobotLogService logs(*db_, RobotLogRetention{0, 3}, clock());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(logs.create(owner_, line("line " + std::to_string(i))).ok());
  auto left = logs.list(owner_, RobotLogFilter{}).value();
  ASSERT_EQ(left.total, 3);
  EXPECT_EQ(left.items[0].message, "line 4");
  EXPECT_EQ(left.items[2].message, "line 2");
}

TEST_F(RetentionTest, AuditRecordsOlderThanTheRetentionGo) {
  AuditTrail audit(*db_, clock());
  ASSERT_TRUE(audit.record(AuditEntry::anonymous(cli_origin(), "auth.login").failed("wrong_credentials")).ok());
  now_ += 200 * 24h;
  ASSERT_TRUE(audit.record(AuditEntry::anonymous(cli_origin(), "key.create")).ok());
  now_ += 200 * 24h;  // 400 and 200 days old
  EXPECT_EQ(audit.purge_expired(0).value(), 0);
  EXPECT_EQ(audit.purge_expired(365).value(), 1);
  EXPECT_EQ(audit.purge_expired(365).value(), 0);
  Principal admin{"", Role::Admin, "", "", false};
  auto page = audit.list(admin, AuditFilter{}).value();
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].entry.action, "key.create");
}

TEST_F(RetentionTest, TheSweeperRunsBothPoliciesAndStopsPromptly) {
  RobotLogService logs(*db_, RobotLogRetention{1, 0}, clock());
  AuditTrail audit(*db_, clock());
  ASSERT_TRUE(logs.create(owner_, line("old")).ok());
  ASSERT_TRUE(audit.record(AuditEntry::anonymous(cli_origin(), "key.create")).ok());
  now_ += 3 * 24h;
  RetentionSweeper sweeper(logs, audit, 2, std::chrono::seconds(3600));
  sweeper.sweep_once();
  EXPECT_EQ(total(logs), 0);
  EXPECT_TRUE(audit.list(Principal{"", Role::Admin, "", "", false}, AuditFilter{}).value().items.empty());
  sweeper.start();
  sweeper.stop();  // joins although the interval is an hour
}

TEST_F(RetentionTest, SecretLookingDetailsAreNeverWritten) {
  AuditTrail audit(*db_, clock());
  auto e = AuditEntry::anonymous(cli_origin(), "key.create");
  e.with("name", "ci").with("api_key", "dk_plain").with("Password", "hunter22").with("token", "t");
  ASSERT_TRUE(audit.record(e).ok());
  auto page = audit.list(Principal{"", Role::Admin, "", "", false}, AuditFilter{}).value();
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].entry.details, (std::map<std::string, std::string>{{"name", "ci"}}));
}

}  // namespace
}  // namespace docent::services
