// bench_stream_upstream: a fake OpenAI-compatible model server for bench/stream/run.sh.
//
// Shaped like bench/http/baseline_server.cpp (one coroutine per connection, keep-alive, an
// io_context on --threads N threads). It serves:
//
//   GET  /v1/models            -> {"object":"list","data":[{"id":"bench-model",...}]}
//   GET  /v1/models/bench-model
//   POST /v1/chat/completions  -> with "stream": true, an SSE answer of --tokens chunks
//                                 data: {"id":..,"object":"chat.completion.chunk",
//                                        "choices":[{"index":0,"delta":{"content":"tok "}}]}
//                                 then a chunk with finish_reason "stop" and data: [DONE];
//                                 without it, one chat.completion object with the same text.
//   anything else              -> 404
//
// Each chunk is written as soon as it is produced (one write per event, TCP_NODELAY), like a
// model server that flushes every token. --first-delay-ms waits before the first token,
// --token-delay-ms between tokens (default 0: as fast as the socket takes them; otherwise token i
// is due at i * delay after the first, so the pace does not drift).
// A request may override the token count and the delays with "bench_tokens",
// "bench_token_delay_ms" and "bench_first_delay_ms" numbers in its JSON body (docent passes
// unknown members on), so one upstream serves every scenario.
//
// Usage: bench_stream_upstream [--port P] [--threads N] [--tokens T]
//                              [--first-delay-ms MS] [--token-delay-ms MS]
// Listens on 127.0.0.1:P (0 = a free port) and prints "listening on http://127.0.0.1:PORT".

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);
constexpr auto kReadTimeout = std::chrono::seconds(120);
constexpr std::uint64_t kBodyLimit = 16 * 1024 * 1024;
constexpr std::string_view kModel = "bench-model";

