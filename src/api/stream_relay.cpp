#include "api/stream_relay.h"

#include "core/thread_annotations.h"

#include <memory>

namespace docent::api {

namespace {

// Shared by the callbacks and the sink's drain hook. The control is known only once
// stream_async has returned, while chunks may already be arriving on the provider's thread: a
// resume asked for before then is remembered and delivered when the control is set.
class Relay {
 public:
  void set_control(const std::shared_ptr<engines::ChatStreamControl>& control) {
    core::MutexLock lock(mu_);
    control_ = control;
    const bool resume = resume_pending_;
    resume_pending_ = false;
    lock.unlock();
    if (resume) control->resume();
  }
  void resume() {
    core::MutexLock lock(mu_);
    auto control = control_.lock();
    if (!control) {
      resume_pending_ = true;
      return;
    }
    lock.unlock();
    control->resume();
  }

 private:
  core::Mutex mu_;
  std::weak_ptr<engines::ChatStreamControl> control_ GUARDED_BY(mu_);
  bool resume_pending_ GUARDED_BY(mu_) = false;
};

}  // namespace

void relay_stream(http::SseSink& sink, engines::LlmProvider& provider, const engines::ChatRequest& request,
                  RelayHooks hooks) {
  auto out = sink.hold();
  auto relay = std::make_shared<Relay>();
  auto shared_hooks = std::make_shared<RelayHooks>(std::move(hooks));
  engines::StreamCallbacks callbacks;
  callbacks.on_chunk = [out, relay, shared_hooks](engines::ChatChunk&& chunk) {
    auto data = shared_hooks->shape(chunk);
    if (!data) return engines::Flow::Continue;
    switch (out->offer(*data)) {
      case http::SseSink::Offered::Queued: return engines::Flow::Continue;
      case http::SseSink::Offered::Full: out->when_drained([relay] { relay->resume(); }); return engines::Flow::Pause;
      case http::SseSink::Offered::Closed: break;
    }
    return engines::Flow::Stop;
  };
  callbacks.on_end = [out, shared_hooks](core::Status status) {
    if (out->cancelled()) return;  // the client left; the upstream transfer has been closed
    shared_hooks->end(*out, status);
  };
  auto control = provider.stream_async(request, std::move(callbacks));
  relay->set_control(control);
  sink.on_cancel([weak = std::weak_ptr<engines::ChatStreamControl>(control)] {
    if (auto c = weak.lock()) c->cancel();
  });
}

}  // namespace docent::api
