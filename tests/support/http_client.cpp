#include "support/http_client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <thread>

namespace docent::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  uint16_t port;
  asio::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::unique_ptr<tcp::socket> raw_socket;

  void connect() {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    stream->connect(tcp::endpoint(asio::ip::make_address(host), port));
    buffer.clear();
  }
};

HttpClient::HttpClient(uint16_t port, std::string host) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!impl_->stream) impl_->connect();
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, impl_->host);
    for (const auto& [k, v] : headers) req.insert(k, v);
    req.body() = body;
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
    beast::error_code ec;
    impl_->stream->expires_after(std::chrono::seconds(30));
    bhttp::write(*impl_->stream, req, ec);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    if (method == "HEAD") parser.skip(true);
    if (!ec) bhttp::read(*impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->stream.reset();
      if (attempt == 0 && (ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
                           ec == asio::error::broken_pipe || ec == asio::error::eof)) {
        continue;  // a kept-alive connection the server had closed: retry once on a new one
      }
      throw std::runtime_error("HTTP " + method + " " + target + " failed: " + ec.message());
    }
    auto res = parser.release();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    if (!res.keep_alive()) impl_->stream.reset();
    return out;
  }
  throw std::runtime_error("unreachable");
}

std::string HttpClient::raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  std::string out = raw_until(bytes, std::string(), timeout);
  close_raw();
  return out;
}

std::string HttpClient::raw_until(const std::string& bytes, const std::string& until,
                                  std::chrono::milliseconds timeout) {
  auto& ioc = impl_->ioc;
  impl_->raw_socket = std::make_unique<tcp::socket>(ioc);
  impl_->raw_socket->connect(tcp::endpoint(asio::ip::make_address(impl_->host), impl_->port));
  beast::error_code ec;
  asio::write(*impl_->raw_socket, asio::buffer(bytes), ec);
  return raw_more(until, timeout);
}

std::string HttpClient::raw_more(const std::string& until, std::chrono::milliseconds timeout) {
  if (!impl_->raw_socket) return {};
  beast::error_code ec;
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 4096> buf;
  // Poll-read with a deadline: non-blocking socket and short sleeps keep this simple.
  impl_->raw_socket->non_blocking(true);
  while (std::chrono::steady_clock::now() < deadline) {
    size_t n = impl_->raw_socket->read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    if (ec) break;
    out.append(buf.data(), n);
    if (!until.empty() && out.find(until) != std::string::npos) break;
  }
  return out;
}

void HttpClient::close_raw() {
  if (impl_->raw_socket) {
    beast::error_code ec;
    impl_->raw_socket->close(ec);
    impl_->raw_socket.reset();
  }
}

int HttpClient::status_of(const std::string& raw_response) {
  if (raw_response.rfind("HTTP/1.", 0) != 0 || raw_response.size() < 12) return 0;
  return std::atoi(raw_response.substr(9, 3).c_str());
}

std::string multipart_body(const std::string& boundary, const std::vector<MultipartPart>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += "--" + boundary + "\r\n";
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n" + p.data + "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

std::vector<boost::json::value> sse_json(const std::string& body) {
  std::vector<boost::json::value> out;
  size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const size_t end = body.find('\n', at);
    out.push_back(boost::json::parse(body.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6)));
    if (end == std::string::npos) break;
    at = end;
  }
  return out;
}

std::string create_user_key(HttpClient& client, const std::string& admin_key, const std::string& login) {
  const std::string password = "pw-" + login + "-secret";
  const std::string credentials = R"({"login":")" + login + R"(","password":")" + password + R"("})";
  auto created = client.post_json("/v1/accounts", credentials, {{"Authorization", "Bearer " + admin_key}});
  EXPECT_EQ(created.status, 201) << created.body;
  auto res = client.post_json("/v1/auth/login", credentials);
  EXPECT_EQ(res.status, 200) << res.body;
  if (res.status != 200) return {};
  return std::string(res.json().at("api_key").at("key").as_string());
}

}  // namespace docent::testing
