#include "http/server.h"

#include "core/log.h"
#include "core/thread_annotations.h"
#include "http/wire.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <deque>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace docent::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// One accepted connection. Shared between its session coroutine and shutdown, which must be
// able to cancel an idle keep-alive connection.
struct Connection {
  explicit Connection(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  std::atomic<bool> busy{false};
  std::string head;  // the response head being written; reused so its capacity stays
};

// The SSE sink: a bounded queue between a producer on the worker pool and the connection's
// coroutine, which waits on `wake` (a timer used as an event) when the queue is empty.
class SseSinkImpl final : public SseSink, public std::enable_shared_from_this<SseSinkImpl> {
 public:
  static constexpr size_t kMaxQueued = 256;

  explicit SseSinkImpl(asio::any_io_executor ex) : wake(ex) {}

  bool send(std::string_view data, std::string_view event, std::string_view id) override {
    return push(format_sse_event(data, event, id));
  }

  bool send_bytes(std::string_view bytes) override {
    if (bytes.empty()) return !cancelled();
    return push(std::string(bytes));
  }

  bool comment(std::string_view text) override {
    std::string line = ": ";
    for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
    line += "\n\n";
    return push(std::move(line));
  }

  bool cancelled() const override {
    core::MutexLock lock(mu_);
    return cancelled_;
  }

  std::shared_ptr<SseSink> hold() override {
    struct Holder {
      std::shared_ptr<SseSinkImpl> sink;
      std::shared_ptr<void> life;  // let go first: the stream ends while `sink` is still held
    };
    auto h = std::make_shared<Holder>(Holder{shared_from_this(), life_.lock()});
    return std::shared_ptr<SseSink>(h, h->sink.get());
  }

  Offered offer(std::string_view data, std::string_view event, std::string_view id) override {
    std::string chunk = format_sse_event(data, event, id);
    core::MutexLock lock(mu_);
    if (cancelled_ || rejection_) return Offered::Closed;
    sent_any_ = true;
    queue_.push_back(std::move(chunk));
    const bool full = queue_.size() >= kMaxQueued;
    notify(lock);
    return full ? Offered::Full : Offered::Queued;
  }

  void when_drained(std::function<void()> fn) override {
    core::MutexLock lock(mu_);
    if (cancelled_ || queue_.size() < kMaxQueued) {
      lock.unlock();
      fn();
      return;
    }
    drained_ = std::move(fn);
  }

  void on_cancel(std::function<void()> fn) override {
    core::MutexLock lock(mu_);
    if (cancelled_) {
      lock.unlock();
      fn();
      return;
    }
    on_cancel_ = std::move(fn);
  }

  // The producer's lifetime: while the returned handle or a hold() of it lives, the stream is
  // open; when the last goes, the stream ends (`ended` runs).
  std::shared_ptr<void> make_life(std::function<void()> ended) {
    std::shared_ptr<void> life(static_cast<void*>(this), [ended = std::move(ended)](void*) { ended(); });
    life_ = life;
    return life;
  }

  bool reject(Response response) override {
    core::MutexLock lock(mu_);
    if (sent_any_ || rejection_) return false;
    rejection_ = std::move(response);
    notify(lock);
    return true;
  }

  // Before the head is written: what the connection should do now. Marks the consumer as
  // waiting when the answer is "not yet", so that the next event or rejection wakes it.
  enum class Head { Wait, Stream, Reject };
  Head head_state() {
    core::MutexLock lock(mu_);
    if (rejection_) return Head::Reject;
    if (!queue_.empty() || done_ || cancelled_) return Head::Stream;
    waiting_ = true;
    return Head::Wait;
  }
  Response take_rejection() {
    core::MutexLock lock(mu_);
    Response r = std::move(*rejection_);
    rejection_.reset();
    return r;
  }

  // The producer returned.
  void finish() {
    core::MutexLock lock(mu_);
    done_ = true;
    notify(lock);
  }

  // The client went away, or the server is stopping.
  void cancel() {
    core::MutexLock lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    cv_.notify_all();
    auto on_cancel = std::move(on_cancel_);
    on_cancel_ = nullptr;
    drained_ = nullptr;
    notify(lock);  // unlocks
    if (on_cancel) on_cancel();
  }

  struct Batch {
    std::deque<std::string> items;
    bool ended = false;  // producer done or cancelled, and nothing left to write
  };

  // Takes what is queued. When nothing is, marks the consumer as waiting so that the next
  // push wakes it.
  Batch drain() {
    core::MutexLock lock(mu_);
    Batch b;
    b.items.swap(queue_);
    cv_.notify_all();
    if (b.items.empty()) {
      if (done_ || cancelled_)
        b.ended = true;
      else
        waiting_ = true;
    }
    auto drained = std::move(drained_);
    drained_ = nullptr;
    lock.unlock();
    if (drained) drained();
    return b;
  }

  asio::steady_timer wake;

