#include "engines/llm.h"

#include <boost/json.hpp>

#include "core/thread_annotations.h"

#include <list>
#include <thread>

namespace docent::engines {

namespace json = boost::json;

namespace {

// stream_async for providers without an asynchronous transport: a thread pulls the blocking
// stream and hands each chunk on; a pause waits on a condition variable until resume().
class ThreadedStream final : public ChatStreamControl {
 public:
  void cancel() override EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void resume() override EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    resumed_ = true;  // a resume() that comes before the pause it answers is kept, not lost
    cv_.notify_all();
  }
  bool cancelled() EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    return cancelled_;
  }
  // False when cancelled while paused.
  bool wait_for_resume() EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    cv_.wait(lock, [&]() REQUIRES(mu_) { return resumed_ || cancelled_; });
    resumed_ = false;
    return !cancelled_;
  }

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  bool cancelled_ GUARDED_BY(mu_) = false;
  bool resumed_ GUARDED_BY(mu_) = false;
};

core::Error cancelled_error() { return core::Error(core::Code::ServiceUnavailable, "cancelled"); }

// Pulls `provider`'s blocking stream on the calling thread until it ends, handing chunks on.
void run_stream(LlmProvider& provider, const ChatRequest& request, const StreamCallbacks& callbacks,
                ThreadedStream& control) {
  const CancelCheck cancel = [&control] { return control.cancelled(); };
  core::Status end;
  auto stream = provider.stream(request, cancel);
  if (!stream) {
    end = stream.error();
  } else {
    while (true) {
      auto chunk = (*stream)->next(cancel);
      if (!chunk) {
        end = chunk.error();
        break;
      }
      if (!*chunk) break;
      const Flow flow = callbacks.on_chunk(std::move(**chunk));
      if (flow == Flow::Stop || (flow == Flow::Pause && !control.wait_for_resume())) {
        end = cancelled_error();
        break;
      }
    }
  }
  callbacks.on_end(std::move(end));
}

}  // namespace

namespace detail {

// The threads of the default stream_async, one per running stream, joined when their stream ends
// (by the next start) or by stop().
class StreamThreads {
 public:
  ~StreamThreads() { stop(); }

  // Runs `body` on a new thread; false (and nothing runs) once stop() was called.
  bool start(std::shared_ptr<ThreadedStream> control, std::function<void()> body) EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    if (stopped_) return false;
    join_finished_locked();
    auto entry = running_.emplace(running_.end());
    entry->control = std::move(control);
    entry->thread = std::thread([this, entry, body = std::move(body)] {
      body();
      core::MutexLock done_lock(mu_);
      entry->done = true;
    });
    return true;
  }

  void stop() EXCLUDES(mu_) {
    std::list<Entry> all;
    {
      core::MutexLock lock(mu_);
      stopped_ = true;
      for (auto& e : running_) e.control->cancel();
      all.splice(all.end(), running_);
    }
    for (auto& e : all) e.thread.join();
  }

 private:
  struct Entry {
    std::shared_ptr<ThreadedStream> control;
    std::thread thread;
    bool done = false;  // the thread is past its body (guarded by StreamThreads::mu_)
  };

  // A finished thread holds nothing but its last unlock of mu_, so joining it here is immediate.
  void join_finished_locked() REQUIRES(mu_) {
    for (auto it = running_.begin(); it != running_.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      it->thread.join();
      it = running_.erase(it);
    }
  }

  core::Mutex mu_;
  std::list<Entry> running_ GUARDED_BY(mu_);
  bool stopped_ GUARDED_BY(mu_) = false;
};

}  // namespace detail

LlmProvider::LlmProvider() : threads_(std::make_unique<detail::StreamThreads>()) {}

LlmProvider::~LlmProvider() { stop_streams(); }

void LlmProvider::stop_streams() { threads_->stop(); }

std::shared_ptr<ChatStreamControl> LlmProvider::stream_async(const ChatRequest& request, StreamCallbacks callbacks) {
  auto control = std::make_shared<ThreadedStream>();
  auto shared = std::make_shared<StreamCallbacks>(std::move(callbacks));
  const bool started = threads_->start(control, [this, request, shared, control] {
    run_stream(*this, request, *shared, *control);
    *shared = {};  // the callbacks are released right after on_end (llm.h)
  });
  if (!started) {
    shared->on_end(cancelled_error());
    *shared = {};
  }
  return control;
}

core::Status stream_chat(LlmProvider& provider, const ChatRequest& request, const CancelCheck& cancel,
                         const std::function<bool(const ChatChunk&)>& on_chunk) {
  auto s = provider.stream(request, cancel);
  if (!s) return s.error();
  while (true) {
    auto c = (*s)->next(cancel);
    if (!c) return c.error();
    if (!*c) return {};
    if (!on_chunk(**c)) return {};
  }
}

std::string message_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content.get_array()) {
      if (!part.is_object()) continue;
      const auto* t = part.get_object().if_contains("text");
      if (t && t->is_string()) {
        if (!out.empty()) out.push_back('\n');
        out.append(t->get_string());
      }
    }
  }
  return out;
}

}  // namespace docent::engines
