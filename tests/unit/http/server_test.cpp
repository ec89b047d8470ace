// The HTTP server in-process, with test routes: SSE streaming, heartbeats and disconnects,
// multipart uploads spooled to disk, handler failures, and graceful shutdown.

#include "http/server.h"

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <any>
#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

namespace docent::http {
namespace {

using docent::testing::HttpClient;
using namespace std::chrono_literals;

class InProcessServer {
 public:
  explicit InProcessServer(Router& router, ServerOptions opts = {},
                           std::vector<Middleware> middleware = {request_id()}) {
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.threads = 2;
    opts.workers = 4;
    opts.spool_dir = spool_.path();
    server_ = std::make_unique<Server>(opts, router, std::move(middleware), metrics_);
    auto st = server_->listen();
    if (!st) throw std::runtime_error(st.error().message);
    thread_ = std::thread([this] { server_->run(false); });
  }
  ~InProcessServer() { stop(); }
  void stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  uint16_t port() const { return server_->port(); }
  const std::filesystem::path& spool() const { return spool_.path(); }
  core::MetricsRegistry& metrics() { return metrics_; }

 private:
  docent::testing::TempDir spool_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

bool wait_for(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return cond();
}

TEST(HttpServer, SseStreamsEventsInOrderThenEnds) {
  Router r;
  r.add(Method::Get, "/events", [](Request&) {
    return Response::stream([](SseSink& sink) {
      for (int i = 0; i < 5; ++i) sink.send("{\"n\":" + std::to_string(i) + "}", "", std::to_string(i));
    });
  });
  InProcessServer s(r);
  HttpClient c(s.port());
  auto res = c.get("/events");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.header("content-type"), "text/event-stream");
  EXPECT_EQ(res.header("cache-control"), "no-cache");
  std::string expected;
  for (int i = 0; i < 5; ++i) expected += "id: " + std::to_string(i) + "\ndata: {\"n\":" + std::to_string(i) + "}\n\n";
  EXPECT_EQ(res.body, expected);
}

TEST(HttpServer, SseSendsHeartbeatsWhenQuiet) {
  Router r;
  std::atomic<bool> release{false};
  r.add(Method::Get, "/quiet", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      sink.send("first");
      while (!release && !sink.cancelled()) std::this_thread::sleep_for(10ms);
    });
  });
  ServerOptions opts;
  opts.sse_heartbeat = 1s;
  InProcessServer s(r, opts);
  HttpClient c(s.port());
  std::string out = c.raw_until("GET /quiet HTTP/1.1\r\nHost: x\r\n\r\n", ": keep-alive", 5000ms);
  release = true;
  c.close_raw();
  EXPECT_NE(out.find("data: first"), std::string::npos) << out;
  EXPECT_NE(out.find(": keep-alive\n\n"), std::string::npos) << out;
}

TEST(HttpServer, ClientDisconnectCancelsTheProducer) {
  Router r;
  std::atomic<bool> saw_cancel{false};
  std::atomic<int> sent{0};
  r.add(Method::Get, "/forever", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      while (sink.send("tick")) {
        ++sent;
        std::this_thread::sleep_for(20ms);
      }
      saw_cancel = sink.cancelled();
    });
  });
  InProcessServer s(r);
  HttpClient c(s.port());
  std::string out = c.raw_until("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n", "data: tick", 5000ms);
  ASSERT_NE(out.find("data: tick"), std::string::npos);
  c.close_raw();
  EXPECT_TRUE(wait_for([&] { return saw_cancel.load(); }, 3000ms)) << "producer never saw the disconnect";
  EXPECT_TRUE(
      wait_for([&] { return s.metrics().render().find("docent_http_sse_streams_open 0") != std::string::npos; }));
}

TEST(HttpServer, ShutdownCancelsOpenStreams) {
  Router r;
  std::atomic<bool> ended{false};
  r.add(Method::Get, "/forever", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      while (sink.send("tick")) std::this_thread::sleep_for(20ms);
      ended = true;
    });
  });
  auto s = std::make_unique<InProcessServer>(r);
  HttpClient c(s->port());
  c.raw_until("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n", "data: tick", 5000ms);
  s->stop();  // returns only when every thread stopped
  EXPECT_TRUE(ended.load());
  c.close_raw();
}

