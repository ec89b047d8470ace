#pragma once
// Relays a model's streamed answer into an SSE response without a thread per stream: the
// producer function starts LlmProvider::stream_async and returns; each chunk is shaped and
// queued from the provider's thread (for an upstream, the one reactor thread every stream
// shares). Backpressure and cancellation are wired both ways: a client that reads slowly pauses
// the upstream transfer, and a client that leaves stops it at once.

#include "core/error.h"
#include "engines/llm.h"
#include "http/message.h"

#include <functional>
#include <optional>
#include <string>

namespace docent::api {

struct RelayHooks {
  // The data of the event for one chunk; nullopt sends nothing for it. Must not block.
  std::function<std::optional<std::string>(const engines::ChatChunk&)> shape;
  // Once, at the end, unless the client has gone away: `status` is ok when the stream ended
  // normally, else its error (before any event, sink.reject() can still answer with an error
  // response). Must not block: it runs on the provider's thread.
  std::function<void(http::SseSink& sink, const core::Status& status)> end;
};

// Call from a Response::stream / stream_on_first_event producer function.
void relay_stream(http::SseSink& sink, engines::LlmProvider& provider, const engines::ChatRequest& request,
                  RelayHooks hooks);

}  // namespace docent::api