 private:
  bool push(std::string chunk) {
    core::MutexLock lock(mu_);
    cv_.wait(lock, [&]() REQUIRES(mu_) { return cancelled_ || queue_.size() < kMaxQueued; });
    if (cancelled_ || rejection_) return false;
    sent_any_ = true;
    queue_.push_back(std::move(chunk));
    notify(lock);
    return true;
  }

  // Unlocks `lock` when it wakes the consumer, so callers touch no guarded member after it (the
  // analysis cannot follow a conditional unlock, hence its body is not checked).
  void notify(core::MutexLock& lock) REQUIRES(mu_) NO_THREAD_SAFETY_ANALYSIS {
    if (!waiting_) return;
    waiting_ = false;
    lock.unlock();
    asio::post(wake.get_executor(), [self = shared_from_this()] { self->wake.cancel(); });
  }

  mutable core::Mutex mu_;
  core::CondVar cv_;
  std::deque<std::string> queue_ GUARDED_BY(mu_);
  bool waiting_ GUARDED_BY(mu_) = false;
  bool done_ GUARDED_BY(mu_) = false;
  bool cancelled_ GUARDED_BY(mu_) = false;
  bool sent_any_ GUARDED_BY(mu_) = false;  // an event was queued (reject() is too late)
  std::optional<Response> rejection_ GUARDED_BY(mu_);
  std::function<void()> drained_ GUARDED_BY(mu_);
  std::function<void()> on_cancel_ GUARDED_BY(mu_);
  std::weak_ptr<void> life_;  // set before the producer starts
};

std::string status_label(int status) { return std::to_string(status); }

}  // namespace

struct Server::Impl {
  Impl(ServerOptions opts, const Router& r, std::vector<Middleware> mw, core::MetricsRegistry& m)
      : options(std::move(opts)),
        router(r),
        ioc(options.threads > 0 ? options.threads : 1),
        acceptor(ioc),
        pool(static_cast<size_t>(options.workers)),
        requests(m.counter("docent_http_requests_total", "HTTP requests answered, by route, method and status.",
                           {"route", "method", "status"})),
        latency(m.histogram("docent_http_request_duration_seconds",
                            "Time from the request's headers to the end of its response (streams: to their end).",
                            {"route"}, core::MetricsRegistry::default_latency_buckets())),
        in_flight(m.gauge("docent_http_requests_in_flight", "Requests being handled now.").with({})),
        sse_open(m.gauge("docent_http_sse_streams_open", "Server-Sent Events streams open now.").with({})),
        connections(m.gauge("docent_http_connections_open", "TCP connections open now.").with({})) {
    handler = chain(mw, [this](Request& req) { return dispatch_route(req); });
  }

  // ---- configuration -------------------------------------------------------------------------
  static inline std::atomic<uint64_t> next_generation{1};
  const uint64_t generation = next_generation.fetch_add(1);
  ServerOptions options;
  const Router& router;
  Handler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::thread_pool pool;

  core::Family<core::Counter>& requests;
  core::Family<core::Histogram>& latency;
  core::Gauge& in_flight;
  core::Gauge& sse_open;
  core::Gauge& connections;

  // ---- stream producers ------------------------------------------------------------------------
  // Shared with the streams' lifetimes (SseSinkImpl::make_life), which a hold() may carry past the
  // producer thread.
  struct Producers {
    core::Mutex mu;
    core::CondVar cv;
    size_t count GUARDED_BY(mu) = 0;  // reserved or running producer threads
    void release() {
      core::MutexLock lock(mu);
      if (--count == 0) cv.notify_all();
    }
  };
  std::shared_ptr<Producers> producers = std::make_shared<Producers>();

  // Takes a producer slot for a stream about to start; false when max_streams are open.
  bool reserve_producer() {
    core::MutexLock lock(producers->mu);
    if (producers->count >= options.max_streams) return false;
    ++producers->count;
    return true;
  }

  // The threads stream producers run on, owned here and joined: none may outlive the server,
  // whose io_context a sink's timer lives in (and whose owner holds what a producer captured).
  // Threads are kept for reuse rather than made per stream: a producer that starts a relay
  // (LlmProvider::stream_async) returns in microseconds, so a burst of a thousand streams is
  // served by a handful of threads instead of a thousand created, and later joined, on the
  // network thread. A producer that blocks for its whole stream holds its thread that long, so
  // the set grows with the producers running at once (max_streams bounds them through the slots);
  // once they return, at most kIdleProducerThreads stay idle and the rest end and are joined by
  // the next start.
  static constexpr size_t kIdleProducerThreads = 16;
  class ProducerThreads {
   public:
    void run(std::function<void()> work) {
      core::MutexLock lock(mu_);
      reap();
      queue_.push_back(std::move(work));
      if (idle_ >= queue_.size()) {
        ready_.notify_one();
        return;
      }
      Worker& w = workers_.emplace_back();
      w.thread = std::thread([this, &w] { loop(w); });  // w's node never moves (a list)
    }