// Streams run on producer threads of their own: more open streams than pool workers (4) leave
// ordinary requests answered, and max_streams caps how many are open at once.
TEST(HttpServer, OpenStreamsDoNotHoldTheWorkerPoolAndAreCapped) {
  Router r;
  std::atomic<bool> release{false};
  std::atomic<int> running{0};
  r.add(Method::Get, "/wait", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      ++running;
      sink.send("open");
      while (!release && !sink.cancelled()) std::this_thread::sleep_for(10ms);
      --running;
    });
  });
  r.add(Method::Get, "/plain", [](Request&) { return Response::text(200, "fine"); });
  ServerOptions opts;
  opts.max_streams = 6;
  InProcessServer s(r, opts);
  std::vector<std::unique_ptr<HttpClient>> streams;
  for (int i = 0; i < 6; ++i) {
    streams.push_back(std::make_unique<HttpClient>(s.port()));
    std::string out = streams.back()->raw_until("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n", "data: open", 5000ms);
    ASSERT_NE(out.find("data: open"), std::string::npos) << "stream " << i << ": " << out;
  }
  EXPECT_EQ(running.load(), 6);
  HttpClient plain(s.port());
  auto ok = plain.get("/plain");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "fine");
  auto refused = plain.get("/wait");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("retry-after"), "1");
  EXPECT_NE(refused.body.find("max_streams"), std::string::npos) << refused.body;
  release = true;
  for (auto& c : streams) c->close_raw();
  EXPECT_TRUE(wait_for([&] { return running.load() == 0; }));
  // Slots come back: a new stream opens once the others ended.
  EXPECT_TRUE(wait_for([&] {
    HttpClient again(s.port());
    return again.get("/wait").status == 200;
  }));
}

// A stream whose head waits for its first event: the producer may still answer with an error
// response, and producers waiting for their first event hold no pool worker.
TEST(HttpServer, AStreamMayRejectBeforeItsFirstEvent) {
  Router r;
  std::atomic<bool> release{false};
  r.add(Method::Get, "/refused", [](Request&) {
    return Response::stream_on_first_event([](SseSink& sink) {
      EXPECT_TRUE(sink.reject(Response::json(502, std::string(R"({"error":"upstream down"})"))));
    });
  });
  r.add(Method::Get, "/late", [&](Request&) {
    return Response::stream_on_first_event([&](SseSink& sink) {
      while (!release && !sink.cancelled()) std::this_thread::sleep_for(10ms);
      sink.send("first");
      EXPECT_FALSE(sink.reject(Response::json(500, std::string("{}")))) << "too late once an event went out";
      sink.send("second");
    });
  });
  r.add(Method::Get, "/plain", [](Request&) { return Response::text(200, "fine"); });
  InProcessServer s(r);

  HttpClient c(s.port());
  auto refused = c.get("/refused");
  EXPECT_EQ(refused.status, 502);
  EXPECT_EQ(refused.header("content-type"), "application/json");
  EXPECT_EQ(refused.body, R"({"error":"upstream down"})");
  EXPECT_TRUE(wait_for([&] {
    return s.metrics().render().find(R"(route="/refused",method="GET",status="502")") != std::string::npos;
  })) << s.metrics().render();

  // Six streams waiting for their first event, more than the pool's four workers.
  std::vector<std::future<docent::testing::HttpResponse>> waiting;
  for (int i = 0; i < 6; ++i) {
    waiting.push_back(std::async(std::launch::async, [&] { return HttpClient(s.port()).get("/late"); }));
  }
  std::this_thread::sleep_for(200ms);
  auto ok = c.get("/plain");
  EXPECT_EQ(ok.status, 200);
  release = true;
  for (auto& f : waiting) {
    auto res = f.get();
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "data: first\n\ndata: second\n\n");
  }
}

