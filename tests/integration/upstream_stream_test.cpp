// The asynchronous upstream stream (OpenAiClient::stream_async on the shared CurlReactor) over
// real loopback sockets: against a second docent (the built-in engine) as the upstream, and
// against upstreams that misbehave. Chunks arrive in order and the end is reported once; a
// paused stream loses nothing; Stop and cancel() close the upstream connection; errors before
// the first chunk come as the end's status; hundreds of streams share the one reactor thread.

#include "engines/curl_reactor.h"
#include "engines/openai_client.h"
#include "support/fake_upstream.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace docent::testing {
namespace {

namespace json = boost::json;
using engines::ChatChunk;
using engines::Flow;
using namespace std::chrono_literals;

engines::OpenAiClientOptions options_for(const std::string& url, const std::string& key = "none") {
  engines::OpenAiClientOptions o;
  o.base_url = url;
  o.api_key = key;
  o.allow_private = true;
  o.connect_timeout = std::chrono::seconds(2);
  o.read_timeout = std::chrono::seconds(2);
  o.retries = 1;
  return o;
}

engines::ChatRequest request_for(const std::string& model, const std::string& question) {
  engines::ChatRequest r;
  r.model = model;
  r.body = json::object{{"messages", json::array{json::object{{"role", "user"}, {"content", question}}}}};
  return r;
}

// What one stream delivered, filled from the reactor thread; wait() blocks the test (bounded).
struct Received {
  std::mutex mu;
  std::condition_variable cv;
  std::string text;
  int chunks = 0;
  int ends = 0;
  std::optional<core::Status> status;

  engines::StreamCallbacks callbacks(std::function<Flow(int)> flow = {}) {
    engines::StreamCallbacks cb;
    cb.on_chunk = [this, flow](ChatChunk&& c) {
      std::lock_guard lock(mu);
      text += c.content;
      ++chunks;
      cv.notify_all();
      return flow ? flow(chunks) : Flow::Continue;
    };
    cb.on_end = [this](core::Status st) {
      std::lock_guard lock(mu);
      ++ends;
      status = std::move(st);
      cv.notify_all();
    };
    return cb;
  }
  bool wait_end(std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return status.has_value(); });
  }
  bool wait_chunks(int n, std::chrono::seconds limit = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] { return chunks >= n || status.has_value(); });
  }
};

std::string burst_text(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += std::to_string(i) + " ";
  return s;
}

TEST(UpstreamAsyncStream, RelaysADocentUpstreamsAnswerInOrderAndEndsOnce) {
  ServerProcess upstream;
  engines::OpenAiClient client(
      options_for("http://127.0.0.1:" + std::to_string(upstream.port()) + "/v1", upstream.admin_key()));
  auto request = request_for("docent-extractive", "Where do visitors park?");
  request.body["messages"].as_array().insert(
      request.body["messages"].as_array().begin(),
      json::object{{"role", "system"}, {"content", "Visitors park in the quokka lot behind building seven."}});
  Received got;
  auto control = client.stream_async(request, got.callbacks());
  ASSERT_TRUE(got.wait_end());
  std::lock_guard lock(got.mu);
  EXPECT_TRUE(*got.status) << got.status->error().message;
  EXPECT_EQ(got.ends, 1);
  EXPECT_GT(got.chunks, 1);
  EXPECT_NE(got.text.find("quokka lot"), std::string::npos) << got.text;
}

TEST(UpstreamAsyncStream, APausedStreamLosesNothingAndResumes) {
  FakeUpstream fake(FakeUpstream::Mode::Burst, 3000);
  engines::OpenAiClient client(options_for(fake.url()));
  Received got;
  std::shared_ptr<engines::ChatStreamControl> control;
  std::mutex control_mu;
  std::vector<std::thread> resumers;
  // Pauses every 250th chunk; another thread resumes it a little later, as a sink draining would.
  auto flow = [&](int n) {
    if (n % 250 != 0) return Flow::Continue;
    resumers.emplace_back([&] {
      std::this_thread::sleep_for(20ms);
      std::lock_guard lock(control_mu);
      control->resume();
    });
    return Flow::Pause;
  };
  {
    std::lock_guard lock(control_mu);
    control = client.stream_async(request_for("burst", "count"), got.callbacks(flow));
  }
  ASSERT_TRUE(got.wait_end());
  for (auto& t : resumers) t.join();
  std::lock_guard lock(got.mu);
  ASSERT_TRUE(*got.status) << got.status->error().message;
  EXPECT_EQ(got.ends, 1);
  EXPECT_EQ(got.chunks, 3000);
  EXPECT_EQ(got.text, burst_text(3000));
}