    // Joins the threads that ended. Cheap: they have done their last work.
    void reap_ended() {
      core::MutexLock lock(mu_);
      reap();
    }

    // Lets every thread finish the work it has (shutdown cancelled the streams) and joins them all.
    void join_all() {
      std::list<Worker> all;
      {
        core::MutexLock lock(mu_);
        stopping_ = true;
        size_t running = 0;
        for (auto& w : workers_) running += w.busy ? 1 : 0;
        if (running) {
          core::log::warn("waiting for stream producers that ignore cancellation",
                          {{"count", static_cast<int64_t>(running)}});
        }
        ready_.notify_all();
        all.splice(all.end(), workers_);
      }
      for (auto& w : all) w.thread.join();
    }

   private:
    struct Worker {
      std::thread thread;
      bool busy = false;   // guarded by mu_ (a member of a list node the analysis cannot name)
      bool ended = false;  // likewise: loop() has returned its last touch of anything shared
    };

    void loop(Worker& self) {
      core::MutexLock lock(mu_);
      for (;;) {
        while (queue_.empty() && !stopping_) {
          ++idle_;
          ready_.wait(lock);
          --idle_;
        }
        if (queue_.empty()) break;  // stopping, nothing left to run
        std::function<void()> work = std::move(queue_.front());
        queue_.pop_front();
        self.busy = true;
        lock.unlock();
        work();
        work = nullptr;  // what the producer captured goes while the server surely lives
        lock.lock();
        self.busy = false;
        if (idle_ >= kIdleProducerThreads && queue_.empty()) break;
      }
      self.ended = true;
    }

    void reap() REQUIRES(mu_) {
      for (auto it = workers_.begin(); it != workers_.end();) {
        if (!it->ended) {
          ++it;
          continue;
        }
        it->thread.join();  // returns at once: the thread is past its last touch of mu_'s data
        it = workers_.erase(it);
      }
    }

    core::Mutex mu_;
    core::CondVar ready_;
    std::deque<std::function<void()>> queue_ GUARDED_BY(mu_);
    size_t idle_ GUARDED_BY(mu_) = 0;
    bool stopping_ GUARDED_BY(mu_) = false;
    std::list<Worker> workers_ GUARDED_BY(mu_);
  };
  ProducerThreads producer_threads;

  // Waits (bounded) for every producer thread to return; they were cancelled at shutdown.
  void wait_for_producers(std::chrono::steady_clock::duration limit) {
    core::MutexLock lock(producers->mu);
    if (!producers->cv.wait_for(lock, limit, [&]() REQUIRES(producers->mu) { return producers->count == 0; })) {
      core::log::warn("stream producers still running at exit", {{"count", static_cast<int64_t>(producers->count)}});
    }
  }

  // ---- shutdown state --------------------------------------------------------------------------
  std::atomic<bool> stopping{false};
  core::Mutex mu;
  std::list<std::weak_ptr<Connection>> conns GUARDED_BY(mu);
  std::list<std::weak_ptr<SseSinkImpl>> sinks GUARDED_BY(mu);
  size_t session_count GUARDED_BY(mu) = 0;
  std::unique_ptr<asio::steady_timer> deadline;

  // ---- request handling ----------------------------------------------------------------------

  // An error in the envelope of the face that owns the request: its route's, else the face whose
  // paths it is under (Router::add_error_prefix), else the default.
  Response error_response(const Request& req, const core::Error& err) {
    if (!req.route) {
      if (const ErrorRenderer* face = router.error_renderer_for(req.path); face && *face) return (*face)(req, err);
    }
    return render_error(req, err, options.default_error_renderer);
  }

  // The innermost handler: the matched route, or the 404/405 the router decided.
  Response dispatch_route(Request& req) {
    if (req.route) {
      try {
        return req.route->handler(req);
      } catch (const std::exception& e) {
        core::log::error("handler threw", {{"route", req.route->pattern}, {"what", e.what()}, {"id", req.request_id}});
        return error_response(req, core::Error(core::Code::Internal,
                                               "internal error; see the server log, request id " + req.request_id));
      }
    }
    RouteMatch m = router.match(req.method, req.path);
    if (m.kind == RouteMatch::Kind::MethodNotAllowed) {
      std::string allow;
      for (Method a : m.allowed) allow += (allow.empty() ? "" : ", ") + std::string(method_name(a));
      core::Error err(core::Code::MethodNotAllowed,
                      std::string(method_name(req.method)) + " is not allowed on " + req.path + "; allowed: " + allow);
      const ErrorRenderer* face = m.path_route ? m.path_route->render_error : nullptr;
      Response res = face && *face ? (*face)(req, err) : error_response(req, err);
      res.headers.set("Allow", allow);
      return res;
    }
    return error_response(req, core::Error(core::Code::NotFound,
                                           "no route for " + std::string(method_name(req.method)) + " " + req.path));
  }

