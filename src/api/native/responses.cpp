// POST /v1/responses: OpenAI's Responses API with `input`, `instructions`, `stream` and the
// `file_search` tool over docent's vector stores. The answer's "[n]" citation markers become
// `file_citation` annotations (file_id, filename, index = the marker's code point offset in the
// text) with, beyond OpenAI, the cited passage's `page`. Responses are not stored
// (GET /v1/responses/{id} is not offered).

#include "api/native/errors.h"
#include "api/native/models.h"
#include "core/id.h"
#include "core/log.h"
#include "core/time.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

core::Error invalid(std::string field, std::string why) {
  return core::Error(core::Code::InvalidInput, field + " " + why, field);
}

struct ResponsesInput {
  services::GroundedRequest grounded;
  json::value instructions = nullptr;
  json::array tools;
  bool stream = false;
  bool include_results = false;
  json::value temperature = 1.0, top_p = 1.0, max_output_tokens = nullptr;
  json::object metadata;
};

// An input item's content: a string, or parts of type input_text/output_text.
core::Result<std::string> content_text(const json::value& content, const std::string& at) {
  if (content.is_string()) return std::string(content.get_string());
  if (!content.is_array()) return invalid(at, "must be a string or an array of content parts");
  std::string text;
  size_t j = 0;
  for (const auto& part : content.get_array()) {
    const std::string pat = at + "[" + std::to_string(j++) + "]";
    if (!part.is_object()) return invalid(pat, "must be an object");
    const auto* type = part.get_object().if_contains("type");
    const auto* t = part.get_object().if_contains("text");
    if (!type || !type->is_string()) return invalid(pat + ".type", "must be a string");
    if (type->get_string() != "input_text" && type->get_string() != "output_text") {
      std::string why = "is not supported (input_text only): ";
      why.append(type->get_string());
      return invalid(pat + ".type", std::move(why));
    }
    if (!t || !t->is_string()) return invalid(pat + ".text", "must be a string");
    if (!text.empty()) text.push_back('\n');
    text.append(t->get_string());
  }
  return text;
}

