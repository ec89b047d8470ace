#include "engines/curl_reactor.h"

#include "core/thread_annotations.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace docent::engines {

namespace {

constexpr int kMaxEvents = 256;

void wake(int fd) {
  const uint64_t one = 1;
  while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

}  // namespace

CurlReactor& CurlReactor::shared() {
  // Never destroyed: its thread serves until the process exits, so no transfer can outlive it.
  static CurlReactor* reactor = new CurlReactor();
  return *reactor;
}

CurlReactor::CurlReactor() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_ = curl_multi_init();
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!multi_ || epoll_ < 0 || wake_ < 0) throw std::runtime_error("cannot start the upstream reactor (curl, epoll)");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlReactor::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlReactor::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = wake_;
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
  thread_ = std::thread([this] { run(); });
}

CurlReactor::~CurlReactor() {
  {
    core::MutexLock lock(mu_);
    stopping_ = true;
  }
  wake(wake_);
  if (thread_.joinable()) thread_.join();
  for (auto& [easy, done] : done_) curl_multi_remove_handle(multi_, easy);
  done_.clear();
  timers_.clear();
  curl_multi_cleanup(multi_);
  ::close(epoll_);
  ::close(wake_);
}

void CurlReactor::post(std::function<void()> fn) {
  bool first = false;
  {
    core::MutexLock lock(mu_);
    first = posted_.empty();
    posted_.push_back(std::move(fn));
  }
  // A queue that was not empty has a wake-up pending already: the thread reads the eventfd
  // before it takes the queue, so nothing posted after that read goes unnoticed.
  if (first) wake(wake_);
}

void CurlReactor::add(CURL* easy, std::function<void(CURLcode)> done) {
  done_[easy] = std::move(done);
  running_.store(done_.size(), std::memory_order_relaxed);
  if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
    auto fn = std::move(done_[easy]);
    done_.erase(easy);
    running_.store(done_.size(), std::memory_order_relaxed);
    post([fn = std::move(fn)] { fn(CURLE_FAILED_INIT); });
  }
}

void CurlReactor::remove(CURL* easy) {
  auto it = done_.find(easy);
  if (it == done_.end()) return;
  // `done` may hold the last reference to the handle's owner: it goes only after curl let go.
  auto done = std::move(it->second);
  done_.erase(it);
  running_.store(done_.size(), std::memory_order_relaxed);
  curl_multi_remove_handle(multi_, easy);
}

void CurlReactor::unpause(CURL* easy) {
  if (!done_.count(easy)) return;
  curl_easy_pause(easy, CURLPAUSE_CONT);  // may deliver buffered data through the write callback now
  collect();
}

void CurlReactor::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  timers_.emplace(Clock::now() + delay, std::move(fn));
}

int CurlReactor::on_socket(CURL*, curl_socket_t s, int what, void* self_ptr, void*) {
  auto* self = static_cast<CurlReactor*>(self_ptr);
  auto it = self->watched_.find(s);
  int events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
  if (what == CURL_POLL_REMOVE) {
    if (it != self->watched_.end()) {
      if (it->second != 0) ::epoll_ctl(self->epoll_, EPOLL_CTL_DEL, s, nullptr);
      self->watched_.erase(it);
    }
    return 0;
  }
  const int before = it == self->watched_.end() ? 0 : it->second;
  epoll_event ev{};
  ev.events = static_cast<uint32_t>(events);
  ev.data.fd = s;
  // A socket nobody wants to hear from is taken out of the set: level-triggered epoll would
  // otherwise report a hang-up on it for ever (a paused transfer whose peer closed).
  if (events == 0) {
    if (before != 0) ::epoll_ctl(self->epoll_, EPOLL_CTL_DEL, s, nullptr);
  } else if (before == 0) {
    ::epoll_ctl(self->epoll_, EPOLL_CTL_ADD, s, &ev);
  } else if (before != events) {
    ::epoll_ctl(self->epoll_, EPOLL_CTL_MOD, s, &ev);
  }
  self->watched_[s] = events;
  return 0;
}

int CurlReactor::on_timer(CURLM*, long timeout_ms, void* self_ptr) {
  auto* self = static_cast<CurlReactor*>(self_ptr);
  if (timeout_ms < 0) {
    self->curl_deadline_.reset();
  } else {
    self->curl_deadline_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void CurlReactor::act(curl_socket_t s, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, s, flags, &running);
  collect();
}

void CurlReactor::collect() {
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    const CURLcode code = msg->data.result;  // read before the handle is removed
    auto it = done_.find(easy);
    if (it == done_.end()) continue;
    auto done = std::move(it->second);
    done_.erase(it);
    running_.store(done_.size(), std::memory_order_relaxed);
    curl_multi_remove_handle(multi_, easy);
    done(code);
  }
}

int CurlReactor::wait_ms() const {
  std::optional<Clock::time_point> next = curl_deadline_;
  if (!timers_.empty() && (!next || timers_.begin()->first < *next)) next = timers_.begin()->first;
  if (!next) return -1;
  const auto left = *next - Clock::now();
  if (left <= Clock::duration::zero()) return 0;
  // Rounded up: waking a little early would only spin until the deadline.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

void CurlReactor::run_due_timers() {
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto fn = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    fn();
  }
}

void CurlReactor::run() {
  epoll_event events[kMaxEvents];
  std::vector<std::function<void()>> tasks;
  for (;;) {
    const int n = ::epoll_wait(epoll_, events, kMaxEvents, wait_ms());
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_) {
        woken = true;
        continue;
      }
      int flags = 0;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) flags |= CURL_CSELECT_IN;
      if (events[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
      if (events[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
      act(fd, flags);
    }
    if (woken) {
      uint64_t count = 0;
      (void)::read(wake_, &count, sizeof count);
    }
    {
      core::MutexLock lock(mu_);
      if (stopping_) return;
      tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
    tasks.clear();
    if (curl_deadline_ && *curl_deadline_ <= Clock::now()) {
      curl_deadline_.reset();
      act(CURL_SOCKET_TIMEOUT, 0);
    }
    run_due_timers();
  }
}

}  // namespace docent::engines
