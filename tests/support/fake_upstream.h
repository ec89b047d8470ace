#pragma once
// A TCP listener on 127.0.0.1 that plays a misbehaving OpenAI-compatible upstream (hangs,
// resets, 500s, malformed or cut event streams, a stream that never ends), for the tests of
// docent's upstream client. Header-only: integration tests only.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace docent::testing {

// A TCP listener on 127.0.0.1 that plays a broken upstream, whatever the request.
class FakeUpstream {
 public:
  // Burst: `burst` chunks with contents "0 ", "1 ", ... written as fast as the socket takes them,
  // then [DONE].
  enum class Mode { Hang, Reset, Error500, MalformedSse, EndlessStream, TruncatedStream, Burst };

  explicit FakeUpstream(Mode mode, int burst = 2000) : mode_(mode), burst_(burst) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 1024), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeUpstream() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : handlers_) t.join();
    std::lock_guard lock(mu_);
    for (int c : open_) ::close(c);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int connections() const { return connections_; }
  // EndlessStream: connections whose client went away (a write failed).
  int closed_by_client() const { return closed_by_client_; }

 private:
  void accept_loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      handlers_.emplace_back([this, c] { handle(c); });
    }
  }

  static std::string read_request(int c) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return in;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }

  static bool send_all(int c, const std::string& s) {
    return ::send(c, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }

  void handle(int c) {
    const std::string request = read_request(c);
    if (mode_ == Mode::EndlessStream && request.rfind("GET /v1/models", 0) == 0) {
      const std::string body =
          R"({"object":"list","data":[{"id":"endless","object":"model","created":1,"owned_by":"fake"}]})";
      send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
      ::close(c);
      return;
    }
    switch (mode_) {
      case Mode::Hang: {
        std::lock_guard lock(mu_);
        open_.push_back(c);  // never answered, closed when the test ends
        return;
      }
      case Mode::Reset: {
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c);  // RST
        return;
      }
      case Mode::Error500: {
        const std::string body =
            R"({"error":{"message":"the model ran out of GPU memory","type":"server_error","param":null,"code":null}})";
        send_all(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        ::close(c);
        return;
      }
      case Mode::MalformedSse: {
        send_all(c,
                 "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                 "data: {this is not json\n\n");
        ::close(c);
        return;
      }
      case Mode::TruncatedStream: {  // one good chunk, then the connection closes without [DONE]
        send_all(
            c,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
            R"(data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"half "},"finish_reason":null}]})"
            "\n\n");
        ::close(c);
        return;
      }
      case Mode::Burst: {
        std::string out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
        for (int i = 0; i < burst_; ++i) {
          out +=
              R"(data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"burst","choices":[{"index":0,"delta":{"content":")" +
              std::to_string(i) +
              R"( "},"finish_reason":null}]})"
              "\n\n";
        }
        out += "data: [DONE]\n\n";
        if (!send_all(c, out)) ++closed_by_client_;
        ::close(c);
        return;
      }
      case Mode::EndlessStream: {
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
        const std::string chunk =
            R"(data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"endless","choices":[{"index":0,"delta":{"content":"la "},"finish_reason":null}]})"
            "\n\n";
        // Bounded (~60 s) so a broken client can never leave this running forever.
        for (int i = 0; i < 600 && !stop_; ++i) {
          if (!send_all(c, chunk)) {
            ++closed_by_client_;
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ::close(c);
        return;
      }
    }
  }

  Mode mode_;
  int burst_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> closed_by_client_{0};
  std::thread thread_;
  std::vector<std::thread> handlers_;  // only touched by the accept thread until the destructor joins it
  std::mutex mu_;
  std::vector<int> open_;  // GUARDED_BY(mu_)
};

}  // namespace docent::testing