TEST(HttpServer, MultipartUploadsAreSpooledAndCleanedUp) {
  Router r;
  std::string seen_field, seen_name, seen_content;
  std::filesystem::path seen_path;
  r.add(
      Method::Post, "/upload",
      [&](Request& req) {
    if (!req.form) return Response::text(400, "no form");
    seen_field = req.form->field("purpose") ? req.form->field("purpose")->value : "";
    auto files = req.form->files_named("file");
    if (files.size() != 1) return Response::text(400, "want one file");
    seen_name = files[0]->filename;
    seen_path = files[0]->path;
    std::ifstream in(seen_path, std::ios::binary);
    seen_content.assign(std::istreambuf_iterator<char>(in), {});
    return Response::text(200, std::to_string(files[0]->size));
      },
      {.multipart = true});
  InProcessServer s(r);
  HttpClient c(s.port());
  std::string content(300 * 1024, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>((i * 31) & 0xff);
  std::string body = docent::testing::multipart_body("XyZ123",
                                                     {{"purpose", "", "", "assistants"},
                                                      {"file", "../../etc/report.pdf", "application/pdf", content}});
  auto res = c.request("POST", "/upload", body, {{"Content-Type", "multipart/form-data; boundary=XyZ123"}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.body, std::to_string(content.size()));
  EXPECT_EQ(seen_field, "assistants");
  EXPECT_EQ(seen_name, "../../etc/report.pdf");  // kept as data, never used as a path
  EXPECT_EQ(seen_content, content);
  EXPECT_EQ(seen_path.parent_path(), s.spool());
  EXPECT_TRUE(wait_for([&] { return !std::filesystem::exists(seen_path); })) << "spooled file left behind";
}

TEST(HttpServer, BrokenMultipartIs400AndOversizedFileIs413) {
  Router r;
  r.add(Method::Post, "/upload", [](Request&) { return Response::text(200, "ok"); }, {.multipart = true});
  ServerOptions opts;
  opts.max_upload_bytes = 64 * 1024;
  InProcessServer s(r, opts);
  HttpClient c(s.port());
  auto broken = c.request("POST", "/upload", "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end",
                          {{"Content-Type", "multipart/form-data; boundary=b"}});
  EXPECT_EQ(broken.status, 400);
  HttpClient c2(s.port());
  std::string body = docent::testing::multipart_body("bb", {{"file", "x.bin", "", std::string(100 * 1024, 'x')}});
  auto big = c2.request("POST", "/upload", body, {{"Content-Type", "multipart/form-data; boundary=bb"}});
  EXPECT_EQ(big.status, 413);
  EXPECT_TRUE(wait_for([&] { return std::filesystem::is_empty(s.spool()); })) << "spool not cleaned after errors";
}

TEST(HttpServer, HandlerExceptionIs500AndServerLivesOn) {
  Router r;
  r.add(Method::Get, "/boom", [](Request&) -> Response { throw std::runtime_error("kaboom"); });
  r.add(Method::Get, "/ok", [](Request&) { return Response::text(200, "fine"); });
  InProcessServer s(r);
  HttpClient c(s.port());
  auto res = c.get("/boom");
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("kaboom"), std::string::npos);  // internals stay in the log
  EXPECT_EQ(c.get("/ok").body, "fine");
}

TEST(HttpServer, GracefulShutdownFinishesInFlightRequests) {
  Router r;
  std::atomic<bool> started{false};
  r.add(Method::Get, "/slow", [&](Request&) {
    started = true;
    std::this_thread::sleep_for(300ms);
    return Response::text(200, "done");
  });
  auto s = std::make_unique<InProcessServer>(r);
  uint16_t port = s->port();
  auto pending = std::async(std::launch::async, [port] { return HttpClient(port).get("/slow"); });
  ASSERT_TRUE(wait_for([&] { return started.load(); }));
  s->stop();
  auto res = pending.get();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "done");
  EXPECT_EQ(res.header("connection"), "close");
}

