#pragma once
// One thread that drives many libcurl transfers at once: a single curl multi handle worked
// through curl's socket interface (curl_multi_socket_action) over one level-triggered epoll set,
// so that waiting costs one epoll_wait for every transfer instead of a thread and a poll() each.
// The upstream streams of every model answer share it: a token that arrives wakes this thread
// once, together with whatever else arrived at the same moment.
//
// Everything about a transfer happens on the reactor thread: its curl callbacks, its completion,
// timers, and whatever those call. None of it may block. Work from other threads is handed over
// with post(); add(), remove(), unpause() and after() are for the reactor thread.
//
// Written here rather than taken from asio: asio's reactor is edge-triggered and its waits are
// not speculative, so a socket curl left readable (a paused transfer, a read loop cut short)
// could wait for an edge that never comes; level-triggered epoll has no such case.

#include "core/thread_annotations.h"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace docent::engines {

class CurlReactor {
 public:
  using Clock = std::chrono::steady_clock;

  // The process-wide reactor, started on first use and kept until the process exits.
  static CurlReactor& shared();

  CurlReactor();
  // Stops the thread; transfers still running are dropped without their `done`. Must not run on
  // the reactor thread.
  ~CurlReactor();
  CurlReactor(const CurlReactor&) = delete;
  CurlReactor& operator=(const CurlReactor&) = delete;

  // Runs `fn` on the reactor thread, in posting order. Thread-safe.
  void post(std::function<void()> fn);
  bool on_reactor_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // Starts `easy` (configured, in no multi handle). `done` runs on the reactor thread when the
  // transfer ends, with its result; the handle has been removed from the multi handle by then
  // and may be added again (a retry) or cleaned up.
  void add(CURL* easy, std::function<void(CURLcode)> done);
  // Stops `easy` without calling its `done`; a no-op when it is not running. Never from inside
  // one of curl's callbacks (post() it from there).
  void remove(CURL* easy);
  // Resumes a transfer whose write callback paused it (CURL_WRITEFUNC_PAUSE).
  void unpause(CURL* easy);
  // Runs `fn` on the reactor thread once `delay` has passed.
  void after(std::chrono::milliseconds delay, std::function<void()> fn);

  // Transfers running now (reactor thread; a snapshot elsewhere).
  size_t running() const { return running_.load(std::memory_order_relaxed); }

 private:
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socket_data);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void run();
  void act(curl_socket_t s, int flags);
  void collect();
  int wait_ms() const;
  void run_due_timers();

  CURLM* multi_ = nullptr;
  int epoll_ = -1;
  int wake_ = -1;  // eventfd: post() writes it to wake epoll_wait

  core::Mutex mu_;
  std::vector<std::function<void()>> posted_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;

  // Reactor thread only.
  std::unordered_map<curl_socket_t, int> watched_;  // socket -> the epoll events registered
  std::unordered_map<CURL*, std::function<void(CURLcode)>> done_;
  std::multimap<Clock::time_point, std::function<void()>> timers_;
  std::optional<Clock::time_point> curl_deadline_;
  std::atomic<size_t> running_{0};

  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace docent::engines
