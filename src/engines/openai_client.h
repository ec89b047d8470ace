#pragma once
// An LlmProvider that talks to any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama,
// TGI, OpenAI itself, or another docent) over libcurl:
//   GET {base}/models, POST {base}/chat/completions (stream or not), POST {base}/embeddings,
// where base is the configured URL ending in "/v1".
//
// Promises:
//   - connect timeout, and a read timeout: a transfer that receives no byte for read_timeout
//     fails with UpstreamError naming the setting (a hung upstream never hangs a request);
//   - bounded retries (`retries` extra attempts, short backoff) on connection errors only, and
//     only while no byte of a response has been received;
//   - an upstream HTTP error becomes UpstreamError carrying the upstream's own error message
//     (details.upstream_status holds its status code); a malformed body or event stream is an
//     UpstreamError too;
//   - cancellation is checked at least every 100 ms and on every received chunk; a cancelled or
//     destroyed transfer closes its connection at once;
//   - unless allow_private, every address a host resolves to is checked with
//     is_private_address() before connecting (outbound_url.h).
// Streams run on the shared CurlReactor (engines/curl_reactor.h), whose one multi handle also
// keeps upstream connections alive between requests; whole exchanges (model lists, non-streamed
// answers, embeddings) run on the calling thread with curl handles of their own. Thread-safe.

#include "engines/llm.h"

#include <chrono>
#include <string>

namespace docent::engines {

struct OpenAiClientOptions {
  std::string base_url;  // e.g. "http://gpu-box:8000/v1"
  std::string api_key;   // sent as "Authorization: Bearer"; empty = none
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
  int retries = 2;
  bool allow_private = false;
  std::string read_timeout_setting = "llm.read_timeout";  // named in timeout errors
};

class OpenAiClient : public LlmProvider {
 public:
  explicit OpenAiClient(OpenAiClientOptions options);

  std::string name() const override { return "upstream " + options_.base_url; }
  core::Result<std::vector<ModelInfo>> list_models(const CancelCheck& cancel) override;
  core::Result<ChatResult> chat(const ChatRequest& request, const CancelCheck& cancel) override;
  core::Result<std::unique_ptr<ChatStream>> stream(const ChatRequest& request, const CancelCheck& cancel) override;
  // On the process's one CurlReactor thread (engines/curl_reactor.h): no thread per stream.
  std::shared_ptr<ChatStreamControl> stream_async(const ChatRequest& request, StreamCallbacks callbacks) override;
  core::Result<EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                      const CancelCheck& cancel) override;

  const OpenAiClientOptions& options() const { return options_; }

 private:
  OpenAiClientOptions options_;
};

// Reads an OpenAI "usage" object; nullopt when `v` is not one.
std::optional<Usage> parse_usage(const boost::json::value* v);

}  // namespace docent::engines
