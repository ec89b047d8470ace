// POST /v1/chat/completions: the request is type-checked here (a wrong type is a 400 naming the
// field), routed by model name, and answered as a chat.completion object or a stream of
// chat.completion.chunk events ending in "data: [DONE]". Upstream answers pass through as the
// upstream wrote them; the built-in engine's are shaped here.

#include "api/native/errors.h"
#include "api/native/image_parts.h"
#include "api/native/models.h"
#include "api/stream_relay.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

struct ChatInput {
  std::string model;
  bool stream = false;
  bool include_usage = false;
  json::object body;
};

// Reads a value that must lie within [lo, hi] (absent: nothing to check).
template <typename T>
void within(core::ObjectReader& r, const char* key, const std::optional<T>& v, T lo, T hi) {
  if (!r.ok() || !v || (*v >= lo && *v <= hi)) return;
  r.invalid(key, "must be from " + json::serialize(json::value(lo)) + " to " + json::serialize(json::value(hi)));
}

void at_least(core::ObjectReader& r, const char* key, const std::optional<int64_t>& v, int64_t lo) {
  if (r.ok() && v && *v < lo) r.invalid(key, "must be at least " + std::to_string(lo));
}

// One message of "messages": a role docent knows and content as the role requires.
void read_message(const json::value& m, const std::string& at, core::ObjectReader& outer) {
  static const std::set<std::string, std::less<>> roles = {"system",    "developer", "user",
                                                           "assistant", "tool",      "function"};
  core::ObjectReader r(m, at);
  std::string role;
  json::value content;
  r.required("role", role).optional("content", content);
  if (r.ok() && !roles.count(role)) r.invalid("role", "must be one of system, developer, user, assistant, tool");
  if (r.ok() && content.is_null() && role != "assistant") r.required("content", content);
  if (r.ok() && content.is_array()) {
    size_t j = 0;
    for (const auto& part : content.get_array()) {
      core::ObjectReader pr(part, at + ".content[" + std::to_string(j++) + "]");
      std::string type;
      r.merge(pr.required("type", type));
      if (!r.ok()) break;
    }
  } else if (r.ok() && !content.is_null() && !content.is_string()) {
    r.invalid("content", "must be a string or an array of content parts");
  }
  outer.merge(r);
}

// Type-checks the request body (CreateChatCompletionRequest) through one reader: a wrong type is
// a 400 naming the field. Unknown members are passed on to the model as they came.
core::Result<ChatInput> parse_chat_request(json::value& value) {
  core::ObjectReader r(value);
  ChatInput in;
  json::array messages;
  std::optional<double> temperature, top_p, presence_penalty, frequency_penalty;
  std::optional<int64_t> max_tokens, max_completion_tokens, seed, top_logprobs, n;
  bool logprobs = false;
  std::optional<std::string> user;
  std::optional<json::array> tools;
  std::optional<json::object> response_format, stream_options;
  json::value stop, tool_choice;
  r.optional("model", in.model).required("messages", messages);
  r.optional("temperature", temperature).optional("top_p", top_p);
  r.optional("presence_penalty", presence_penalty).optional("frequency_penalty", frequency_penalty);
  r.optional("max_tokens", max_tokens).optional("max_completion_tokens", max_completion_tokens);
  r.optional("seed", seed).optional("top_logprobs", top_logprobs).optional("n", n);
  r.optional("stream", in.stream).optional("logprobs", logprobs).optional("tools", tools);
  r.optional("response_format", response_format).optional("stream_options", stream_options);
  r.optional("user", user).optional("stop", stop).optional("tool_choice", tool_choice);
  if (!r.ok()) return r.error();

  if (messages.empty()) r.invalid("messages", "must contain at least one message");
  for (size_t i = 0; r.ok() && i < messages.size(); ++i)
    read_message(messages[i], "messages[" + std::to_string(i) + "]", r);
  within(r, "temperature", temperature, 0.0, 2.0);
  within(r, "top_p", top_p, 0.0, 1.0);
  within(r, "presence_penalty", presence_penalty, -2.0, 2.0);
  within(r, "frequency_penalty", frequency_penalty, -2.0, 2.0);
  at_least(r, "max_tokens", max_tokens, 1);
  at_least(r, "max_completion_tokens", max_completion_tokens, 1);
  at_least(r, "top_logprobs", top_logprobs, 0);
  if (r.ok() && n && *n != 1) r.invalid("n", "must be 1 (one choice per request is supported)");
  if (r.ok() && !stop.is_null()) {
    const bool strings = stop.is_string() ||
                         (stop.is_array() && std::all_of(stop.get_array().begin(), stop.get_array().end(),
                                                         [](const json::value& x) { return x.is_string(); }));
    if (!strings)
      r.invalid("stop", "must be a string or an array of strings");
    else if (stop.is_array() && stop.get_array().size() > 4)
      r.invalid("stop", "may hold at most 4 sequences");
  }
  if (r.ok() && response_format) {
    const json::value format(*response_format);
    core::ObjectReader fr(format, "response_format");
    std::string type;
    r.merge(fr.required("type", type));
  }
  if (r.ok() && !tool_choice.is_null() && !tool_choice.is_string() && !tool_choice.is_object()) {
    r.invalid("tool_choice", "must be a string or an object");
  }
  if (r.ok() && stream_options) {
    if (!in.stream) r.invalid("stream_options", "is only allowed when stream is true");
    const json::value options(*stream_options);
    core::ObjectReader sr(options, "stream_options");
    r.merge(sr.optional("include_usage", in.include_usage));
  }
  if (!r.ok()) return r.error();
  in.body = std::move(value.get_object());
  return in;
}

