#pragma once
// Language-model providers: the one interface every chat/embedding engine implements (the
// OpenAI-compatible client over libcurl, and the built-in extractive engine), and the types that
// cross it. No HTTP types and no database here.
//
// Requests and upstream results travel as OpenAI-shaped JSON where the shape is rich and open
// (messages with content parts and tool calls, response_format, tools): a provider that talks to
// an OpenAI-compatible server passes them through unchanged, and the built-in engine reads only
// the text it understands. The caller validates the types at the edge before building a request.

#include "core/error.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace docent::engines {

// Returns true when the work should stop (the client went away, the server is shutting down).
// Providers call it at least once per received chunk and every ~100 ms while waiting.
using CancelCheck = std::function<bool()>;

struct ModelInfo {
  std::string id;
  std::string owned_by;
  int64_t created = 0;  // unix seconds
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
  bool estimated = false;  // true for the built-in engine's estimate (see builtin_llm.h)
};

// A retrieved passage the built-in engine may quote; `n` in its citation markers is the
// passage's 1-based position in ChatRequest::passages.
struct Passage {
  std::string text;
  std::string file_id;
  std::string file_name;
  int64_t page = 0;  // 0 = unknown
};

struct ChatRequest {
  std::string model;
  // The OpenAI request body (messages, temperature, tools, ...), already type-checked; the
  // provider sets "model" and "stream" itself.
  boost::json::object body;
  // Retrieval context for engines that answer from passages (ignored by upstream providers,
  // whose caller puts context into the messages instead).
  std::vector<Passage> passages;
};

// One streamed event of a chat completion.
struct ChatChunk {
  std::string content;                       // text delta (may be empty)
  std::optional<std::string> finish_reason;  // set on the last content chunk
  std::optional<Usage> usage;                // set on a usage chunk
  // The upstream's chunk object (chat.completion.chunk) when the provider is a pass-through;
  // empty for the built-in engine, whose chunks the caller shapes from the fields above.
  boost::json::object raw;
};

// A whole (non-streamed) chat completion.
struct ChatResult {
  std::string content;
  std::string finish_reason = "stop";
  Usage usage;
  std::vector<int> citations;  // built-in engine: the 1-based passage numbers cited, in first-use order
  boost::json::object raw;     // the upstream's chat.completion object; empty for the built-in engine
};

// A chat completion being streamed: a generator pulled by the caller. Destroying it cancels the
// transfer at once (the upstream connection is closed).
class ChatStream {
 public:
  virtual ~ChatStream() = default;
  // The next chunk; nullopt once the stream ended normally. Errors: UpstreamError (with the
  // upstream's message) for a failed or malformed stream, Timeout-like stalls reported as
  // UpstreamError naming the read timeout, and ServiceUnavailable("cancelled") when `cancel`
  // returned true.
  virtual core::Result<std::optional<ChatChunk>> next(const CancelCheck& cancel) = 0;
};

// The receiving end of a stream started with LlmProvider::stream_async.
enum class Flow {
  Continue,
  Pause,  // keep this chunk, but send no more until ChatStreamControl::resume()
  Stop,   // end the stream (on_end follows with ServiceUnavailable "cancelled")
};

struct StreamCallbacks {
  // Every chunk, in order. Runs on the provider's own thread (for an upstream, the one reactor
  // thread every stream shares): it must not block.
  std::function<Flow(ChatChunk&&)> on_chunk;
  // Exactly once, last: ok when the stream ended normally, else its error — the same errors as
  // ChatStream::next, and ServiceUnavailable("cancelled") after cancel() or Flow::Stop. Both
  // callbacks are released right after it returns.
  std::function<void(core::Status)> on_end;
};

// Steers a stream started with stream_async. Thread-safe. Letting go of it does not cancel the
// stream (it runs to its end on its own).
class ChatStreamControl {
 public:
  virtual ~ChatStreamControl() = default;
  virtual void cancel() = 0;  // on_end(cancelled) follows, unless the stream ended already
  virtual void resume() = 0;  // after on_chunk answered Flow::Pause; harmless at any other time
};

struct EmbeddingResult {
  std::string model;
  std::vector<std::vector<float>> vectors;  // one per input, in order
  Usage usage;
};

namespace detail {
class StreamThreads;
}

// Lifetime against streams: a ChatStream returned by stream() may not outlive its provider. A stream
// started with stream_async may: the upstream client's streams carry what they need and finish on
// the reactor; the default stream_async's threads belong to the provider, and destroying the
// provider cancels them and waits for them, so every such stream's on_end has run once the
// destructor returns. (Do not destroy a provider from inside one of its own callbacks.)
class LlmProvider {
 public:
  LlmProvider();
  virtual ~LlmProvider();
  LlmProvider(const LlmProvider&) = delete;
  LlmProvider& operator=(const LlmProvider&) = delete;

  // A short name for logs and errors ("upstream http://host:8000/v1", "built-in").
  virtual std::string name() const = 0;
  // The models this provider serves. Errors: UpstreamError.
  virtual core::Result<std::vector<ModelInfo>> list_models(const CancelCheck& cancel) = 0;
  // One complete answer. Errors: UpstreamError, InvalidInput (with field) for a parameter the
  // provider cannot honour.
  virtual core::Result<ChatResult> chat(const ChatRequest& request, const CancelCheck& cancel) = 0;
  // Starts a streamed answer; returns once the first chunk is available (or the stream ended or
  // failed), so that an error is reported before the caller commits to a 200 event stream.
  virtual core::Result<std::unique_ptr<ChatStream>> stream(const ChatRequest& request, const CancelCheck& cancel) = 0;
  // Starts a streamed answer and returns at once; chunks and the end arrive through
  // `callbacks`, without a thread held per stream while the model is writing. Errors (the
  // upstream refused, failed, or went quiet) come as on_end's status, possibly before any chunk.
  // The default runs stream() on a thread of its own that the provider owns (see stop_streams), for
  // providers that answer from memory.
  virtual std::shared_ptr<ChatStreamControl> stream_async(const ChatRequest& request, StreamCallbacks callbacks);
  // Embeddings of `inputs` with `model`. Errors: UpstreamError; ServiceUnavailable when the
  // provider has no embeddings.
  virtual core::Result<EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                              const CancelCheck& cancel) = 0;

 protected:
  // Cancels every stream the default stream_async started and joins their threads; once it returns
  // each of them has called on_end, and a later stream_async ends at once with "cancelled". A
  // provider that keeps the default stream_async calls it first thing in its destructor, while the
  // members its stream() reads are still alive (~LlmProvider calls it too, but by then the
  // derived part is gone).
  void stop_streams();

 private:
  std::unique_ptr<detail::StreamThreads> threads_;
};

// Convenience: the callback form of stream(). Calls on_chunk for every chunk until the stream
// ends, on_chunk returns false, or cancel() is true. Returns the first error.
core::Status stream_chat(LlmProvider& provider, const ChatRequest& request, const CancelCheck& cancel,
                         const std::function<bool(const ChatChunk&)>& on_chunk);

// The text of a message's "content": a string, or the "text" parts of an array of content parts.
std::string message_text(const boost::json::value& content);

}  // namespace docent::engines
