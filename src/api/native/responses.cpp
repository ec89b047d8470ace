// POST /v1/responses: OpenAI's Responses API with `input`, `instructions`, `stream` and the
// `file_search` tool over docent's vector stores. The answer's "[n]" citation markers become
// `file_citation` annotations (file_id, filename, index = the marker's code point offset in the
// text) with, beyond OpenAI, the cited passage's `page`. Responses are not stored
// (GET /v1/responses/{id} is not offered).

#include "api/native/errors.h"
#include "api/native/image_parts.h"
#include "api/native/models.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

struct ResponsesInput {
  services::GroundedRequest grounded;
  json::value instructions = nullptr;
  json::array tools;
  bool stream = false;
  bool include_results = false;
  bool images = false;  // input_image parts: answered by vision.url (or an upstream that sees)
  json::value temperature = 1.0, top_p = 1.0, max_output_tokens = nullptr;
  json::object metadata;
};

// An input item's content: a string, or parts of type input_text/output_text and input_image.
// Text alone becomes one string; with images, chat-completion parts (text and image_url), each
// image's URL checked as /v1/chat/completions checks it. Errors go to `r` under the name `at`.
json::value read_content(const json::value& content, const std::string& at, core::ObjectReader& r,
                         const core::Config& config, bool& images) {
  if (content.is_string()) return content.get_string();
  if (!content.is_array()) {
    r.invalid(at, "must be a string or an array of content parts");
    return {};
  }
  std::string text;
  json::array parts;
  bool with_images = false;
  size_t j = 0;
  for (const auto& part : content.get_array()) {
    const std::string part_at = at + "[" + std::to_string(j++) + "]";
    core::ObjectReader pr(part, part_at);
    std::string type, t;
    pr.required("type", type);
    if (pr.ok() && type == "input_image") {
      std::optional<std::string> url, file_id, detail;
      pr.optional("image_url", url).optional("file_id", file_id).optional("detail", detail);
      if (pr.ok() && !url) {
        pr.invalid("image_url",
                   file_id ? "is required (images by file_id are not supported: send a data: URL)" : "is required");
      }
      if (pr.ok() && detail && *detail != "auto" && *detail != "low" && *detail != "high") {
        pr.invalid("detail", "must be one of auto, low, high");
      }
      if (pr.ok()) {
        if (auto why = image_url_problem(*url, config)) pr.invalid("image_url", *why);
      }
      if (!r.merge(pr).ok()) return {};
      json::object image{{"url", *url}};
      if (detail) image["detail"] = *detail;
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
      with_images = images = true;
      continue;
    }
    if (pr.ok() && type != "input_text" && type != "output_text") {
      pr.invalid("type", "is not supported (input_text, output_text, input_image): " + type);
    }
    pr.required("text", t);
    if (!r.merge(pr).ok()) return {};
    if (!text.empty()) text.push_back('\n');
    text.append(t);
    parts.push_back(json::object{{"type", "text"}, {"text", std::move(t)}});
  }
  if (with_images) return parts;
  return json::value(std::move(text));
}

// One message of an "input" array: {"type": "message", "role", "content"}.
void read_input_item(const json::value& item, const std::string& at, core::ObjectReader& outer,
                     const core::Config& config, ResponsesInput& in) {
  core::ObjectReader r(item, at);
  std::optional<std::string> type;
  std::string role;
  json::value content;
  r.optional("type", type);
  if (r.ok() && type && *type != "message")
    r.invalid("type", "must be 'message' (other input items are not supported)");
  r.required("role", role);
  if (r.ok() && role != "user" && role != "assistant" && role != "system" && role != "developer") {
    r.invalid("role", "must be one of user, assistant, system, developer");
  }
  r.required("content", content);
  if (!outer.merge(r).ok()) return;
  json::value parts = read_content(content, at + ".content", outer, config, in.images);
  if (outer.ok()) in.grounded.messages.push_back(json::object{{"role", role}, {"content", std::move(parts)}});
}

// One entry of "tools": only file_search, over the caller's vector stores.
void read_tool(const json::value& tool, const std::string& at, core::ObjectReader& outer, ResponsesInput& in) {
  core::ObjectReader r(tool, at);
  std::string type;
  std::vector<std::string> ids;
  std::optional<int64_t> max_results;
  r.optional("type", type);
  if (r.ok() && type != "file_search") {
    outer.invalid("tools", "only the file_search tool is supported on /v1/responses");
    return;
  }
  r.required("vector_store_ids", ids).optional("max_num_results", max_results);
  if (r.ok() && max_results && (*max_results < 1 || *max_results > 50)) {
    r.invalid("max_num_results", "must be an integer from 1 to 50");
  }
  if (!outer.merge(r).ok()) return;
  if (max_results) in.grounded.max_results = *max_results;
  json::array id_values;
  for (const auto& id : ids) id_values.emplace_back(id);
  in.grounded.vector_store_ids.insert(in.grounded.vector_store_ids.end(), ids.begin(), ids.end());
  in.tools.push_back(json::object{{"type", "file_search"},
                                  {"vector_store_ids", std::move(id_values)},
                                  {"max_num_results", in.grounded.max_results},
                                  {"ranking_options", json::object{{"ranker", "auto"}, {"score_threshold", 0.0}}},
                                  {"filters", nullptr}});
}

