#include "core/fork_join.h"

namespace docent::core {

bool ForkJoinPool::Task::claim_and_run() {
  {
    MutexLock lock(mu_);
    if (state_ != State::Queued) return false;
    state_ = State::Running;
  }
  std::exception_ptr error;
  try {
    fn_();
  } catch (...) {
    error = std::current_exception();
  }
  fn_ = nullptr;  // what it captured goes now, not when the last reference does
  {
    MutexLock lock(mu_);
    error_ = error;
    state_ = State::Done;
  }
  done_.notify_all();
  return true;
}

void ForkJoinPool::Task::join() {
  if (!claim_and_run()) {
    MutexLock lock(mu_);
    done_.wait(lock, [&]() REQUIRES(mu_) { return state_ == State::Done; });
  }
  std::exception_ptr error;
  {
    MutexLock lock(mu_);
    error = error_;
  }
  if (error) std::rethrow_exception(error);
}

ForkJoinPool::ForkJoinPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { helper_loop(); });
}

ForkJoinPool::~ForkJoinPool() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  for (auto& t : threads_) t.join();
}

std::shared_ptr<ForkJoinPool::Task> ForkJoinPool::fork(std::function<void()> fn) {
  auto task = std::make_shared<Task>();
  task->fn_ = std::move(fn);
  if (threads_.empty()) return task;
  {
    MutexLock lock(mu_);
    queue_.push_back(task);
  }
  work_.notify_one();
  return task;
}

void ForkJoinPool::helper_loop() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      MutexLock lock(mu_);
      work_.wait(lock, [&]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task->claim_and_run();  // false: its caller got there first
  }
}

}  // namespace docent::core