  Response handle(Request& req) {
    try {
      return handler(req);
    } catch (const std::exception& e) {
      core::log::error("middleware threw", {{"path", req.path}, {"what", e.what()}});
      return error_response(req, core::Error(core::Code::Internal, "internal error"));
    }
  }

  // A route that is cheap when warm (RouteOptions::inline_when) runs here when it and the chain
  // (ServerOptions::prepare_inline) say nothing would wait.
  bool can_run_inline(Request& req) {
    const RouteOptions& o = req.route->options;
    if (!o.inline_when || !options.prepare_inline) return false;
    try {
      return o.inline_when() && options.prepare_inline(req);
    } catch (const std::exception& e) {
      core::log::warn("inline check threw; the request goes to the pool",
                      {{"route", req.route->pattern}, {"what", e.what()}});
      return false;
    }
  }

  template <typename F>
  awaitable<std::invoke_result_t<F>> on_pool(F f) {
    co_return co_await asio::co_spawn(
        pool, [&f]() -> awaitable<std::invoke_result_t<F>> { co_return f(); }, use_awaitable);
  }

  // ---- writing ---------------------------------------------------------------------------------

  template <typename Message>
  static void copy_headers(const Response& res, Message& m) {
    for (const auto& [name, value] : res.headers.items()) m.insert(name, value);
    if (!res.headers.has("Server")) m.set(bhttp::field::server, "docent");
    // As write_response_head does for every other response.
    if (!res.headers.has("X-Content-Type-Options")) m.set("X-Content-Type-Options", "nosniff");
  }

  // Writes a complete (non-streaming) response. Returns false when the connection failed.
  awaitable<bool> write_plain(Connection& c, Method method, Response& res, bool keep_alive) {
    if (!res.file.empty()) {
      bhttp::response<bhttp::file_body> m{static_cast<bhttp::status>(res.status), 11};
      beast::error_code ec;
      m.body().open(res.file.c_str(), beast::file_mode::scan, ec);
      if (!ec) {
        copy_headers(res, m);
        m.keep_alive(keep_alive);
        m.prepare_payload();
        c.stream.expires_after(options.request_timeout * 4);
        if (method == Method::Head) {
          bhttp::response_serializer<bhttp::file_body> sr{m};
          auto [wec, n] = co_await bhttp::async_write_header(c.stream, sr, kTuple);
          co_return !wec;
        }
        auto [wec, n] = co_await bhttp::async_write(c.stream, m, kTuple);
        co_return !wec;
      }
      res = Response::json(500,
                           std::string(
                               R"({"error":{"message":"file vanished before it could be sent","code":"INTERNAL"}})"));
    }
    // Status line and headers go into the connection's reusable buffer; the body is sent from
    // where it lies, in the same gathered write.
    c.head.clear();
    const bool bodyless = status_has_no_body(res.status);
    write_response_head(c.head, res.status, res.headers, res.body.size(), keep_alive);
    // The deadline set when the request started still guards this write: re-arming the timer
    // for every small response costs a system call and buys nothing.
    if (res.body.size() > 64 * 1024) c.stream.expires_after(options.request_timeout);
    std::array<asio::const_buffer, 2> buffers{asio::buffer(c.head), asio::const_buffer()};
    if (method != Method::Head && !bodyless) buffers[1] = asio::buffer(res.body);
    auto [wec, n] = co_await asio::async_write(c.stream, buffers, kTuple);
    co_return !wec;
  }

  awaitable<void> sse_writer(std::shared_ptr<Connection> c, std::shared_ptr<SseSinkImpl> sink, bool raw) {
    std::string joined;
    for (;;) {
      auto batch = sink->drain();
      if (!batch.items.empty()) {
        // Whatever queued up since the last write goes out as one chunk, in one syscall.
        const std::string* out = &batch.items.front();
        if (batch.items.size() > 1) {
          joined.clear();
          for (const auto& item : batch.items) joined += item;
          out = &joined;
        }
        auto [ec, n] = co_await asio::async_write(c->stream, bhttp::make_chunk(asio::buffer(*out)), kTuple);
        if (ec) {
          sink->cancel();
          co_return;
        }
      }
      if (batch.ended) {
        co_await asio::async_write(c->stream, bhttp::make_chunk_last(), kTuple);
        co_return;
      }
      if (batch.items.empty()) {
        sink->wake.expires_after(options.sse_heartbeat);
        auto [ec] = co_await sink->wake.async_wait(kTuple);
        if (!ec && !raw) {  // quiet for a whole heartbeat interval (a byte stream has no comments)
          static const std::string kPing = ": keep-alive\n\n";
          auto [wec, n] = co_await asio::async_write(c->stream, bhttp::make_chunk(asio::buffer(kPing)), kTuple);
          if (wec) {
            sink->cancel();
            co_return;
          }
        }
      }
    }
  }