TEST(HttpServer, HandlersDoNotBlockNetworkThreads) {
  // Two network threads, and more slow handlers in flight than that: an inline route must still
  // answer at once because the slow ones run on the worker pool.
  Router r;
  std::atomic<int> running{0};
  r.add(Method::Get, "/slow", [&](Request&) {
    ++running;
    std::this_thread::sleep_for(500ms);
    return Response::text(200, "slow");
  });
  r.add(Method::Get, "/fast", [](Request&) { return Response::text(200, "fast"); }, {.run_inline = true});
  InProcessServer s(r);
  std::vector<std::future<docent::testing::HttpResponse>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::async(std::launch::async, [&] { return HttpClient(s.port()).get("/slow"); }));
  }
  ASSERT_TRUE(wait_for([&] { return running.load() == 3; }));
  EXPECT_EQ(HttpClient(s.port()).get("/fast").body, "fast");
  EXPECT_EQ(running.load(), 3) << "the fast answer should come while all slow handlers still run";
  for (auto& f : slow) EXPECT_EQ(f.get().body, "slow");
}

// A warm route (RouteOptions::inline_when) is handled on the network thread when it and the chain
// (ServerOptions::prepare_inline) agree, so it answers while every pool worker is busy, and with
// the principal prepare_inline found (the authentication hook is not asked). When either says no,
// it waits for the pool like any route.
TEST(HttpServer, AWarmRouteSkipsThePoolOnlyWhenItAndTheChainAgree) {
  Router r;
  std::atomic<int> running{0};
  std::atomic<bool> release{false};
  r.add(
      Method::Get, "/slow",
      [&](Request&) {
    ++running;
    while (!release) std::this_thread::sleep_for(5ms);
    --running;
    return Response::text(200, "slow");
      },
      {.is_public = true});  // not looked up: only /warm counts
  std::atomic<bool> route_warm{true};
  std::atomic<bool> chain_ok{true};
  r.add(Method::Get, "/warm",
        [](Request& req) { return Response::text(200, std::any_cast<std::string>(req.principal)); },
        {.inline_when = [&] { return route_warm.load(); }});
  ServerOptions opts;
  opts.prepare_inline = [&](Request& req) {
    if (!chain_ok) return false;
    req.principal = std::string("from the cache");
    return true;
  };
  std::atomic<int> lookups{0};
  std::vector<Middleware> chain{request_id(), authentication(
                                                  [&](const Request&) -> core::Result<std::any> {
                                                    ++lookups;
                                                    return std::any(std::string("looked up"));
                                                  },
                                                  nullptr)};
  InProcessServer s(r, opts, chain);

  auto fill_the_pool = [&] {
    std::vector<std::future<docent::testing::HttpResponse>> slow;
    for (int i = 0; i < 4; ++i) {  // InProcessServer's four workers
      slow.push_back(std::async(std::launch::async, [&] { return HttpClient(s.port()).get("/slow"); }));
    }
    EXPECT_TRUE(wait_for([&] { return running.load() == 4; }));
    return slow;
  };

  {
    auto slow = fill_the_pool();
    auto res = HttpClient(s.port()).get("/warm");
    EXPECT_EQ(res.body, "from the cache");
    EXPECT_EQ(running.load(), 4) << "the warm answer should come while every worker is still busy";
    EXPECT_EQ(lookups.load(), 0);
    release = true;
    for (auto& f : slow) EXPECT_EQ(f.get().body, "slow");
    release = false;
  }
  for (auto [warm, ok] : {std::pair{false, true}, std::pair{true, false}}) {
    route_warm = warm;
    chain_ok = ok;
    const int before = lookups.load();
    auto slow = fill_the_pool();
    auto pooled = std::async(std::launch::async, [&] { return HttpClient(s.port()).get("/warm"); });
    // It cannot be answered while the pool is full: the wait ends only because it is still queued.
    EXPECT_EQ(pooled.wait_for(300ms), std::future_status::timeout) << "warm " << warm << ", chain " << ok;
    release = true;
    EXPECT_EQ(pooled.get().body, "looked up");
    EXPECT_EQ(lookups.load(), before + 1);
    for (auto& f : slow) EXPECT_EQ(f.get().body, "slow");
    release = false;
  }
}

