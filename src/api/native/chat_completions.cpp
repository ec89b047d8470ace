// POST /v1/chat/completions: the request is type-checked here (a wrong type is a 400 naming the
// field), routed by model name, and answered as a chat.completion object or a stream of
// chat.completion.chunk events ending in "data: [DONE]". Upstream answers pass through as the
// upstream wrote them; the built-in engine's are shaped here.

#include "api/native/errors.h"
#include "api/native/models.h"
#include "api/stream_relay.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <set>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

core::Error invalid(std::string field, std::string why) {
  return core::Error(core::Code::InvalidInput, field + " " + why, field);
}

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

// Checks that an optional member is a number within [lo, hi].
core::Status number_in(const json::object& o, const char* key, double lo, double hi) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!is_number(*v)) return invalid(key, "must be a number");
  double d = v->to_number<double>();
  if (d < lo || d > hi) return invalid(key, "must be from " + json::serialize(json::value(lo)) + " to " +
                                                json::serialize(json::value(hi)));
  return {};
}

core::Status integer_min(const json::object& o, const char* key, int64_t lo) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!v->is_int64() && !v->is_uint64()) return invalid(key, "must be an integer");
  if (v->is_int64() && v->get_int64() < lo) return invalid(key, "must be at least " + std::to_string(lo));
  return {};
}

core::Status of_kind(const json::object& o, const char* key, bool (json::value::*test)() const noexcept,
                     const char* what) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return {};
  if (!((*v).*test)()) return invalid(key, std::string("must be ") + what);
  return {};
}

struct ChatInput {
  std::string model;
  bool stream = false;
  bool include_usage = false;
  json::object body;
};