TEST(UpstreamAsyncStream, WhilePausedNoChunkIsDelivered) {
  FakeUpstream fake(FakeUpstream::Mode::Burst, 500);
  engines::OpenAiClient client(options_for(fake.url()));
  Received got;
  auto control = client.stream_async(request_for("burst", "count"),
                                     got.callbacks([](int n) { return n == 1 ? Flow::Pause : Flow::Continue; }));
  ASSERT_TRUE(got.wait_chunks(1));
  // Everything the upstream sent has arrived in a fraction of this; none of it may be delivered.
  std::this_thread::sleep_for(500ms);
  {
    std::lock_guard lock(got.mu);
    EXPECT_EQ(got.chunks, 1);
    EXPECT_FALSE(got.status.has_value());
  }
  control->resume();
  ASSERT_TRUE(got.wait_end());
  std::lock_guard lock(got.mu);
  ASSERT_TRUE(*got.status) << got.status->error().message;
  EXPECT_EQ(got.text, burst_text(500));
}

TEST(UpstreamAsyncStream, StopAndCancelCloseTheUpstreamConnection) {
  for (bool use_cancel : {false, true}) {
    FakeUpstream fake(FakeUpstream::Mode::EndlessStream);
    engines::OpenAiClient client(options_for(fake.url()));
    Received got;
    auto control = client.stream_async(request_for("endless", "sing"), got.callbacks([&](int n) {
      return !use_cancel && n == 3 ? Flow::Stop : Flow::Continue;
    }));
    if (use_cancel) {
      ASSERT_TRUE(got.wait_chunks(2));
      control->cancel();
    }
    ASSERT_TRUE(got.wait_end());
    {
      std::lock_guard lock(got.mu);
      ASSERT_FALSE(*got.status);
      EXPECT_EQ(got.status->error().code, core::Code::ServiceUnavailable);
      EXPECT_EQ(got.status->error().message, "cancelled");
      EXPECT_EQ(got.ends, 1);
    }
    // The upstream sees its connection closed (its next write fails). Bounded wait.
    for (int i = 0; i < 100 && fake.closed_by_client() == 0; ++i) std::this_thread::sleep_for(50ms);
    EXPECT_EQ(fake.closed_by_client(), 1) << (use_cancel ? "cancel()" : "Flow::Stop");
  }
}

TEST(UpstreamAsyncStream, FailuresComeAsTheEndsStatusWithTheirReason) {
  struct Case {
    FakeUpstream::Mode mode;
    std::string expect;
  };
  for (const auto& c :
       {Case{FakeUpstream::Mode::Error500, "the model ran out of GPU memory"},
        Case{FakeUpstream::Mode::Hang, "llm.read_timeout"}, Case{FakeUpstream::Mode::MalformedSse, "malformed"},
        Case{FakeUpstream::Mode::TruncatedStream, "[DONE]"}, Case{FakeUpstream::Mode::Reset, "upstream"}}) {
    FakeUpstream fake(c.mode);
    engines::OpenAiClient client(options_for(fake.url()));
    Received got;
    auto control = client.stream_async(request_for("m", "hi"), got.callbacks());
    ASSERT_TRUE(got.wait_end()) << c.expect;
    std::lock_guard lock(got.mu);
    ASSERT_FALSE(*got.status) << c.expect;
    EXPECT_EQ(got.status->error().code, core::Code::UpstreamError) << c.expect;
    EXPECT_NE(got.status->error().message.find(c.expect), std::string::npos) << got.status->error().message;
    EXPECT_EQ(got.ends, 1);
  }
}

TEST(UpstreamAsyncStream, RefusesAPrivateUpstreamUnlessAllowed) {
  FakeUpstream fake(FakeUpstream::Mode::Burst, 3);
  auto o = options_for(fake.url());
  o.allow_private = false;
  engines::OpenAiClient client(o);
  Received got;
  auto control = client.stream_async(request_for("m", "hi"), got.callbacks());
  ASSERT_TRUE(got.wait_end());
  std::lock_guard lock(got.mu);
  ASSERT_FALSE(*got.status);
  EXPECT_NE(got.status->error().message.find("llm.allow_private"), std::string::npos) << got.status->error().message;
  EXPECT_EQ(fake.connections(), 0);
}

TEST(UpstreamAsyncStream, HundredsOfStreamsShareTheOneReactorThread) {
  constexpr int kStreams = 300;
  FakeUpstream fake(FakeUpstream::Mode::Burst, 50);
  engines::OpenAiClient client(options_for(fake.url()));
  std::vector<std::unique_ptr<Received>> got;
  std::vector<std::shared_ptr<engines::ChatStreamControl>> controls;
  for (int i = 0; i < kStreams; ++i) {
    got.push_back(std::make_unique<Received>());
    controls.push_back(client.stream_async(request_for("burst", "count"), got.back()->callbacks()));
  }
  for (auto& g : got) {
    ASSERT_TRUE(g->wait_end());
    std::lock_guard lock(g->mu);
    ASSERT_TRUE(*g->status) << g->status->error().message;
    EXPECT_EQ(g->text, burst_text(50));
  }
  EXPECT_EQ(fake.connections(), kStreams);
  for (int i = 0; i < 100 && engines::CurlReactor::shared().running() > 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(engines::CurlReactor::shared().running(), 0u) << "every transfer was removed from the multi handle";
}

}  // namespace
}  // namespace docent::testing
