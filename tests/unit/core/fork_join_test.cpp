#include "core/fork_join.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>

namespace docent::core {
namespace {

using namespace std::chrono_literals;

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
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> helper_busy;
  auto blocker = pool.fork([&] {
    helper_busy.set_value();
    released.wait();
  });
  helper_busy.get_future().wait();  // the only helper is now inside `blocker`
  std::thread::id ran_on;
  auto task = pool.fork([&] { ran_on = std::this_thread::get_id(); });
  task->join();  // no helper is free: the caller runs it, and does not wait for `blocker`
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  release.set_value();
  blocker->join();
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
    std::promise<void> release;
    std::promise<void> helper_busy;
    auto blocker = pool.fork([&] {
      helper_busy.set_value();
      release.get_future().wait();
    });
    helper_busy.get_future().wait();
    task = pool.fork([&] { ran = true; });
    release.set_value();
    blocker->join();
  }  // the helper stops; `task` may still be queued
  task->join();
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace docent::core
