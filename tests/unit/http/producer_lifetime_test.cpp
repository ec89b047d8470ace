// A stream producer's thread belongs to the server: destroying the server waits for it, so a
// producer slow to notice cancellation never runs on after the server (and what it captured) is gone.

#include "http/server.h"

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace docent::http {
namespace {

using namespace std::chrono_literals;

TEST(HttpServer, AStreamProducerSlowToStopNeverOutlivesTheServer) {
  std::atomic<bool> started{false}, finished{false};
  Router r;
  r.add(Method::Get, "/slow", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      sink.send("first");
      started = true;
      while (!sink.cancelled()) std::this_thread::sleep_for(5ms);
      std::this_thread::sleep_for(400ms);  // ignores the cancellation for a while, past the grace
      finished = true;
    });
  });
  docent::testing::TempDir dir;
  ServerOptions opts;
  opts.host = "127.0.0.1";
  opts.port = 0;
  opts.threads = 1;
  opts.workers = 2;
  opts.shutdown_grace = 0s;
  opts.spool_dir = dir.path();
  core::MetricsRegistry metrics;
  {
    Server server(opts, r, {}, metrics);
    ASSERT_TRUE(server.listen().ok());
    std::thread t([&] { server.run(false); });
    docent::testing::HttpClient c(server.port());
    std::string out = c.raw_until("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", "data: first", 3000ms);
    ASSERT_NE(out.find("data: first"), std::string::npos) << out;
    ASSERT_TRUE(started);
    server.stop();
    t.join();
    c.close_raw();
  }
  EXPECT_TRUE(finished) << "the producer's thread was still running after the server was destroyed";
}

}  // namespace
}  // namespace docent::http