// Type-checks the request body (CreateChatCompletionRequest). Unknown members are passed on.
core::Result<ChatInput> parse_chat_request(json::value& value) {
  if (!value.is_object()) return core::Error(core::Code::InvalidInput, "the request body must be a JSON object");
  json::object& o = value.get_object();
  ChatInput in;
  if (const auto* m = o.if_contains("model"); m && !m->is_null()) {
    if (!m->is_string()) return invalid("model", "must be a string");
    in.model = std::string(m->get_string());
  }
  const auto* msgs = o.if_contains("messages");
  if (!msgs || msgs->is_null()) return core::Error(core::Code::MissingField, "messages is required", "messages");
  if (!msgs->is_array()) return invalid("messages", "must be an array");
  if (msgs->get_array().empty()) return invalid("messages", "must contain at least one message");
  static const std::set<std::string, std::less<>> roles = {"system", "developer", "user", "assistant", "tool",
                                                            "function"};
  size_t i = 0;
  for (const auto& m : msgs->get_array()) {
    const std::string at = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object()) return invalid(at, "must be an object");
    const auto& mo = m.get_object();
    const auto* role = mo.if_contains("role");
    if (!role) return core::Error(core::Code::MissingField, at + ".role is required", at + ".role");
    if (!role->is_string() || !roles.count(role->get_string())) {
      return invalid(at + ".role", "must be one of system, developer, user, assistant, tool");
    }
    const auto* content = mo.if_contains("content");
    const bool may_omit = role->get_string() == "assistant";
    if (!content || content->is_null()) {
      if (!may_omit) return core::Error(core::Code::MissingField, at + ".content is required", at + ".content");
    } else if (content->is_array()) {
      size_t j = 0;
      for (const auto& part : content->get_array()) {
        const std::string pat = at + ".content[" + std::to_string(j++) + "]";
        if (!part.is_object()) return invalid(pat, "must be an object");
        const auto* type = part.get_object().if_contains("type");
        if (!type || !type->is_string()) return invalid(pat + ".type", "must be a string");
      }
    } else if (!content->is_string()) {
      return invalid(at + ".content", "must be a string or an array of content parts");
    }
  }
  if (auto st = number_in(o, "temperature", 0, 2); !st) return st.error();
  if (auto st = number_in(o, "top_p", 0, 1); !st) return st.error();
  if (auto st = number_in(o, "presence_penalty", -2, 2); !st) return st.error();
  if (auto st = number_in(o, "frequency_penalty", -2, 2); !st) return st.error();
  if (auto st = integer_min(o, "max_tokens", 1); !st) return st.error();
  if (auto st = integer_min(o, "max_completion_tokens", 1); !st) return st.error();
  if (auto st = integer_min(o, "seed", INT64_MIN); !st) return st.error();
  if (auto st = integer_min(o, "top_logprobs", 0); !st) return st.error();
  if (auto st = of_kind(o, "stream", &json::value::is_bool, "a boolean"); !st) return st.error();
  if (auto st = of_kind(o, "logprobs", &json::value::is_bool, "a boolean"); !st) return st.error();
  if (auto st = of_kind(o, "tools", &json::value::is_array, "an array"); !st) return st.error();
  if (auto st = of_kind(o, "response_format", &json::value::is_object, "an object"); !st) return st.error();
  if (auto st = of_kind(o, "stream_options", &json::value::is_object, "an object"); !st) return st.error();
  if (auto st = of_kind(o, "user", &json::value::is_string, "a string"); !st) return st.error();
  if (const auto* n = o.if_contains("n"); n && !n->is_null()) {
    if (!n->is_int64() && !n->is_uint64()) return invalid("n", "must be an integer");
    if (!(n->is_int64() && n->get_int64() == 1)) return invalid("n", "must be 1 (one choice per request is supported)");
  }
  if (const auto* s = o.if_contains("stop"); s && !s->is_null()) {
    if (s->is_array()) {
      if (s->get_array().size() > 4) return invalid("stop", "may hold at most 4 sequences");
      for (const auto& x : s->get_array()) {
        if (!x.is_string()) return invalid("stop", "must be a string or an array of strings");
      }
    } else if (!s->is_string()) {
      return invalid("stop", "must be a string or an array of strings");
    }
  }
  if (const auto* rf = o.if_contains("response_format"); rf && rf->is_object()) {
    const auto* type = rf->get_object().if_contains("type");
    if (!type || !type->is_string()) return invalid("response_format.type", "must be a string");
  }
  if (const auto* tc = o.if_contains("tool_choice"); tc && !tc->is_null() && !tc->is_string() && !tc->is_object()) {
    return invalid("tool_choice", "must be a string or an object");
  }
  if (const auto* so = o.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && !iu->is_null()) {
      if (!iu->is_bool()) return invalid("stream_options.include_usage", "must be a boolean");
      in.include_usage = iu->get_bool();
    }
  }
  if (const auto* s = o.if_contains("stream"); s && s->is_bool()) in.stream = s->get_bool();
  if (!in.stream && o.contains("stream_options") && !o.at("stream_options").is_null()) {
    return invalid("stream_options", "is only allowed when stream is true");
  }
  in.body = std::move(o);
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
      {"choices", json::array{json::object{{"index", 0}, {"message", std::move(message)}, {"logprobs", nullptr},
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
    json::object o{{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model},
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
    o["choices"] = json::array{json::object{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                            {"finish_reason", c.finish_reason ? json::value(*c.finish_reason)
                                                                              : json::value(nullptr)}}};
    if (include_usage) o["usage"] = nullptr;
    return o;
  }
};

// An error after the stream was committed: sent as one event in OpenAI's error shape.
std::string stream_error_event(const core::Error& e) {
  return json::serialize(json::object{{"error", json::object{{"message", e.message},
                                                              {"type", e.status() >= 500 ? "server_error"
                                                                                         : "invalid_request_error"},
                                                              {"param", nullptr},
                                                              {"code", core::code_name(e.code)}}}});
}

}  // namespace

void register_chat_completion_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(Method::Post, "/v1/chat/completions", [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return render_error(req, body.error());
    auto in = parse_chat_request(*body);
    if (!in) return render_error(req, in.error());
    auto route = ctx.models->route_chat(in->model, {});
    if (!route) return render_error(req, route.error());

    engines::ChatRequest chat;
    chat.model = route->model;
    chat.body = std::move(in->body);
    const std::string id = "chatcmpl-" + core::random_hex(12);
    const int64_t created = core::unix_seconds_now();

    if (!in->stream) {
      auto result = route->provider->chat(chat, {});
      if (!result) return render_error(req, result.error());
      if (!result->raw.empty()) return Response::json(200, result->raw);
      return Response::json(200, completion_json(id, created, route->model, *result));
    }

    // The response head waits for the first chunk, so that an upstream that fails before
    // answering is still a JSON error. The producer only starts the stream: chunks then arrive
    // on the provider's reactor thread (an upstream) and are relayed from there, so a stream
    // holds no thread of its own while the model writes, and waiting for a slow model's first
    // token holds no request worker.
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
  }, {.max_body_bytes = 16 * 1024 * 1024}, errors);
}

}  // namespace docent::api::native
