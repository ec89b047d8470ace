#pragma once
// The retention sweep: a thread that, every `interval`, deletes Sherpa log lines and audit
// records older than their configured retention. Each sweep is an idempotent DELETE ... WHERE
// created_unix < cutoff, so several processes sharing one database may all run it. Started and
// stopped (joined) by the composition root; a failed sweep is logged and tried again next time.

#include "core/thread_annotations.h"
#include "services/audit.h"
#include "services/robot_logs.h"

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>
#include <thread>

namespace docent::services {

class RetentionSweeper {
 public:
  RetentionSweeper(RobotLogService& logs, AuditTrail& audit, int audit_retention_days, std::chrono::seconds interval);
  ~RetentionSweeper();  // stops
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Another sweep run with the built-in ones (e.g. expired media jobs): returns how many items it
  // deleted, or its error (logged). Call before start().
  void add_task(std::string name, std::function<core::Result<int64_t>()> task);

  // Sweeps once at once, then every interval. Calling it twice is a no-op.
  void start();
  // Wakes the thread and joins it; returns promptly even mid-wait.
  void stop();
  // One sweep on the calling thread (also what the thread runs).
  void sweep_once();

 private:
  void run();

  RobotLogService& logs_;
  AuditTrail& audit_;
  const int audit_retention_days_;
  const std::chrono::seconds interval_;
  core::Mutex mu_;
  core::CondVar wake_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::pair<std::string, std::function<core::Result<int64_t>()>>> tasks_;  // set before start
  std::thread thread_;
};

}  // namespace docent::services