  // Reads from a streaming connection only to learn that the client went away.
  awaitable<void> disconnect_watch(std::shared_ptr<Connection> c, std::shared_ptr<SseSinkImpl> sink) {
    std::array<char, 512> scratch;
    for (;;) {
      auto [ec, n] = co_await c->stream.socket().async_read_some(asio::buffer(scratch), kTuple);
      if (ec) {
        if (ec != asio::error::operation_aborted) sink->cancel();
        co_return;
      }
    }
  }

  // Writes a streamed response; returns the status sent (a rejected stream's own).
  awaitable<int> write_stream(std::shared_ptr<Connection> c, Method method, Response& res) {
    auto sink = std::make_shared<SseSinkImpl>(c->stream.get_executor());
    {
      core::MutexLock lock(mu);
      sinks.push_back(sink);
    }
    if (stopping) sink->cancel();
    auto forget_sink = [&] {
      core::MutexLock lock(mu);
      sinks.remove_if([&](const auto& w) { return w.expired() || w.lock() == sink; });
    };
    // The producer may block for as long as its stream lasts (an upstream model's answer): it
    // runs on a thread of producer_threads, counted so that shutdown can wait for it.
    // The stream ends when the producer returned and let go of every hold() it took.
    auto start_producer = [&] {
      // Weak: the deleter lives as long as the sink's weak_ptr to it, so a strong pointer here
      // would keep the sink alive for ever.
      auto life = sink->make_life([count = producers, weak = std::weak_ptr<SseSinkImpl>(sink)] {
        if (auto s = weak.lock()) s->finish();
        count->release();
      });
      producer_threads.run([life = std::move(life), sink, producer = std::move(res.sse)]() mutable {
        try {
          producer(*sink);
        } catch (const std::exception& e) {
          core::log::error("stream producer threw", {{"what", e.what()}});
        }
        producer = nullptr;  // what the handler captured goes while the server surely lives
        sink.reset();
        life.reset();
      });
    };
    int status = res.status;
    if (res.sse_head_on_first_event) {
      start_producer();
      // The head waits for the first event, a rejection, or a heartbeat interval of silence.
      for (bool waited = false;;) {
        const auto state = sink->head_state();
        if (state == SseSinkImpl::Head::Reject) {
          Response rejection = sink->take_rejection();
          status = rejection.status;
          co_await write_plain(*c, method, rejection, false);
          sink->cancel();
          forget_sink();
          co_return status;
        }
        if (state == SseSinkImpl::Head::Stream || waited) break;
        sink->wake.expires_after(options.sse_heartbeat);
        auto [ec] = co_await sink->wake.async_wait(kTuple);
        waited = !ec;  // silent for a whole interval: commit to the stream and its heartbeats
      }
    }
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(res.status), 11};
    copy_headers(res, head);
    head.chunked(true);
    head.keep_alive(false);
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    c->stream.expires_after(options.request_timeout);
    auto [ec, n] = co_await bhttp::async_write_header(c->stream, sr, kTuple);
    if (ec) {
      sink->cancel();
      if (!res.sse_head_on_first_event) producers->release();  // the slot reserve_producer() took, never used
      forget_sink();
      co_return status;
    }
    c->stream.expires_never();
    sse_open.inc();
    if (!res.sse_head_on_first_event) start_producer();
    co_await (sse_writer(c, sink, res.raw_stream) || disconnect_watch(c, sink));
    sink->cancel();
    sse_open.dec();
    forget_sink();
    co_return status;
  }

  void record(const Request& req, int status) {
    // The labelled children are looked up once per (route, method, status) and thread, then
    // reused: the hot path is two relaxed atomic adds and no allocation.
    struct Key {
      const Route* route;
      Method method;
      int status;
      bool operator==(const Key&) const = default;
    };
    struct KeyHash {
      size_t operator()(const Key& k) const {
        return std::hash<const void*>()(k.route) ^ (static_cast<size_t>(k.method) << 20) ^
               static_cast<size_t>(k.status);
      }
    };
    struct Children {
      core::Counter* count;
      core::Histogram* seconds;
    };
    thread_local std::unordered_map<Key, Children, KeyHash> cache;
    thread_local uint64_t cache_owner = 0;
    if (cache_owner != generation) {  // this thread served another server before (tests run several)
      cache.clear();
      cache_owner = generation;
    }
    Key key{req.route, req.method, status};
    auto it = cache.find(key);
    if (it == cache.end()) {
      const std::string& route = req.route ? req.route->pattern : unmatched_label();
      Children c{&requests.with({route, std::string(method_name(req.method)), status_label(status)}),
                 &latency.with({route})};
      it = cache.emplace(key, c).first;
    }
    it->second.count->inc();
    it->second.seconds->observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - req.received_at).count());
  }
  static const std::string& unmatched_label() {
    static const std::string s = "unmatched";
    return s;
  }

  // ---- reading ---------------------------------------------------------------------------------

  // The limit of a request's body, decided from its route and Content-Type alone (RouteOptions).
  size_t body_limit_for(const Route* route, bool multipart_body) const {
    if (!route) return options.max_body_bytes;
    if (route->options.multipart && multipart_body) return options.max_upload_bytes + options.upload_overhead_bytes;
    if (route->options.file_in_json) return 2 * options.max_upload_bytes + options.upload_overhead_bytes;
    return route->options.max_body_bytes ? route->options.max_body_bytes : options.max_body_bytes;
  }

  // Reads a multipart body in chunks, feeding the parser on the worker pool.
  awaitable<core::Status> read_multipart(Connection& c, beast::flat_buffer& buffer,
                                         bhttp::request_parser<bhttp::string_body>& header_parser, Request& req,
                                         const std::string& boundary, size_t limit) {
    bhttp::request_parser<bhttp::buffer_body> parser(std::move(header_parser));
    parser.body_limit(limit);
    MultipartLimits limits = options.multipart;
    limits.max_file_bytes = options.max_upload_bytes;
    limits.max_total_bytes = limit;
    MultipartParser mp(boundary, limits, options.spool_dir);
    std::vector<char> chunk(64 * 1024);
    core::Status st;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      c.stream.expires_after(options.request_timeout);
      auto [ec, n] = co_await bhttp::async_read(c.stream, buffer, parser, kTuple);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec == bhttp::error::body_limit) {
        core::Error e(core::Code::PayloadTooLarge, "request body exceeds " + std::to_string(limit) + " bytes");
        e.details["limit"] = limit;
        co_return e;
      }
      if (ec) co_return core::Error(core::Code::BadRequest, "request body could not be read: " + ec.message());
      size_t got = chunk.size() - parser.get().body().size;
      if (got) {
        std::string_view piece(chunk.data(), got);
        st = co_await on_pool([&] { return mp.feed(piece); });
        if (!st) co_return st;
      }
    }
    st = co_await on_pool([&] { return mp.finish(); });
    if (!st) co_return st;
    req.form = std::make_unique<MultipartForm>(mp.take());
    co_return core::Status();
  }

  // ---- the connection ------------------------------------------------------------------------

  // After an error answered without reading the request's body (413, bad framing), the client
  // may still be sending. Closing a socket with unread input resets the connection, and a reset
  // can destroy the error response before the client read it; so the write side is shut first
  // (done by the caller) and what still arrives is read and dropped for a moment (a lingering
  // close, as nginx does), bounded in time and bytes: enough for a client that writes its whole
  // upload before it reads (most synchronous clients) to see the answer.
  awaitable<void> drain_before_close(Connection& c) {
    constexpr size_t kMaxDrained = 64 * 1024 * 1024;
    std::array<char, 64 * 1024> scratch;
    c.stream.expires_after(std::chrono::seconds(3));
    for (size_t drained = 0; drained < kMaxDrained;) {
      auto [ec, n] = co_await c.stream.async_read_some(asio::buffer(scratch), kTuple);
      if (ec) break;
      drained += n;
    }
  }

  awaitable<void> session(std::shared_ptr<Connection> c) {
    {
      core::MutexLock lock(mu);
      conns.push_back(c);
      ++session_count;
    }
    connections.inc();
    beast::error_code addr_ec;
    auto endpoint = c->stream.socket().remote_endpoint(addr_ec);
    const std::string remote = addr_ec ? std::string() : endpoint.address().to_string();
    beast::flat_buffer buffer;
    bool unread_input = false;  // closing after an error, with the client perhaps still sending

    for (bool first = true; !stopping; first = false) {
      c->busy = false;
      // One parser reads the header and, for ordinary bodies, the body too; only multipart
      // uploads switch to a streaming parser once the route is known.
      bhttp::request_parser<bhttp::string_body> hp;
      hp.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
      hp.body_limit(boost::none);  // the route decides, once known (below)
      c->stream.expires_after(first ? options.request_timeout : options.idle_timeout);
      auto [ec, n] = co_await bhttp::async_read_header(c->stream, buffer, hp, kTuple);
      if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
          ec == asio::error::connection_reset || ec == asio::error::eof) {
        break;
      }
      c->busy = true;
      Request req;
      req.remote_address = remote;
      req.received_at = std::chrono::steady_clock::now();
      if (ec) {
        core::Error err = ec == bhttp::error::header_limit
                              ? core::Error(core::Code::HeadersTooLarge, "request line and headers exceed " +
                                                                             std::to_string(options.max_header_bytes) +
                                                                             " bytes")
                              : core::Error(core::Code::BadRequest, "malformed HTTP request: " + ec.message());
        Response res = error_response(req, err);
        co_await write_plain(*c, Method::Get, res, false);
        record(req, res.status);
        unread_input = true;
        break;
      }

      in_flight.inc();
      auto& msg = hp.get();
      req.method = parse_method(std::string_view(msg.method_string().data(), msg.method_string().size()));
      for (const auto& field : msg) req.headers.add(std::string(field.name_string()), std::string(field.value()));
      bool keep_alive = msg.keep_alive();
      bool ok = true;
      std::optional<core::Error> early;
      if (auto st = parse_target(std::string_view(msg.target().data(), msg.target().size()), req); !st) {
        early = st.error();
        keep_alive = false;
      } else {
        RouteMatch m = router.match(req.method, req.path);
        if (m.kind == RouteMatch::Kind::Found) {
          req.route = m.route;
          req.params = std::move(m.params);
        }
      }
      // Ambiguous framing: whatever follows the header cannot be trusted to be the body or the
      // next request, so nothing more is read from this connection.
      if (auto st = check_request_framing(req.headers, msg.version()); !early && !st) {
        early = st.error();
        keep_alive = false;
      }

      // The body: refused early when declared too large, else streamed within the route's limit.
      if (!early && (msg.has_content_length() || msg.chunked())) {
        std::string_view content_type = req.header("Content-Type");
        auto boundary = req.route && req.route->options.multipart ? multipart_boundary(content_type) : std::nullopt;
        size_t limit = body_limit_for(req.route, boundary.has_value());
        auto declared = hp.content_length();
        if (declared && *declared > limit) {
          core::Error e(core::Code::PayloadTooLarge, "request body of " + std::to_string(*declared) +
                                                         " bytes exceeds the limit of " + std::to_string(limit));
          e.details["limit"] = limit;
          e.details["received"] = *declared;
          if (boundary) e.details["max_file_bytes"] = options.max_upload_bytes;  // the upload's own limit
          early = e;
          keep_alive = false;  // the unread body makes the connection unusable
        } else {
          if (iequals(req.header("Expect"), "100-continue")) {
            bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
            co_await bhttp::async_write(c->stream, cont, kTuple);
          }
          if (boundary) {
            auto st = co_await read_multipart(*c, buffer, hp, req, *boundary, limit);
            if (!st) {
              early = st.error();
              keep_alive = false;
            }
          } else {
            auto& bp = hp;
            bp.body_limit(limit);
            beast::error_code bec;
            // Most bodies arrive with their header: parse them from the buffer without another
            // asynchronous round trip.
            if (declared && !msg.chunked() && buffer.size() >= *declared) {
              while (!bp.is_done() && !bec) {
                size_t used = bp.put(buffer.data(), bec);
                buffer.consume(used);
                if (used == 0 && !bec) bec = bhttp::error::partial_message;
              }
            } else {
              if (limit > 64 * 1024) c->stream.expires_after(options.request_timeout);  // uploads: a fresh deadline
              auto [read_ec, bn] = co_await bhttp::async_read(c->stream, buffer, bp, kTuple);
              bec = read_ec;
            }
            if (bec == bhttp::error::body_limit) {
              core::Error e(core::Code::PayloadTooLarge,
                            "request body exceeds the limit of " + std::to_string(limit) + " bytes");
              e.details["limit"] = limit;
              early = e;
              keep_alive = false;
            } else if (bec == beast::error::timeout || bec == bhttp::error::end_of_stream || bec == asio::error::eof ||
                       bec == asio::error::connection_reset) {
              ok = false;  // the client is gone or too slow; nobody to answer
            } else if (bec) {
              early = core::Error(core::Code::BadRequest, "request body could not be read: " + bec.message());
              keep_alive = false;
            } else {
              req.body = std::move(bp.get().body());
            }
          }
        }
      }
      if (!ok) {
        in_flight.dec();
        break;
      }

      Response res;
      if (early) {
        res = error_response(req, *early);
      } else if (req.route && !req.route->options.run_inline && !can_run_inline(req)) {
        res = co_await on_pool([&] { return handle(req); });
      } else {
        res = handle(req);
      }
      if (stopping) keep_alive = false;
      if (auto conn_hdr = res.headers.get("Connection"); conn_hdr && iequals(*conn_hdr, "close")) keep_alive = false;

      if (res.sse && !reserve_producer()) {
        core::Error busy(core::Code::ServiceUnavailable,
                         "too many open streams (server.max_streams = " + std::to_string(options.max_streams) +
                             "); try again shortly");
        res = error_response(req, busy);
        res.headers.set("Retry-After", "1");
      }
      bool alive;
      if (res.sse) {
        int status = co_await write_stream(c, req.method, res);
        record(req, status);
        alive = false;
      } else {
        int status = res.status;
        alive = co_await write_plain(*c, req.method, res, keep_alive);
        record(req, status);
      }
      in_flight.dec();
      if (early) unread_input = true;
      if (!alive || !keep_alive) break;
    }

    beast::error_code ignored;
    c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (unread_input) co_await drain_before_close(*c);
    c->stream.close();
    connections.dec();
    bool last;
    {
      core::MutexLock lock(mu);
      conns.remove_if([&](const auto& w) { return w.expired() || w.lock() == c; });
      last = --session_count == 0;
    }
    if (last && stopping) ioc.stop();
  }

  awaitable<void> accept_loop() {
    for (;;) {
      // A connection's coroutines (request loop, SSE writer, disconnect watch) must not run at
      // once on two threads: a strand serializes them. One network thread does that already.
      asio::any_io_executor conn_ex = options.threads > 1 ? asio::any_io_executor(asio::make_strand(ioc))
                                                          : asio::any_io_executor(ioc.get_executor());
      auto [ec, sock] = co_await acceptor.async_accept(conn_ex, kTuple);
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        core::log::warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer backoff(ioc, std::chrono::milliseconds(50));  // e.g. out of descriptors
        co_await backoff.async_wait(kTuple);
        continue;
      }
      beast::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      auto conn = std::make_shared<Connection>(std::move(sock));
      auto ex = conn->stream.get_executor();
      asio::co_spawn(ex, session(std::move(conn)), [](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          core::log::error("connection failed", {{"what", ex.what()}});
        }
      });
    }
  }

  void begin_shutdown() {
    if (stopping.exchange(true)) return;
    core::log::info("shutting down", {{"grace_seconds", static_cast<int64_t>(options.shutdown_grace.count())}});
    beast::error_code ignored;
    acceptor.close(ignored);
    core::MutexLock lock(mu);
    for (auto& w : sinks) {
      if (auto s = w.lock()) s->cancel();
    }
    for (auto& w : conns) {
      if (auto c = w.lock()) {
        asio::post(c->stream.get_executor(), [c] {
          if (!c->busy) c->stream.cancel();
        });
      }
    }
    if (session_count == 0) {
      ioc.stop();
      return;
    }
    deadline = std::make_unique<asio::steady_timer>(ioc, options.shutdown_grace);
    deadline->async_wait([this](beast::error_code ec) {
      if (ec) return;
      core::log::warn("shutdown grace expired; closing remaining connections", {});
      ioc.stop();
    });
  }
};