// Type-checks the request body through one reader: a wrong type is a 400 naming the field.
core::Result<ResponsesInput> parse_request(const json::value& value, const core::Config& config) {
  core::ObjectReader r(value);
  ResponsesInput in;
  std::optional<std::string> instructions;
  json::value input;
  std::optional<json::array> tools;
  std::optional<double> temperature, top_p;
  std::optional<int64_t> max_output_tokens;
  std::vector<std::string> include;
  r.optional("model", in.grounded.model).optional("instructions", instructions).required("input", input);
  r.optional("stream", in.stream).optional("tools", tools).optional("temperature", temperature);
  r.optional("top_p", top_p).optional("max_output_tokens", max_output_tokens).optional("include", include);
  r.optional("metadata", in.metadata);
  if (!r.ok()) return r.error();

  json::array& messages = in.grounded.messages;
  if (instructions) {
    in.instructions = *instructions;
    messages.push_back(json::object{{"role", "system"}, {"content", *instructions}});
  }
  if (input.is_string()) {
    messages.push_back(json::object{{"role", "user"}, {"content", input.get_string()}});
  } else if (input.is_array()) {
    if (input.get_array().empty()) r.invalid("input", "must not be empty");
    for (size_t i = 0; r.ok() && i < input.get_array().size(); ++i) {
      read_input_item(input.get_array()[i], "input[" + std::to_string(i) + "]", r, config, in);
    }
  } else {
    r.invalid("input", "must be a string or an array of input items");
  }
  for (size_t i = 0; r.ok() && tools && i < tools->size(); ++i) {
    read_tool((*tools)[i], "tools[" + std::to_string(i) + "]", r, in);
  }
  if (r.ok() && temperature && (*temperature < 0 || *temperature > 2)) r.invalid("temperature", "is out of range");
  if (r.ok() && top_p && (*top_p < 0 || *top_p > 1)) r.invalid("top_p", "is out of range");
  if (r.ok() && max_output_tokens && *max_output_tokens < 1)
    r.invalid("max_output_tokens", "must be a positive integer");
  if (!r.ok()) return r.error();
  if (temperature) in.temperature = in.grounded.options["temperature"] = *temperature;
  if (top_p) in.top_p = in.grounded.options["top_p"] = *top_p;
  if (max_output_tokens) in.max_output_tokens = in.grounded.options["max_tokens"] = *max_output_tokens;
  in.include_results = std::find(include.begin(), include.end(), "file_search_call.results") != include.end();
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
  json::object call{{"id", s.search_id},
                    {"type", "file_search_call"},
                    {"status", status},
                    {"queries", json::array{json::value(s.prepared->query)}}};
  if (s.in->include_results && status == "completed") {
    json::array results;
    for (size_t i = 0; i < s.prepared->passages.size(); ++i) {
      const auto& p = s.prepared->passages[i];
      results.push_back(json::object{{"file_id", p.file_id},
                                     {"filename", p.file_name},
                                     {"text", p.text},
                                     {"score", s.prepared->scores[i]},
                                     {"attributes", json::object{{"page", p.page}}}});
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
    out.push_back(json::object{{"type", "file_citation"},
                               {"file_id", p.file_id},
                               {"filename", p.file_name},
                               {"index", static_cast<int64_t>(c.offset)},
                               {"page", p.page}});
  }
  return out;
}

json::object text_part(const std::string& text, json::array notes) {
  return json::object{{"type", "output_text"},
                      {"text", text},
                      {"annotations", std::move(notes)},
                      {"logprobs", json::array{}}};
}

json::object message_item(const Shape& s, std::string_view status, json::array content) {
  return json::object{{"id", s.message_id},
                      {"type", "message"},
                      {"role", "assistant"},
                      {"status", status},
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
      {"completed_at",
       status == "completed" || status == "incomplete" ? json::value(core::unix_seconds_now()) : json::value(nullptr)},
      {"error", nullptr},
      {"incomplete_details",
       incomplete ? json::value(json::object{{"reason", "max_output_tokens"}}) : json::value(nullptr)},
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

  router.add(
      Method::Post, "/v1/responses",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return render_error(req, body.error());
    auto parsed = parse_request(*body, *ctx.config);
    if (!parsed) return render_error(req, parsed.error());
    auto in = std::make_shared<ResponsesInput>(std::move(*parsed));
    // A question of the caller's plan, as on every face, decided before any stream starts.
    const services::Principal& p = principal(req);
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return render_error(req, st.error());
    // Images go to the vision model, or to the upstream the model routes to; never dropped.
    if (in->images && ctx.vision != nullptr) {
      in->grounded.route = services::ModelRoute{.provider = ctx.vision,
                                                .model = ctx.config->vision.model.empty() ? in->grounded.model
                                                                                          : ctx.config->vision.model,
                                                .upstream = "vision"};
    }
    auto prepared_r = ctx.answers->prepare(p, in->grounded, {});
    if (!prepared_r) return render_error(req, prepared_r.error());
    if (in->images && prepared_r->route.builtin) {
      return render_error(req, core::Error(core::Code::InvalidInput,
                                           "the input has input_image parts and the built-in engine cannot see "
                                           "images: set vision.url (or route the model to an upstream that takes "
                                           "images)",
                                           "input"));
    }
    auto prepared = std::make_shared<services::PreparedAnswer>(std::move(*prepared_r));
    auto shape = std::make_shared<Shape>(Shape{"resp_" + core::random_hex(16), "msg_" + core::random_hex(16),
                                               "fs_" + core::random_hex(16), core::unix_seconds_now(),
                                               prepared->route.model, in.get(), prepared.get()});

    if (!in->stream) {
      auto result = prepared->route.provider->chat(prepared->request, {});
      if (!result) return render_error(req, result.error());
      record_question(ctx, p);
      const bool cut = result->finish_reason == "length";
      json::array output = final_output(*shape, result->content);
      return Response::json(200, response_json(*shape, cut ? "incomplete" : "completed", std::move(output),
                                               result->content, result->usage, cut));
    }

    if (!prepared->route.builtin) prepared->request.body["stream_options"] = json::object{{"include_usage", true}};
    auto started = prepared->route.provider->stream(prepared->request, {});
    if (!started) return render_error(req, started.error());
    std::shared_ptr<engines::ChatStream> stream = std::move(*started);
    record_question(ctx, p);
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
      if (!emit("response.created", {{"response", response_json(s, "in_progress", {}, "", std::nullopt, false)}}))
        return;
      if (!emit("response.in_progress", {{"response", response_json(s, "in_progress", {}, "", std::nullopt, false)}}))
        return;
      if (searched) {
        emit("response.output_item.added", {{"output_index", 0}, {"item", search_call(s, "in_progress")}});
        emit("response.file_search_call.completed", {{"output_index", 0}, {"item_id", s.search_id}});
        emit("response.output_item.done", {{"output_index", 0}, {"item", search_call(s, "completed")}});
      }
      emit("response.output_item.added",
           {{"output_index", message_index}, {"item", message_item(s, "in_progress", json::array{})}});
      emit("response.content_part.added", {{"item_id", s.message_id},
                                           {"output_index", message_index},
                                           {"content_index", 0},
                                           {"part", text_part("", json::array{})}});
      std::string text;
      std::string finish = "stop";
      std::optional<engines::Usage> usage;
      const engines::CancelCheck cancel = [&sink] { return sink.cancelled(); };
      while (true) {
        auto chunk = stream->next(cancel);
        if (!chunk) {
          if (sink.cancelled()) return;
          core::log::warn("response stream failed", {{"request_id", request_id}, {"error", chunk.error().message}});
          emit("error",
               {{"code", core::code_name(chunk.error().code)}, {"message", chunk.error().message}, {"param", nullptr}});
          return;
        }
        if (!*chunk) break;
        const auto& c = **chunk;
        if (c.usage) usage = c.usage;
        if (c.finish_reason) finish = *c.finish_reason;
        if (c.content.empty()) continue;
        text += c.content;
        if (!emit("response.output_text.delta", {{"item_id", s.message_id},
                                                 {"output_index", message_index},
                                                 {"content_index", 0},
                                                 {"delta", c.content},
                                                 {"logprobs", json::array{}}})) {
          return;
        }
      }
      json::array notes = annotations(text, prepared->passages);
      for (size_t i = 0; i < notes.size(); ++i) {
        emit("response.output_text.annotation.added", {{"item_id", s.message_id},
                                                       {"output_index", message_index},
                                                       {"content_index", 0},
                                                       {"annotation_index", static_cast<int64_t>(i)},
                                                       {"annotation", notes[i]}});
      }
      emit("response.output_text.done", {{"item_id", s.message_id},
                                         {"output_index", message_index},
                                         {"content_index", 0},
                                         {"text", text},
                                         {"logprobs", json::array{}}});
      emit("response.content_part.done", {{"item_id", s.message_id},
                                          {"output_index", message_index},
                                          {"content_index", 0},
                                          {"part", text_part(text, notes)}});
      emit("response.output_item.done", {{"output_index", message_index},
                                         {"item", message_item(s, "completed", json::array{text_part(text, notes)})}});
      const bool cut = finish == "length";
      emit(cut ? "response.incomplete" : "response.completed",
           {{"response", response_json(s, cut ? "incomplete" : "completed", final_output(s, text), text, usage, cut)}});
    });
      },
      {.max_body_bytes = 16 * 1024 * 1024}, errors);
}

}  // namespace docent::api::native