json::object usage_json(const engines::Usage& u) {
  return json::object{{"prompt_tokens", u.prompt_tokens},
                      {"completion_tokens", u.completion_tokens},
                      {"total_tokens", u.total_tokens}};
}

json::object completion_json(const std::string& id, int64_t created, const std::string& model,
                             const engines::ChatResult& r) {
  json::object message{{"role", "assistant"}, {"content", r.content}, {"refusal", nullptr}};
  return json::object{
      {"id", id},
      {"object", "chat.completion"},
      {"created", created},
      {"model", model},
      {"choices", json::array{json::object{{"index", 0},
                                           {"message", std::move(message)},
                                           {"logprobs", nullptr},
                                           {"finish_reason", r.finish_reason}}}},
      {"usage", usage_json(r.usage)},
      {"system_fingerprint", nullptr},
  };
}

// Shapes the built-in engine's chunks as chat.completion.chunk objects.
struct ChunkShaper {
  std::string id;
  int64_t created = 0;
  std::string model;
  bool include_usage = false;
  bool role_sent = false;

  // nullopt: nothing to send for this chunk.
  std::optional<json::object> shape(const engines::ChatChunk& c) {
    json::object o{{"id", id},
                   {"object", "chat.completion.chunk"},
                   {"created", created},
                   {"model", model},
                   {"system_fingerprint", nullptr}};
    if (c.usage) {
      if (!include_usage) return std::nullopt;
      o["choices"] = json::array{};
      o["usage"] = usage_json(*c.usage);
      return o;
    }
    json::object delta;
    if (!role_sent) {
      delta["role"] = "assistant";
      role_sent = true;
    }
    if (!c.content.empty()) delta["content"] = c.content;
    o["choices"] = json::array{
        json::object{{"index", 0},
                     {"delta", std::move(delta)},
                     {"logprobs", nullptr},
                     {"finish_reason", c.finish_reason ? json::value(*c.finish_reason) : json::value(nullptr)}}};
    if (include_usage) o["usage"] = nullptr;
    return o;
  }
};

// An error after the stream was committed: sent as one event in OpenAI's error shape.
std::string stream_error_event(const core::Error& e) {
  return json::serialize(
      json::object{{"error", json::object{{"message", e.message},
                                          {"type", e.status() >= 500 ? "server_error" : "invalid_request_error"},
                                          {"param", nullptr},
                                          {"code", core::code_name(e.code)}}}});
}

}  // namespace

void register_chat_completion_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/chat/completions",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return render_error(req, body.error());
    auto in = parse_chat_request(*body);
    if (!in) return render_error(req, in.error());
    // Images go to the vision model, or to the upstream the model routes to; never dropped.
    auto images = check_image_parts(in->body, *ctx.config);
    if (!images) return render_error(req, images.error());
    core::Result<services::ModelRoute> route = services::ModelRoute{};
    if (*images && ctx.vision != nullptr) {
      route->provider = ctx.vision;
      route->model = ctx.config->vision.model.empty() ? in->model : ctx.config->vision.model;
      route->upstream = "vision";
    } else {
      route = ctx.models->route_chat(in->model, {});
      if (!route) return render_error(req, route.error());
      if (*images && route->builtin) {
        return render_error(req, core::Error(core::Code::InvalidInput,
                                             "the request has image_url parts and the built-in engine cannot see "
                                             "images: set vision.url (or route the model to an upstream that takes "
                                             "images)",
                                             "messages"));
      }
    }
    // A question of the caller's plan, as on every face, decided before any stream starts.
    const services::Principal& p = principal(req);
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return render_error(req, st.error());

    engines::ChatRequest chat;
    chat.model = route->model;
    chat.body = std::move(in->body);
    const std::string id = "chatcmpl-" + core::random_hex(12);
    const int64_t created = core::unix_seconds_now();

    if (!in->stream) {
      auto result = route->provider->chat(chat, {});
      if (!result) return render_error(req, result.error());
      record_question(ctx, p);
      if (!result->raw.empty()) return Response::json(200, result->raw);
      return Response::json(200, completion_json(id, created, route->model, *result));
    }

    // The response head waits for the first chunk, so that an upstream that fails before
    // answering is still a JSON error. The producer only starts the stream: chunks then arrive
    // on the provider's reactor thread (an upstream) and are relayed from there, so a stream
    // holds no thread of its own while the model writes, and waiting for a slow model's first
    // token holds no request worker.
    record_question(ctx, p);
    auto shaper = std::make_shared<ChunkShaper>(ChunkShaper{id, created, route->model, in->include_usage});
    std::string request_id = req.request_id;
    engines::LlmProvider* provider = route->provider;
    return Response::stream_on_first_event([provider, chat = std::move(chat), shaper, request_id](http::SseSink& sink) {
      RelayHooks hooks;
      hooks.shape = [shaper](const engines::ChatChunk& c) -> std::optional<std::string> {
        if (!c.raw.empty()) return json::serialize(c.raw);
        if (auto shaped = shaper->shape(c)) return json::serialize(*shaped);
        return std::nullopt;
      };
      hooks.end = [request_id](http::SseSink& out, const core::Status& st) {
        if (st) {
          out.offer("[DONE]");
          return;
        }
        core::log::warn("chat stream failed", {{"request_id", request_id}, {"error", st.error().message}});
        if (!out.reject(render_error(Request(), st.error()))) out.offer(stream_error_event(st.error()));
      };
      relay_stream(sink, *provider, chat, std::move(hooks));
    });
      },
      {.max_body_bytes = 16 * 1024 * 1024}, errors);
}

}  // namespace docent::api::native
