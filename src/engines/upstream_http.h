#pragma once
// Blocking HTTP calls to an upstream the operator names in the configuration — a speech server
// (stt.url, tts.url), an image, video or music generator (generation.*_url) — with libcurl's easy
// interface. base_url ends in /v1, as llm.url does; paths are joined to it.
//
//   UpstreamCall call(options, "POST", "/images/generations");
//   call.json_body(json::serialize(request));
//   auto reply = call.run(stop);   // reply->status 2xx; reply->body
//
// Every call: at most connect_timeout to connect and read_timeout of silence (no total bound, so a
// long answer may stream), no redirects, http and https only, private addresses refused unless
// allow_private (DESIGN.md §4: operator URLs may be private; user URLs never reach here). `stop`
// is polled while the call waits and ends it. Run from a worker pool or a job, never a network
// thread. Thread-safe: each call has its own handle.
//
// Errors (each names the setting): Code::UpstreamError when the upstream cannot be reached,
// times out, answers too much or answers an error (its own message kept); Code::ServiceUnavailable
// when it answers 404 (it does not offer the route); Code::ProcessingError "cancelled" when `stop`
// said so.

#include "core/error.h"

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace docent::engines {

struct UpstreamHttpOptions {
  std::string base_url;  // e.g. "http://images:8080/v1"
  std::string api_key;   // sent as "Authorization: Bearer"; empty = none
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{120};
  bool allow_private = true;
  std::string setting;                 // e.g. "generation.image_url", named in errors
  std::string what = "upstream";       // how errors call it: "the <what> (<setting>) ..."
  size_t max_body = size_t{64} << 20;  // a kept 2xx body larger than this fails the call
};

struct UpstreamReply {
  long status = 0;
  std::string body;          // empty when the body was streamed to on_bytes
  std::string content_type;  // as the upstream sent it, lower case, parameters dropped
};

class UpstreamCall {
 public:
  // `method` is GET or POST; `path` starts with '/'.
  UpstreamCall(const UpstreamHttpOptions& options, std::string_view method, std::string_view path);
  ~UpstreamCall();
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  void header(const std::string& line);  // "Name: value"
  void json_body(std::string payload);   // Content-Type: application/json
  curl_mime* mime();                     // a multipart/form-data body, made on first use

  // Performs the call. A 2xx body goes to on_bytes as it arrives when one is given (it returns
  // false to stop), else is kept in the reply; an error body is never streamed.
  core::Result<UpstreamReply> run(const std::function<bool()>& stop,
                                  const std::function<bool(std::string_view)>* on_bytes = nullptr);

 private:
  const UpstreamHttpOptions& options_;
  CURL* easy_ = nullptr;
  curl_slist* headers_ = nullptr;
  curl_mime* mime_ = nullptr;
  std::string url_;
  std::string payload_;
};

// The message of an OpenAI-shaped error body ({"error": {"message"}}, {"error": "..."},
// {"detail": "..."}), or the start of whatever came.
std::string upstream_error_message(const std::string& body);

}  // namespace docent::engines
