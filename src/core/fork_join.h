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

#include "core/thread_annotations.h"

#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
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

    Mutex mu_;
    CondVar done_;
    State state_ GUARDED_BY(mu_) = State::Queued;
    std::function<void()> fn_;                  // set before the task is shared; cleared when it has run
    std::exception_ptr error_ GUARDED_BY(mu_);  // read after Done
  };

  // `threads` helpers (0: none, every task runs in its join()).
  explicit ForkJoinPool(int threads);
  // Stops the helpers after their current task. Tasks still queued run in their join().
  ~ForkJoinPool();
  ForkJoinPool(const ForkJoinPool&) = delete;
  ForkJoinPool& operator=(const ForkJoinPool&) = delete;

  std::shared_ptr<Task> fork(std::function<void()> fn);
  int threads() const { return static_cast<int>(threads_.size()); }

  // A forked computation whose caller never waits long on a helper that has stalled (on a
  // shared VM the core a helper runs on can be taken away for tens of milliseconds).
  //
  //   auto text = pool.hedge<Hits>([query] { return search_text(query); });
  //   auto vector_hits = search_vectors(...);
  //   Hits text_hits = text->get(grace);
  //
  // get() (call it once) returns the helper's value if it is done, or done within `grace`;
  // else it computes fn here as well and returns that, and the helper's late value is dropped. So fn may run
  // twice at once and must own what it uses (capture by value) and be safe to call twice: the
  // helper's copy can outlive the caller's frame.
  template <typename T>
  class Hedged {
   public:
    T get(std::chrono::nanoseconds grace);

   private:
    friend class ForkJoinPool;
    enum class State { Queued, Claimed, Running, Done };
    void run_on_helper();

    std::function<T()> fn_;  // set before it is shared, then only called
    Mutex mu_;
    CondVar done_;
    State state_ GUARDED_BY(mu_) = State::Queued;
    std::optional<T> value_ GUARDED_BY(mu_);  // set when Done without an error
    std::exception_ptr error_ GUARDED_BY(mu_);
  };

  template <typename T>
  std::shared_ptr<Hedged<T>> hedge(std::function<T()> fn) {
    auto hedged = std::make_shared<Hedged<T>>();
    hedged->fn_ = std::move(fn);
    if (!threads_.empty()) (void)fork([hedged] { hedged->run_on_helper(); });
    return hedged;
  }

 private:
  void helper_loop();

  Mutex mu_;
  CondVar work_;
  std::deque<std::shared_ptr<Task>> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

template <typename T>
void ForkJoinPool::Hedged<T>::run_on_helper() {
  {
    MutexLock lock(mu_);
    if (state_ != State::Queued) return;  // the caller took it before any helper did
    state_ = State::Running;
  }
  std::optional<T> value;
  std::exception_ptr error;
  try {
    value.emplace(fn_());
  } catch (...) {
    error = std::current_exception();
  }
  {
    MutexLock lock(mu_);
    value_ = std::move(value);
    error_ = error;
    state_ = State::Done;
  }
  done_.notify_all();
}

template <typename T>
T ForkJoinPool::Hedged<T>::get(std::chrono::nanoseconds grace) {
  MutexLock lock(mu_);
  if (state_ == State::Running) done_.wait_for(lock, grace, [&]() REQUIRES(mu_) { return state_ == State::Done; });
  if (state_ == State::Done) {
    if (error_) std::rethrow_exception(error_);
    return std::move(*value_);
  }
  if (state_ == State::Queued) state_ = State::Claimed;  // no helper will start it now
  lock.unlock();
  return fn_();
}

}  // namespace docent::core