// ---- producers that go on after their function returns (SseSink::hold) ----

TEST(HttpServer, AHeldStreamGoesOnAfterTheProducerReturnsAndEndsWithTheLastHold) {
  Router r;
  std::atomic<bool> returned{false};
  r.add(Method::Get, "/held", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      auto held = sink.hold();
      std::thread([held, &returned] {
        while (!returned) std::this_thread::sleep_for(1ms);  // the producer has returned by now
        for (int i = 0; i < 5; ++i) {
          EXPECT_NE(held->offer(std::to_string(i)), SseSink::Offered::Closed);
          std::this_thread::sleep_for(5ms);
        }
      }).detach();
      returned = true;
    });
  });
  InProcessServer s(r);
  HttpClient c(s.port());
  auto res = c.get("/held");  // returns only once the stream ended: when the thread let go
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
  EXPECT_TRUE(
      wait_for([&] { return s.metrics().render().find("docent_http_sse_streams_open 0") != std::string::npos; }));
}

TEST(HttpServer, OfferNeverBlocksReportsFullAndWhenDrainedRunsOnceTheClientReads) {
  Router r;
  std::atomic<int> full_at{0};
  std::atomic<bool> drained{false};
  const std::string big(16 * 1024, 'x');
  r.add(Method::Get, "/flood", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      // The client reads nothing yet: the socket's buffers fill, then the queue does.
      for (int i = 1; i <= 3000; ++i) {
        const auto offered = sink.offer(std::to_string(i) + big);
        ASSERT_NE(offered, SseSink::Offered::Closed);
        if (offered == SseSink::Offered::Full) {
          full_at = i;
          break;
        }
      }
      sink.when_drained([&] { drained = true; });
      sink.send("last");  // the blocking form waits for room instead
    });
  });
  InProcessServer s(r);
  HttpClient c(s.port());
  std::string request = "GET /flood HTTP/1.1\r\nHost: x\r\n\r\n";
  // Starts the request and reads only its first bytes.
  std::string first = c.raw_until(request, "data: 1", 5000ms);
  ASSERT_TRUE(wait_for([&] { return full_at.load() > 0; }, 10000ms)) << "the queue never reported Full";
  EXPECT_FALSE(drained.load());
  std::string rest = c.raw_more("data: last", 20000ms);
  c.close_raw();
  EXPECT_TRUE(drained.load());
  const std::string all = first + rest;
  EXPECT_NE(all.find("data: " + std::to_string(full_at.load()) + "xxx"), std::string::npos);
  EXPECT_NE(all.find("data: last"), std::string::npos);
}

TEST(HttpServer, OnCancelRunsWhenTheClientLeavesAHeldStream) {
  Router r;
  std::atomic<bool> cancelled{false};
  std::shared_ptr<SseSink> keep;  // released by the cancel callback, as an upstream's end would
  std::mutex keep_mu;
  r.add(Method::Get, "/held", [&](Request&) {
    return Response::stream([&](SseSink& sink) {
      std::lock_guard lock(keep_mu);
      keep = sink.hold();
      keep->offer("hello");
      sink.on_cancel([&] {
        cancelled = true;
        std::thread([&] {
          std::lock_guard lock(keep_mu);
          keep.reset();
        }).detach();
      });
    });
  });
  InProcessServer s(r);
  HttpClient c(s.port());
  std::string out = c.raw_until("GET /held HTTP/1.1\r\nHost: x\r\n\r\n", "data: hello", 5000ms);
  ASSERT_NE(out.find("data: hello"), std::string::npos) << out;
  EXPECT_FALSE(cancelled.load());
  c.close_raw();
  EXPECT_TRUE(wait_for([&] { return cancelled.load(); }, 3000ms));
  EXPECT_TRUE(
      wait_for([&] { return s.metrics().render().find("docent_http_sse_streams_open 0") != std::string::npos; }));
  EXPECT_TRUE(wait_for([&] {
    std::lock_guard lock(keep_mu);
    return keep == nullptr;
  }));
}

}  // namespace
}  // namespace docent::http