Server::Server(ServerOptions options, const Router& router, std::vector<Middleware> middleware,
               core::MetricsRegistry& metrics) {
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (options.threads <= 0) options.threads = static_cast<int>(cores);
  if (options.workers <= 0) options.workers = static_cast<int>(std::max(8u, 4 * cores));
  if (options.spool_dir.empty()) options.spool_dir = std::filesystem::temp_directory_path();
  if (!options.default_error_renderer) {
    options.default_error_renderer = [](const Request&, const core::Error& e) {
      boost::json::object body{{"error", {{"message", e.message}, {"code", core::code_name(e.code)}}}};
      return Response::json(e.status(), body);
    };
  }
  impl_ = std::make_unique<Impl>(std::move(options), router, std::move(middleware), metrics);
}

Server::~Server() {
  if (impl_) {
    impl_->producer_threads.join_all();
    impl_->pool.stop();
    impl_->pool.join();
  }
}

core::Status Server::listen() {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return core::Error(core::Code::InvalidInput, "not an IP address: " + impl_->options.host);
  tcp::endpoint endpoint(address, impl_->options.port);
  a.open(endpoint.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return core::Error(core::Code::ServiceUnavailable, "cannot listen on " + impl_->options.host + ":" +
                                                           std::to_string(impl_->options.port) + ": " + ec.message());
  }
  return {};
}

