#pragma once
// A few long-lived helper threads that let a caller do two things at once without starting a
// thread per call: the caller forks one part of its work, does another part itself, then joins.
//
//   auto text = pool.fork([&] { text_hits = search_text(...); });
//   auto vector_hits = search_vectors(...);
//   text->join();  // text_hits is set; an exception from the forked part is rethrown here
//
// A forked task runs on a helper only if one takes it before the caller joins; otherwise the
// caller runs it inside join(). So a busy pool never queues a caller behind other callers' work
// (it just does its own work in turn, as without the pool), and no number of callers can
// deadlock it. Thread-safe.

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace docent::core {

class ForkJoinPool {
 public:
  class Task {
   public:
    // Waits for the task, or runs it here if no helper has started it; rethrows its exception.
    // Call once.
    void join();

   private:
    friend class ForkJoinPool;
    enum class State { Queued, Running, Done };
    // Runs fn if the task is still queued; returns false if someone else has it.
    bool claim_and_run();

    std::mutex mu_;
    std::condition_variable done_;
    State state_ = State::Queued;       // GUARDED_BY(mu_)
    std::function<void()> fn_;          // set before the task is shared; cleared when it has run
    std::exception_ptr error_;          // GUARDED_BY(mu_), read after Done
  };

  // `threads` helpers (0: none, every task runs in its join()).
  explicit ForkJoinPool(int threads);
  // Stops the helpers after their current task. Tasks still queued run in their join().
  ~ForkJoinPool();
  ForkJoinPool(const ForkJoinPool&) = delete;
  ForkJoinPool& operator=(const ForkJoinPool&) = delete;

  std::shared_ptr<Task> fork(std::function<void()> fn);
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void helper_loop();

  std::mutex mu_;
  std::condition_variable work_;
  std::deque<std::shared_ptr<Task>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                    // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace docent::core
