#include "core/fork_join.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>

namespace docent::core {
namespace {

using namespace std::chrono_literals;

// Keeps a pool's only helper busy from construction until release(), so tasks forked meanwhile
// stay queued.
class OccupiedHelper {
 public:
  explicit OccupiedHelper(ForkJoinPool& pool) {
    std::shared_future<void> released = release_.get_future().share();
    auto started = busy_.get_future();
    blocker_ = pool.fork([this, released] {
      busy_.set_value();
      released.wait();
    });
    started.wait();  // the helper is now inside the blocker
  }
  void release() {
    release_.set_value();
    blocker_->join();
  }

 private:
  std::promise<void> busy_, release_;
  std::shared_ptr<ForkJoinPool::Task> blocker_;
};

TEST(ForkJoinPool, AHelperRunsTheTaskWhileTheCallerWorks) {
  ForkJoinPool pool(1);
  std::promise<std::thread::id> ran_on;
  auto task = pool.fork([&] { ran_on.set_value(std::this_thread::get_id()); });
  // The caller does not join until the helper has run it, so it must have been the helper.
  auto id = ran_on.get_future().get();
  task->join();
  EXPECT_NE(id, std::this_thread::get_id());
}

TEST(ForkJoinPool, JoinRunsATaskNoHelperTook) {
  ForkJoinPool pool(1);
  OccupiedHelper busy(pool);
  std::thread::id ran_on;
  auto task = pool.fork([&] { ran_on = std::this_thread::get_id(); });
  task->join();  // no helper is free: the caller runs it, and does not wait for the blocker
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  busy.release();
}

TEST(ForkJoinPool, WithoutHelpersEveryTaskRunsInJoin) {
  ForkJoinPool pool(0);
  bool ran = false;
  auto task = pool.fork([&] { ran = true; });
  EXPECT_FALSE(ran);
  task->join();
  EXPECT_TRUE(ran);
}

TEST(ForkJoinPool, JoinRethrowsTheTasksException) {
  for (int helpers : {0, 1}) {
    ForkJoinPool pool(helpers);
    auto task = pool.fork([] { throw std::runtime_error("broken"); });
    EXPECT_THROW(task->join(), std::runtime_error) << helpers << " helpers";
  }
}

TEST(ForkJoinPool, ManyCallersEachGetTheirOwnTaskRunOnce) {
  ForkJoinPool pool(2);
  std::atomic<int> runs{0};
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 8; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < 500; ++i) {
        int value = -1;
        auto task = pool.fork([&, i] {
          value = c * 1000 + i;
          ++runs;
        });
        task->join();
        if (value != c * 1000 + i) ++wrong;
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(runs.load(), 8 * 500);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(ForkJoinPool, DestroyingThePoolLeavesQueuedTasksToTheirJoin) {
  std::shared_ptr<ForkJoinPool::Task> task;
  bool ran = false;
  {
    ForkJoinPool pool(1);
    OccupiedHelper busy(pool);
    task = pool.fork([&] { ran = true; });
    busy.release();
  }  // the helper stops; `task` may still be queued
  task->join();
  EXPECT_TRUE(ran);
}

TEST(ForkJoinPoolHedge, GetReturnsTheHelpersValue) {
  ForkJoinPool pool(1);
  std::promise<void> ran;
  std::atomic<int> runs{0};
  auto hedged = pool.hedge<int>([&] {
    ++runs;
    ran.set_value();
    return 42;
  });
  ran.get_future().wait();  // the helper has it (and is about to publish it)
  EXPECT_EQ(hedged->get(std::chrono::hours(1)), 42);
  EXPECT_EQ(runs.load(), 1);
}

// A helper that has stalled does not hold the caller: after the grace the caller computes the
// value itself, and the helper's late one is dropped.
TEST(ForkJoinPoolHedge, AStalledHelperIsOvertakenByTheCaller) {
  ForkJoinPool pool(1);
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  auto started = std::make_shared<std::promise<void>>();
  const auto caller = std::this_thread::get_id();
  auto hedged = pool.hedge<std::thread::id>([released, started, caller] {
    if (std::this_thread::get_id() != caller) {
      started->set_value();
      released.wait();  // the helper's run stalls until the test lets it go
    }
    return std::this_thread::get_id();
  });
  started->get_future().wait();
  EXPECT_EQ(hedged->get(1ms), caller);
  release->set_value();  // the helper finishes after get() returned; its value is dropped
}

TEST(ForkJoinPoolHedge, ATaskNoHelperTookRunsOnceInGet) {
  ForkJoinPool pool(1);
  OccupiedHelper busy(pool);
  auto runs = std::make_shared<std::atomic<int>>(0);
  auto hedged = pool.hedge<int>([runs] { return ++*runs; });
  EXPECT_EQ(hedged->get(std::chrono::hours(1)), 1);  // queued, never started: no wait at all
  busy.release();
  // The helper takes the queued task after the blocker and must not run it again: a task
  // forked after it runs only once the helper is past it.
  std::promise<void> after;
  auto last = pool.fork([&] { after.set_value(); });
  after.get_future().wait();
  last->join();
  EXPECT_EQ(runs->load(), 1);
}

TEST(ForkJoinPoolHedge, GetRethrowsAndWorksWithoutHelpers) {
  for (int helpers : {0, 1}) {
    ForkJoinPool pool(helpers);
    auto broken = pool.hedge<int>([]() -> int { throw std::runtime_error("broken"); });
    EXPECT_THROW(broken->get(std::chrono::hours(1)), std::runtime_error) << helpers << " helpers";
    auto fine = pool.hedge<int>([] { return 7; });
    EXPECT_EQ(fine->get(std::chrono::hours(1)), 7) << helpers << " helpers";
  }
}

}  // namespace
}  // namespace docent::core
