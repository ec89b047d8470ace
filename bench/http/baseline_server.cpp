// bench_http_baseline: the yardstick for bench/http/run.sh.
//
// A minimal Boost.Beast HTTP/1.1 server shaped like Beast's
// example/http/server/awaitable/http_server_awaitable.cpp: one coroutine per
// connection, keep-alive, a read timeout and a body limit, and an io_context
// run on --threads N threads. It serves the two routes the benchmark drives,
// doing the same work docent does for them:
//
//   GET  /health   -> 200 application/json {"status":"ok"}
//   POST /v1/echo  -> 200 application/json, serialize(parse(body))
//                     (400 if the body is not JSON)
//   anything else  -> 404
//
// Usage: bench_http_baseline [--port P] [--threads N]
// Listens on 127.0.0.1:P (0 = a free port) and prints
// "listening on http://127.0.0.1:PORT" on stdout once it accepts.
// SIGINT/SIGTERM stop it.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

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

// Completion token that reports errors as values instead of throwing, so a
// closed connection costs no exception.
constexpr auto kNoThrow = net::as_tuple(net::use_awaitable);

constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr std::uint64_t kBodyLimit = 1024 * 1024;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response make_response(const Request& req, http::status status, std::string_view content_type, std::string body) {
  Response res{status, req.version()};
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// A pure function of the request.
Response handle_request(const Request& req) {
  const std::string_view target = req.target();
  if (req.method() == http::verb::get && target == "/health")
    return make_response(req, http::status::ok, "application/json", R"({"status":"ok"})");

  if (req.method() == http::verb::post && target == "/v1/echo") {
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(req.body(), ec);
    if (ec) return make_response(req, http::status::bad_request, "application/json", R"({"error":"invalid JSON"})");
    return make_response(req, http::status::ok, "application/json", boost::json::serialize(parsed));
  }

  return make_response(req, http::status::not_found, "application/json", R"({"error":"not found"})");
}

net::awaitable<void> do_session(beast::tcp_stream stream) {
  beast::flat_buffer buffer;
  for (;;) {
    stream.expires_after(kReadTimeout);
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    auto [read_ec, read_n] = co_await http::async_read(stream, buffer, parser, kNoThrow);
    if (read_ec) break;  // end_of_stream, timeout, malformed request: just close

    Response res = handle_request(parser.get());
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
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    socket.set_option(tcp::no_delay(true));
    net::co_spawn(acceptor.get_executor(), do_session(beast::tcp_stream(std::move(socket))), net::detached);
  }
}

struct Options {
  unsigned short port = 0;
  int threads = 1;
};

[[noreturn]] void usage_and_exit() {
  std::cerr << "usage: bench_http_baseline [--port P] [--threads N]\n";
  std::exit(EXIT_FAILURE);
}

Options parse_options(int argc, char* argv[]) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) usage_and_exit();
    const int value = std::atoi(argv[++i]);
    if (arg == "--port" && value >= 0 && value <= 65535)
      options.port = static_cast<unsigned short>(value);
    else if (arg == "--threads" && value >= 1)
      options.threads = value;
    else
      usage_and_exit();
  }
  return options;
}

}  // namespace

int main(int argc, char* argv[]) {
  const Options options = parse_options(argc, argv);
  try {
    net::io_context ioc{options.threads};

    // Bind before running so the chosen port can be printed right away.
    tcp::acceptor acceptor{ioc};
    const tcp::endpoint endpoint{net::ip::make_address_v4("127.0.0.1"), options.port};
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
    workers.reserve(options.threads - 1);
    for (int i = 1; i < options.threads; ++i) workers.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& worker : workers) worker.join();
  } catch (const std::exception& e) {
    std::cerr << "bench_http_baseline: " << e.what() << '\n';
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}