struct Options {
  unsigned short port = 0;
  int threads = 1;
  long tokens = 64;
  long first_delay_ms = 0;
  long token_delay_ms = 0;
};
Options g_options;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response make_response(const Request& req, http::status status, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string model_json() { return R"({"id":"bench-model","object":"model","created":1700000000,"owned_by":"bench"})"; }

std::string chunk_event(const std::string& id, std::string_view content, bool last) {
  std::string e = "data: {\"id\":\"" + id +
                  "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench-model\","
                  "\"choices\":[{\"index\":0,\"delta\":{";
  if (last) {
    e += "},\"finish_reason\":\"stop\"}]}\n\n";
  } else {
    e += "\"content\":\"";
    e += content;
    e += "\"},\"finish_reason\":null}]}\n\n";
  }
  return e;
}

// Appends payload to out as one HTTP/1.1 chunk.
void append_chunk(std::string& out, const std::string& payload) {
  char size[32];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", payload.size());
  out.append(size, static_cast<size_t>(n));
  out += payload;
  out += "\r\n";
}

net::awaitable<void> pause_until(net::steady_timer& timer, std::chrono::steady_clock::time_point at) {
  timer.expires_at(at);
  co_await timer.async_wait(kNoThrow);
}

// Writes the SSE answer; returns false if the client went away.
net::awaitable<bool> stream_answer(beast::tcp_stream& stream, const Request& req, long tokens, long first_delay_ms,
                                   long delay_ms) {
  static std::atomic<std::uint64_t> counter{0};
  const std::string id = "chatcmpl-bench" + std::to_string(counter.fetch_add(1));
  net::steady_timer timer{stream.get_executor()};
  stream.expires_never();

  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
      "Transfer-Encoding: chunked\r\n";
  head += req.keep_alive() ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  // Token i is due at first + i * delay (absolute deadlines): the pace does not drift with how
  // late the process gets the CPU, so a slower reader shows as a lower rate, not a slower upstream.
  const auto first = std::chrono::steady_clock::now() + std::chrono::milliseconds(first_delay_ms);
  if (first_delay_ms > 0) co_await pause_until(timer, first);
  // The head goes with the first token, as a model server's first flush would.
  for (long i = 0; i < tokens; ++i) {
    if (i > 0 && delay_ms > 0) co_await pause_until(timer, first + std::chrono::milliseconds(delay_ms * i));
    std::string out = i == 0 ? head : std::string();
    append_chunk(out, chunk_event(id, "tok ", false));
    auto [ec, written] = co_await net::async_write(stream.socket(), net::buffer(out), kNoThrow);
    if (ec) co_return false;
  }
  std::string tail;
  append_chunk(tail, chunk_event(id, {}, true) + "data: [DONE]\n\n");
  tail += "0\r\n\r\n";
  auto [ec, written] = co_await net::async_write(stream.socket(), net::buffer(tail), kNoThrow);
  co_return !ec;
}

Response complete_answer(const Request& req, long tokens) {
  std::string text;
  for (long i = 0; i < tokens; ++i) text += "tok ";
  boost::json::object o{
      {"id", "chatcmpl-bench"},
      {"object", "chat.completion"},
      {"created", 1700000000},
      {"model", kModel},
      {"choices", boost::json::array{boost::json::object{{"index", 0},
                                                         {"message", boost::json::object{{"role", "assistant"},
                                                                                         {"content", text}}},
                                                         {"finish_reason", "stop"}}}},
      {"usage",
       boost::json::object{{"prompt_tokens", 1}, {"completion_tokens", tokens}, {"total_tokens", tokens + 1}}}};
  return make_response(req, http::status::ok, boost::json::serialize(o));
}

net::awaitable<void> do_session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(kReadTimeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (read_ec) break;
    const Request& req = parser.get();
    const std::string_view target = req.target();
    Response res;
    if (req.method() == http::verb::get && target == "/v1/models") {
      res = make_response(req, http::status::ok, R"({"object":"list","data":[)" + model_json() + "]}");
    } else if (req.method() == http::verb::get && target == "/v1/models/bench-model") {
      res = make_response(req, http::status::ok, model_json());
    } else if (req.method() == http::verb::post && target == "/v1/chat/completions") {
      boost::system::error_code ec;
      boost::json::value body = boost::json::parse(req.body(), ec);
      if (ec || !body.is_object()) {
        res = make_response(req, http::status::bad_request, R"({"error":{"message":"invalid JSON"}})");
      } else {
        const auto& o = body.get_object();
        long tokens = g_options.tokens;
        if (const auto* t = o.if_contains("bench_tokens"); t && t->is_int64() && t->get_int64() > 0)
          tokens = static_cast<long>(t->get_int64());
        long delay_ms = g_options.token_delay_ms;
        if (const auto* d = o.if_contains("bench_token_delay_ms"); d && d->is_int64() && d->get_int64() >= 0)
          delay_ms = static_cast<long>(d->get_int64());
        long first_delay_ms = g_options.first_delay_ms;
        if (const auto* d = o.if_contains("bench_first_delay_ms"); d && d->is_int64() && d->get_int64() >= 0)
          first_delay_ms = static_cast<long>(d->get_int64());
        const auto* s = o.if_contains("stream");
        if (s && s->is_bool() && s->get_bool()) {
          if (!co_await stream_answer(stream, req, tokens, first_delay_ms, delay_ms) || !req.keep_alive()) break;
          continue;
        }
        res = complete_answer(req, tokens);
      }
    } else {
      res = make_response(req, http::status::not_found, R"({"error":{"message":"not found"}})");
    }
    const bool keep_alive = res.keep_alive();
    auto [write_ec, write_n] = co_await http::async_write(stream, res, kNoThrow);
    if (write_ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

net::awaitable<void> do_listen(tcp::acceptor acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (ec == net::error::operation_aborted) co_return;
      continue;
    }
    socket.set_option(tcp::no_delay(true));
    net::co_spawn(acceptor.get_executor(), do_session(beast::tcp_stream(std::move(socket))), net::detached);
  }
}

[[noreturn]] void usage_and_exit() {
  std::cerr << "usage: bench_stream_upstream [--port P] [--threads N] [--tokens T] [--first-delay-ms MS]"
               " [--token-delay-ms MS]\n";
  std::exit(EXIT_FAILURE);
}

Options parse_options(int argc, char* argv[]) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage_and_exit();
    const long value = std::atol(argv[++i]);
    if (arg == "--port" && value >= 0 && value <= 65535)
      options.port = static_cast<unsigned short>(value);
    else if (arg == "--threads" && value >= 1)
      options.threads = static_cast<int>(value);
    else if (arg == "--tokens" && value >= 1)
      options.tokens = value;
    else if (arg == "--first-delay-ms" && value >= 0)
      options.first_delay_ms = value;
    else if (arg == "--token-delay-ms" && value >= 0)
      options.token_delay_ms = value;
    else
      usage_and_exit();
  }
  return options;
}

}  // namespace

int main(int argc, char* argv[]) {
  g_options = parse_options(argc, argv);
  try {
    net::io_context ioc{g_options.threads};
    tcp::acceptor acceptor{ioc};
    const tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), g_options.port};
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::printf("listening on http://127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);

    net::co_spawn(ioc, do_listen(std::move(acceptor)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "acceptor: " << ex.what() << '\n';
      }
    });
    net::signal_set signals{ioc, SIGINT, SIGTERM};
    signals.async_wait([&ioc](boost::system::error_code, int) { ioc.stop(); });

    std::vector<std::thread> workers;
    for (int i = 1; i < g_options.threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& worker : workers) worker.join();
  } catch (const std::exception& e) {
    std::cerr << "bench_stream_upstream: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
