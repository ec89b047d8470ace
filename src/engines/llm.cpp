#include "engines/llm.h"

#include <boost/json.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace docent::engines {

namespace json = boost::json;

namespace {

// stream_async for providers without an asynchronous transport: a thread pulls the blocking
// stream and hands each chunk on; a pause waits on a condition variable until resume().
class ThreadedStream final : public ChatStreamControl {
 public:
  void cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }
  void resume() override {
    std::lock_guard lock(mu_);
    resumed_ = true;  // a resume() that comes before the pause it answers is kept, not lost
    cv_.notify_all();
  }
  bool cancelled() {
    std::lock_guard lock(mu_);
    return cancelled_;
  }
  // False when cancelled while paused.
  bool wait_for_resume() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return resumed_ || cancelled_; });
    resumed_ = false;
    return !cancelled_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;  // GUARDED_BY(mu_)
  bool resumed_ = false;    // GUARDED_BY(mu_)
};

core::Error cancelled_error() { return core::Error(core::Code::ServiceUnavailable, "cancelled"); }

}  // namespace

std::shared_ptr<ChatStreamControl> LlmProvider::stream_async(const ChatRequest& request, StreamCallbacks callbacks) {
  auto control = std::make_shared<ThreadedStream>();
  std::thread([this, request, callbacks = std::move(callbacks), control] {
    const CancelCheck cancel = [&control] { return control->cancelled(); };
    core::Status end;
    auto stream = this->stream(request, cancel);
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
        if (flow == Flow::Stop || (flow == Flow::Pause && !control->wait_for_resume())) {
          end = cancelled_error();
          break;
        }
      }
    }
    callbacks.on_end(std::move(end));
  }).detach();
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
