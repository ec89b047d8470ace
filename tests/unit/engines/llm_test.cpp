// LlmProvider's default stream_async: its threads belong to the provider, so destroying the
// provider while a stream is running cancels the stream and waits for it (llm.h, "Lifetime").
#include "engines/llm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace docent::engines {
namespace {

using namespace std::chrono_literals;

// A chunk every millisecond until cancelled.
class EndlessStream final : public ChatStream {
 public:
  core::Result<std::optional<ChatChunk>> next(const CancelCheck& cancel) override {
    std::this_thread::sleep_for(1ms);
    if (cancel()) return core::Error(core::Code::ServiceUnavailable, "cancelled");
    ChatChunk c;
    c.content = "la ";
    return std::optional<ChatChunk>(std::move(c));
  }
};

// A provider that answers from memory, as the built-in engine does. `first_chunk_waits` makes
// stream() itself wait (for cancellation) before it returns.
class MemoryProvider final : public LlmProvider {
 public:
  explicit MemoryProvider(bool first_chunk_waits = false) : first_chunk_waits_(first_chunk_waits) {}
  ~MemoryProvider() override {
    stop_streams();
    alive_ = false;
  }
  using LlmProvider::stop_streams;

  std::string name() const override { return "memory"; }
  core::Result<std::vector<ModelInfo>> list_models(const CancelCheck&) override { return std::vector<ModelInfo>{}; }
  core::Result<ChatResult> chat(const ChatRequest&, const CancelCheck&) override { return ChatResult{}; }
  core::Result<std::unique_ptr<ChatStream>> stream(const ChatRequest&, const CancelCheck& cancel) override {
    entered_ = true;
    while (first_chunk_waits_ && !cancel()) std::this_thread::sleep_for(1ms);
    // A member read after the wait: the provider must still be whole here.
    if (!alive_) return core::Error(core::Code::Internal, "provider used after its destructor");
    if (cancel()) return core::Error(core::Code::ServiceUnavailable, "cancelled");
    return std::unique_ptr<ChatStream>(std::make_unique<EndlessStream>());
  }
  core::Result<EmbeddingResult> embed(const std::string&, const std::vector<std::string>&,
                                      const CancelCheck&) override {
    return core::Error(core::Code::ServiceUnavailable, "no embeddings");
  }

  std::atomic<bool> entered_{false};

 private:
  const bool first_chunk_waits_;
  std::atomic<bool> alive_{true};
};

// What the callbacks saw, shared with them.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  int chunks = 0;
  int ends = 0;
  std::optional<core::Status> end;

  StreamCallbacks callbacks(Flow flow = Flow::Continue) {
    StreamCallbacks c;
    c.on_chunk = [this, flow](ChatChunk&&) {
      std::lock_guard lock(mu);
      ++chunks;
      cv.notify_all();
      return flow;
    };
    c.on_end = [this](core::Status st) {
      std::lock_guard lock(mu);
      ++ends;
      end = std::move(st);
      cv.notify_all();
    };
    return c;
  }
  bool wait_for_chunk() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return chunks > 0; });
  }
  void expect_cancelled_once() {
    std::lock_guard lock(mu);
    EXPECT_EQ(ends, 1);
    ASSERT_TRUE(end.has_value());
    ASSERT_FALSE(end->ok());
    EXPECT_EQ(end->error().code, core::Code::ServiceUnavailable);
    EXPECT_EQ(end->error().message, "cancelled");
  }
};

TEST(LlmProviderStreams, DestroyingTheProviderCancelsARunningStreamAndItsEndHasRunWhenTheDestructorReturns) {
  Seen seen;
  auto provider = std::make_unique<MemoryProvider>();
  auto control = provider->stream_async(ChatRequest{}, seen.callbacks());
  ASSERT_TRUE(seen.wait_for_chunk());
  provider.reset();
  seen.expect_cancelled_once();
}

TEST(LlmProviderStreams, DestroyingTheProviderWhileItsStreamWaitsForAFirstChunkLeavesTheProviderWholeUntilTheEnd) {
  Seen seen;
  auto provider = std::make_unique<MemoryProvider>(/*first_chunk_waits=*/true);
  auto control = provider->stream_async(ChatRequest{}, seen.callbacks());
  while (!provider->entered_) std::this_thread::sleep_for(1ms);
  provider.reset();
  seen.expect_cancelled_once();  // not Internal "provider used after its destructor"
}

TEST(LlmProviderStreams, DestroyingTheProviderEndsAPausedStream) {
  Seen seen;
  auto provider = std::make_unique<MemoryProvider>();
  auto control = provider->stream_async(ChatRequest{}, seen.callbacks(Flow::Pause));
  ASSERT_TRUE(seen.wait_for_chunk());
  provider.reset();
  seen.expect_cancelled_once();
  std::lock_guard lock(seen.mu);
  EXPECT_EQ(seen.chunks, 1);
}

TEST(LlmProviderStreams, AStreamStartedAfterTheProviderStoppedItsStreamsEndsAtOnceAsCancelled) {
  Seen seen;
  MemoryProvider provider;
  provider.stop_streams();
  auto control = provider.stream_async(ChatRequest{}, seen.callbacks());
  seen.expect_cancelled_once();
}

TEST(LlmProviderStreams, ManyShortStreamsEachEndOnceAndLeaveNoThreadBehind) {
  MemoryProvider provider;
  for (int i = 0; i < 20; ++i) {
    Seen seen;
    auto control = provider.stream_async(ChatRequest{}, seen.callbacks(Flow::Stop));
    std::unique_lock lock(seen.mu);
    ASSERT_TRUE(seen.cv.wait_for(lock, 10s, [&] { return seen.ends > 0; }));
    EXPECT_EQ(seen.chunks, 1);
  }
}

}  // namespace
}  // namespace docent::engines