uint16_t Server::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::run(bool handle_signals) {
  auto& impl = *impl_;
  asio::co_spawn(impl.ioc, impl.accept_loop(), asio::detached);
  std::unique_ptr<asio::signal_set> signals;
  // Outlives the if below: the handler re-arms itself with it when a signal arrives.
  std::function<void(beast::error_code, int)> on_signal;
  if (handle_signals) {
    signals = std::make_unique<asio::signal_set>(impl.ioc, SIGINT, SIGTERM);
    on_signal = [&impl, &signals, &on_signal](beast::error_code ec, int sig) {
      if (ec) return;
      if (impl.stopping) {
        core::log::warn("second signal: exiting now", {{"signal", static_cast<int64_t>(sig)}});
        std::_Exit(130);
      }
      impl.begin_shutdown();
      signals->async_wait(on_signal);
    };
    signals->async_wait(on_signal);
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < impl.options.threads; ++i) threads.emplace_back([&impl] { impl.ioc.run(); });
  impl.ioc.run();
  for (auto& t : threads) t.join();
  // Streams were cancelled at shutdown; their producers notice at their next event.
  impl.wait_for_producers(impl.options.shutdown_grace);
  impl.producer_threads.reap_ended();
  // Any handler still running past the grace period is abandoned with the pool's queue.
  impl.pool.stop();
  impl.pool.join();
}

void Server::stop() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->begin_shutdown(); });
}

}  // namespace docent::http