core::Result<ResponsesInput> parse_request(const json::value& value) {
  if (!value.is_object()) return core::Error(core::Code::InvalidInput, "the request body must be a JSON object");
  const json::object& o = value.get_object();
  ResponsesInput in;
  if (const auto* m = o.if_contains("model"); m && !m->is_null()) {
    if (!m->is_string()) return invalid("model", "must be a string");
    in.grounded.model = std::string(m->get_string());
  }
  json::array& messages = in.grounded.messages;
  if (const auto* ins = o.if_contains("instructions"); ins && !ins->is_null()) {
    if (!ins->is_string()) return invalid("instructions", "must be a string");
    in.instructions = *ins;
    messages.push_back(json::object{{"role", "system"}, {"content", ins->get_string()}});
  }
  const auto* input = o.if_contains("input");
  if (!input || input->is_null()) return core::Error(core::Code::MissingField, "input is required", "input");
  if (input->is_string()) {
    messages.push_back(json::object{{"role", "user"}, {"content", input->get_string()}});
  } else if (input->is_array()) {
    size_t i = 0;
    for (const auto& item : input->get_array()) {
      const std::string at = "input[" + std::to_string(i++) + "]";
      if (!item.is_object()) return invalid(at, "must be an object");
      const auto& io = item.get_object();
      if (const auto* type = io.if_contains("type"); type && !(type->is_string() && type->get_string() == "message")) {
        return invalid(at + ".type", "must be 'message' (other input items are not supported)");
      }
      const auto* role = io.if_contains("role");
      if (!role || !role->is_string() ||
          (role->get_string() != "user" && role->get_string() != "assistant" && role->get_string() != "system" &&
           role->get_string() != "developer")) {
        return invalid(at + ".role", "must be one of user, assistant, system, developer");
      }
      const auto* content = io.if_contains("content");
      if (!content) return core::Error(core::Code::MissingField, at + ".content is required", at + ".content");
      auto text = content_text(*content, at + ".content");
      if (!text) return text.error();
      messages.push_back(json::object{{"role", role->get_string()}, {"content", *text}});
    }
    if (input->get_array().empty()) return invalid("input", "must not be empty");
  } else {
    return invalid("input", "must be a string or an array of input items");
  }
  if (const auto* s = o.if_contains("stream"); s && !s->is_null()) {
    if (!s->is_bool()) return invalid("stream", "must be a boolean");
    in.stream = s->get_bool();
  }
  if (const auto* tools = o.if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return invalid("tools", "must be an array");
    size_t i = 0;
    for (const auto& t : tools->get_array()) {
      const std::string at = "tools[" + std::to_string(i++) + "]";
      if (!t.is_object()) return invalid(at, "must be an object");
      const auto& to = t.get_object();
      const auto* type = to.if_contains("type");
      if (!type || !type->is_string() || type->get_string() != "file_search") {
        return invalid("tools", "only the file_search tool is supported on /v1/responses");
      }
      const auto* ids = to.if_contains("vector_store_ids");
      if (!ids || !ids->is_array()) return invalid(at + ".vector_store_ids", "must be an array of strings");
      for (const auto& id : ids->get_array()) {
        if (!id.is_string()) return invalid(at + ".vector_store_ids", "must be an array of strings");
        in.grounded.vector_store_ids.emplace_back(id.get_string());
      }
      if (const auto* n = to.if_contains("max_num_results"); n && !n->is_null()) {
        if (!n->is_int64() || n->get_int64() < 1 || n->get_int64() > 50) {
          return invalid(at + ".max_num_results", "must be an integer from 1 to 50");
        }
        in.grounded.max_results = n->get_int64();
      }
      in.tools.push_back(json::object{{"type", "file_search"}, {"vector_store_ids", *ids},
                                      {"max_num_results", in.grounded.max_results},
                                      {"ranking_options", json::object{{"ranker", "auto"}, {"score_threshold", 0.0}}},
                                      {"filters", nullptr}});
    }
  }
  auto number = [&](const char* key, json::value& out, double lo, double hi) -> core::Status {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return {};
    if (!v->is_number()) return invalid(key, "must be a number");
    double d = v->to_number<double>();
    if (d < lo || d > hi) return invalid(key, "is out of range");
    out = *v;
    in.grounded.options[key] = *v;
    return {};
  };
  if (auto st = number("temperature", in.temperature, 0, 2); !st) return st.error();
  if (auto st = number("top_p", in.top_p, 0, 1); !st) return st.error();
  if (const auto* m = o.if_contains("max_output_tokens"); m && !m->is_null()) {
    if (!m->is_int64() || m->get_int64() < 1) return invalid("max_output_tokens", "must be a positive integer");
    in.max_output_tokens = *m;
    in.grounded.options["max_tokens"] = *m;
  }
  if (const auto* inc = o.if_contains("include"); inc && !inc->is_null()) {
    if (!inc->is_array()) return invalid("include", "must be an array of strings");
    for (const auto& x : inc->get_array()) {
      if (!x.is_string()) return invalid("include", "must be an array of strings");
      if (x.get_string() == "file_search_call.results") in.include_results = true;
    }
  }
  if (const auto* md = o.if_contains("metadata"); md && !md->is_null()) {
    if (!md->is_object()) return invalid("metadata", "must be an object");
    in.metadata = md->get_object();
  }
  return in;
}

// Everything the response object needs besides the answer.
struct Shape {
  std::string id, message_id, search_id;
  int64_t created = 0;
  std::string model;
  const ResponsesInput* in = nullptr;
  const services::PreparedAnswer* prepared = nullptr;
};

json::object search_call(const Shape& s, std::string_view status) {
  json::object call{{"id", s.search_id}, {"type", "file_search_call"}, {"status", status},
                    {"queries", json::array{json::value(s.prepared->query)}}};
  if (s.in->include_results && status == "completed") {
    json::array results;
    for (size_t i = 0; i < s.prepared->passages.size(); ++i) {
      const auto& p = s.prepared->passages[i];
      results.push_back(json::object{{"file_id", p.file_id}, {"filename", p.file_name}, {"text", p.text},
                                     {"score", s.prepared->scores[i]}, {"attributes", json::object{{"page", p.page}}}});
    }
    call["results"] = std::move(results);
  } else {
    call["results"] = nullptr;
  }
  return call;
}

