#pragma once
// A small blocking HTTP/1.1 client for tests (Beast, synchronous), plus raw-bytes access for
// malformed-input tests. Tests only: production code never includes this.

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace docent::testing {

// Request headers as tests spell them, and the two shorthands every suite uses.
using Headers = std::vector<std::pair<std::string, std::string>>;
inline Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }
inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  boost::json::value json() const { return boost::json::parse(body); }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::string host = "127.0.0.1");
  ~HttpClient();

  // One request on a kept-alive connection (reconnects when the server closed it).
  HttpResponse request(const std::string& method, const std::string& target, const std::string& body = {},
                       const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResponse get(const std::string& target, const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResponse post_json(const std::string& target, const std::string& json,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return request("POST", target, json, headers);
  }

  // Sends `bytes` on a fresh connection and returns everything the server writes back before it
  // closes the connection or `timeout` passes.
  std::string raw(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

  // Opens a connection, sends `bytes`, reads until `until` appears in the response (or timeout),
  // and returns what was read; the connection stays open until close_raw().
  std::string raw_until(const std::string& bytes, const std::string& until,
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Reads on from the connection raw_until() opened, until `until` appears (or the timeout).
  std::string raw_more(const std::string& until, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
  void close_raw();

  // The status code of a raw HTTP response text ("HTTP/1.1 413 ..."), or 0.
  static int status_of(const std::string& raw_response);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Builds a multipart/form-data body. Parts are (name, filename or "", content type or "", data).
struct MultipartPart {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};
std::string multipart_body(const std::string& boundary, const std::vector<MultipartPart>& parts);

// Creates a user account (role user) with the admin's key through /v1/accounts, signs it in with
// /v1/auth/login and returns the new API key; empty (with a gtest failure) when either fails.
std::string create_user_key(HttpClient& client, const std::string& admin_key, const std::string& login);

// The JSON of every "data:" line of an SSE body, in order.
std::vector<boost::json::value> sse_json(const std::string& body);

}  // namespace docent::testing
