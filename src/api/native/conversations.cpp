#include "api/native/conversations.h"

#include "api/native/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object conversation_json(const services::Conversation& c) {
  return json::object{{"id", c.id},
                      {"object", "conversation"},
                      {"title", c.title},
                      {"file_ids", strings(c.file_ids)},
                      {"folder_ids", strings(c.folder_ids)},
                      {"message_count", c.total_messages},
                      {"last_message", c.last_message},
                      {"created_at", c.created_at},
                      {"updated_at", c.updated_at}};
}

json::object message_json(const services::Message& m) {
  json::array citations;
  for (const auto& c : m.citations) {
    citations.push_back(json::object{{"number", c.number},
                                     {"file_id", c.file_id},
                                     {"file_name", c.file_name},
                                     {"page", c.page},
                                     {"snippet", c.snippet},
                                     {"score", c.score}});
  }
  json::object o{{"id", m.id},
                 {"object", "conversation.message"},
                 {"conversation_id", m.conversation_id},
                 {"role", m.role},
                 {"content", m.content},
                 {"citations", std::move(citations)},
                 {"status", m.status},
                 {"created_at", m.created_at}};
  if (m.role == "assistant") {
    o["model"] = m.model;
    o["usage"] = json::object{{"prompt_tokens", m.usage.prompt_tokens},
                              {"completion_tokens", m.usage.completion_tokens},
                              {"total_tokens", m.usage.total_tokens},
                              {"estimated", m.usage.estimated}};
  }
  return o;
}

json::object list_json(json::array data, int64_t total, int64_t offset) {
  const bool more = offset + static_cast<int64_t>(data.size()) < total;
  return json::object{{"object", "list"}, {"data", std::move(data)}, {"total", total}, {"has_more", more}};
}

}  // namespace

void register_conversation_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/conversations",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    services::NewConversation in;
    r.optional("title", in.title).optional("file_ids", in.file_ids).optional("folder_ids", in.folder_ids);
    if (!r.ok()) return error(req, r.error());
    auto c = ctx.conversations->create(principal(req), in);
    if (!c) return error(req, c.error());
    return Response::json(201, conversation_json(*c));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/conversations",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 20, 1, 100);
    if (!limit) return error(req, limit.error());
    auto offset = int_query(req, "offset", 0, 0, 100000000);
    if (!offset) return error(req, offset.error());
    auto page = ctx.conversations->list(principal(req), *limit, *offset);
    if (!page) return error(req, page.error());
    json::array data;
    for (const auto& c : page->items) data.push_back(conversation_json(c));
    return Response::json(200, list_json(std::move(data), page->total, *offset));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/conversations/{conversation_id}",
      [ctx](Request& req) {
    auto c = ctx.conversations->get(principal(req), req.param("conversation_id"));
    if (!c) return error(req, c.error());
    return Response::json(200, conversation_json(*c));
      },
      {}, errors);

  router.add(
      Method::Patch, "/v1/conversations/{conversation_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string title;
    r.required("title", title);
    if (!r.ok()) return error(req, r.error());
    auto c = ctx.conversations->rename(principal(req), req.param("conversation_id"), title);
    if (!c) return error(req, c.error());
    return Response::json(200, conversation_json(*c));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/conversations/{conversation_id}",
      [ctx](Request& req) {
    const std::string id(req.param("conversation_id"));
    auto st = ctx.conversations->remove(principal(req), id);
    if (!st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "conversation.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/conversations/{conversation_id}/messages",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 50, 1, 500);
    if (!limit) return error(req, limit.error());
    auto offset = int_query(req, "offset", 0, 0, 100000000);
    if (!offset) return error(req, offset.error());
    auto page = ctx.chat->messages(principal(req), req.param("conversation_id"), *limit, *offset);
    if (!page) return error(req, page.error());
    json::array data;
    for (const auto& m : page->items) data.push_back(message_json(m));
    return Response::json(200, list_json(std::move(data), page->total, *offset));
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/conversations/{conversation_id}/messages",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    services::AskInput in;
    bool stream = true;
    r.optional("content", in.question)
        .optional("model", in.model)
        .optional("stream", stream)
        .optional("regenerate", in.regenerate);
    if (!r.ok()) return error(req, r.error());
    if (!in.regenerate && in.question.find_first_not_of(" \t\r\n") == std::string::npos) {
      return error(req, core::Error(core::Code::MissingField, "content is required", "content"));
    }
    const services::Principal p = principal(req);
    auto c = ctx.conversations->get(p, req.param("conversation_id"));  // a 404 before any stream
    if (!c) return error(req, c.error());
    in.conversation_id = c->id;
    // The plan is decided before any stream starts: out of questions is a 429, never a 200 stream.
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
    if (!stream) {
      auto answer = ctx.chat->ask(p, in, [](std::string_view) { return true; }, {});
      if (!answer) return error(req, answer.error());
      return Response::json(200, json::object{{"question", message_json(answer->question)},
                                              {"answer", message_json(answer->answer)}});
    }
    return Response::stream_on_first_event([ctx, p, in](http::SseSink& sink) {
      auto answer = ctx.chat->ask(
          p, in,
          [&](std::string_view d) {  // on the provider's thread: never blocks
        return sink.offer(json::serialize(json::object{{"content", d}}), "delta") != http::SseSink::Offered::Closed;
          },
          [&] { return sink.cancelled(); });
      if (!answer) {
        if (sink.reject(render_error(Request(), answer.error()))) return;  // failed before its first piece
        sink.send(json::serialize(
                      json::object{{"error", json::object{{"message", answer.error().message},
                                                          {"code", core::code_name(answer.error().code)}}}}),
                  "error");
        return;
      }
      sink.send(json::serialize(message_json(answer->answer)), "done");
    });
      },
      {}, errors);
}

}  // namespace docent::api::native