json::array annotations(const std::string& text, const std::vector<engines::Passage>& passages) {
  json::array out;
  for (const auto& c : services::find_citations(text, passages.size())) {
    const auto& p = passages[static_cast<size_t>(c.number - 1)];
    out.push_back(json::object{{"type", "file_citation"}, {"file_id", p.file_id}, {"filename", p.file_name},
                               {"index", static_cast<int64_t>(c.offset)}, {"page", p.page}});
  }
  return out;
}

json::object text_part(const std::string& text, json::array notes) {
  return json::object{{"type", "output_text"}, {"text", text}, {"annotations", std::move(notes)},
                      {"logprobs", json::array{}}};
}

json::object message_item(const Shape& s, std::string_view status, json::array content) {
  return json::object{{"id", s.message_id}, {"type", "message"}, {"role", "assistant"}, {"status", status},
                      {"content", std::move(content)}};
}

json::object usage_json(const engines::Usage& u) {
  return json::object{{"input_tokens", u.prompt_tokens},
                      {"input_tokens_details", json::object{{"cached_tokens", 0}, {"cache_write_tokens", 0}}},
                      {"output_tokens", u.completion_tokens},
                      {"output_tokens_details", json::object{{"reasoning_tokens", 0}}},
                      {"total_tokens", u.total_tokens}};
}

json::object response_json(const Shape& s, std::string_view status, json::array output, std::string output_text,
                           std::optional<engines::Usage> usage, bool incomplete) {
  return json::object{
      {"id", s.id},
      {"object", "response"},
      {"created_at", s.created},
      {"status", status},
      {"completed_at", status == "completed" || status == "incomplete" ? json::value(core::unix_seconds_now())
                                                                       : json::value(nullptr)},
      {"error", nullptr},
      {"incomplete_details", incomplete ? json::value(json::object{{"reason", "max_output_tokens"}}) : json::value(nullptr)},
      {"instructions", s.in->instructions},
      {"max_output_tokens", s.in->max_output_tokens},
      {"model", s.model},
      {"output", std::move(output)},
      {"output_text", std::move(output_text)},
      {"parallel_tool_calls", true},
      {"previous_response_id", nullptr},
      {"reasoning", nullptr},
      {"store", false},
      {"temperature", s.in->temperature},
      {"text", json::object{{"format", json::object{{"type", "text"}}}}},
      {"tool_choice", "auto"},
      {"tools", s.in->tools},
      {"top_p", s.in->top_p},
      {"truncation", "disabled"},
      {"usage", usage ? json::value(usage_json(*usage)) : json::value(nullptr)},
      {"metadata", s.in->metadata},
  };
}

// The output items of a finished answer.
json::array final_output(const Shape& s, const std::string& text) {
  json::array output;
  if (!s.in->grounded.vector_store_ids.empty()) output.push_back(search_call(s, "completed"));
  output.push_back(message_item(s, "completed", json::array{text_part(text, annotations(text, s.prepared->passages))}));
  return output;
}

}  // namespace

