#include "services/retention.h"

#include "core/log.h"

namespace docent::services {

RetentionSweeper::RetentionSweeper(RobotLogService& logs, AuditTrail& audit, int audit_retention_days,
                                   std::chrono::seconds interval)
    : logs_(logs), audit_(audit), audit_retention_days_(audit_retention_days), interval_(interval) {}

RetentionSweeper::~RetentionSweeper() { stop(); }

void RetentionSweeper::start() {
  if (thread_.joinable()) return;
  {
    core::MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void RetentionSweeper::stop() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionSweeper::add_task(std::string name, std::function<core::Result<int64_t>()> task) {
  tasks_.emplace_back(std::move(name), std::move(task));
}

void RetentionSweeper::sweep_once() {
  for (const auto& [name, task] : tasks_) {
    auto n = task();
    if (!n) {
      core::log::warn("retention sweep failed", {{"what", name}, {"error", n.error().message}});
    } else if (*n > 0) {
      core::log::info("retention sweep", {{"what", name}, {"deleted", *n}});
    }
  }
  auto logs = logs_.purge_expired();
  if (!logs) core::log::warn("log retention sweep failed", {{"error", logs.error().message}});
  auto audit = audit_.purge_expired(audit_retention_days_);
  if (!audit) core::log::warn("audit retention sweep failed", {{"error", audit.error().message}});
  if ((logs && *logs > 0) || (audit && *audit > 0)) {
    core::log::info("retention sweep", {{"logs_deleted", logs ? *logs : 0}, {"audit_deleted", audit ? *audit : 0}});
  }
}

void RetentionSweeper::run() {
  core::MutexLock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    sweep_once();
    lock.lock();
    wake_.wait_for(lock, interval_, [this]() REQUIRES(mu_) { return stopping_; });
  }
}

}  // namespace docent::services