void register_response_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(Method::Post, "/v1/responses", [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return render_error(req, body.error());
    auto parsed = parse_request(*body);
    if (!parsed) return render_error(req, parsed.error());
    auto in = std::make_shared<ResponsesInput>(std::move(*parsed));
    auto prepared_r = ctx.answers->prepare(principal(req), in->grounded, {});
    if (!prepared_r) return render_error(req, prepared_r.error());
    auto prepared = std::make_shared<services::PreparedAnswer>(std::move(*prepared_r));
    auto shape = std::make_shared<Shape>(Shape{"resp_" + core::random_hex(16), "msg_" + core::random_hex(16),
                                               "fs_" + core::random_hex(16), core::unix_seconds_now(),
                                               prepared->route.model, in.get(), prepared.get()});

    if (!in->stream) {
      auto result = prepared->route.provider->chat(prepared->request, {});
      if (!result) return render_error(req, result.error());
      const bool cut = result->finish_reason == "length";
      json::array output = final_output(*shape, result->content);
      return Response::json(200, response_json(*shape, cut ? "incomplete" : "completed", std::move(output),
                                               result->content, result->usage, cut));
    }

    if (!prepared->route.builtin) prepared->request.body["stream_options"] = json::object{{"include_usage", true}};
    auto started = prepared->route.provider->stream(prepared->request, {});
    if (!started) return render_error(req, started.error());
    std::shared_ptr<engines::ChatStream> stream = std::move(*started);
    std::string request_id = req.request_id;
    return Response::stream([stream, in, prepared, shape, request_id](http::SseSink& sink) {
      int64_t seq = 0;
      auto emit = [&](std::string_view type, json::object o) {
        o["type"] = type;
        o["sequence_number"] = seq++;
        return sink.send(json::serialize(o), type);
      };
      const Shape& s = *shape;
      const bool searched = !in->grounded.vector_store_ids.empty();
      const int64_t message_index = searched ? 1 : 0;
      if (!emit("response.created", {{"response", response_json(s, "in_progress", {}, "", std::nullopt, false)}})) return;
      if (!emit("response.in_progress", {{"response", response_json(s, "in_progress", {}, "", std::nullopt, false)}})) return;
      if (searched) {
        emit("response.output_item.added", {{"output_index", 0}, {"item", search_call(s, "in_progress")}});
        emit("response.file_search_call.completed", {{"output_index", 0}, {"item_id", s.search_id}});
        emit("response.output_item.done", {{"output_index", 0}, {"item", search_call(s, "completed")}});
      }
      emit("response.output_item.added",
           {{"output_index", message_index}, {"item", message_item(s, "in_progress", json::array{})}});
      emit("response.content_part.added", {{"item_id", s.message_id}, {"output_index", message_index},
                                           {"content_index", 0}, {"part", text_part("", json::array{})}});
      std::string text;
      std::string finish = "stop";
      std::optional<engines::Usage> usage;
      const engines::CancelCheck cancel = [&sink] { return sink.cancelled(); };
      while (true) {
        auto chunk = stream->next(cancel);
        if (!chunk) {
          if (sink.cancelled()) return;
          core::log::warn("response stream failed", {{"request_id", request_id}, {"error", chunk.error().message}});
          emit("error", {{"code", core::code_name(chunk.error().code)}, {"message", chunk.error().message},
                         {"param", nullptr}});
          return;
        }
        if (!*chunk) break;
        const auto& c = **chunk;
        if (c.usage) usage = c.usage;
        if (c.finish_reason) finish = *c.finish_reason;
        if (c.content.empty()) continue;
        text += c.content;
        if (!emit("response.output_text.delta", {{"item_id", s.message_id}, {"output_index", message_index},
                                                 {"content_index", 0}, {"delta", c.content},
                                                 {"logprobs", json::array{}}})) {
          return;
        }
      }
      json::array notes = annotations(text, prepared->passages);
      for (size_t i = 0; i < notes.size(); ++i) {
        emit("response.output_text.annotation.added",
             {{"item_id", s.message_id}, {"output_index", message_index}, {"content_index", 0},
              {"annotation_index", static_cast<int64_t>(i)}, {"annotation", notes[i]}});
      }
      emit("response.output_text.done", {{"item_id", s.message_id}, {"output_index", message_index},
                                         {"content_index", 0}, {"text", text}, {"logprobs", json::array{}}});
      emit("response.content_part.done", {{"item_id", s.message_id}, {"output_index", message_index},
                                          {"content_index", 0}, {"part", text_part(text, notes)}});
      emit("response.output_item.done",
           {{"output_index", message_index}, {"item", message_item(s, "completed", json::array{text_part(text, notes)})}});
      const bool cut = finish == "length";
      emit(cut ? "response.incomplete" : "response.completed",
           {{"response", response_json(s, cut ? "incomplete" : "completed", final_output(s, text), text, usage, cut)}});
    });
  }, {.max_body_bytes = 16 * 1024 * 1024}, errors);
}

}  // namespace docent::api::native
