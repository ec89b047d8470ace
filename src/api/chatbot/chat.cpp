#include "api/chatbot/chat.h"

#include "api/chatbot/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::chatbot {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::array citations_json(const std::vector<services::MessageCitation>& citations) {
  json::array a;
  for (const auto& c : citations) {
    a.push_back(json::object{{"number", c.number},
                             {"file_id", c.file_id},
                             {"file_name", c.file_name},
                             {"page", c.page},
                             {"snippet", c.snippet}});
  }
  return a;
}

struct Turn {
  std::string message;
  std::string model;
  bool stream = false;
  std::vector<std::string> attachments;
};

// Attachments are file ids, or objects naming one in "file_id" or "id".
core::Status read_attachments(const json::object& body, std::vector<std::string>& out) {
  const auto* a = body.if_contains("attachments");
  if (!a || a->is_null()) return {};
  if (!a->is_array())
    return core::Error(core::Code::InvalidInput, "attachments must be an array of file ids", "attachments");
  for (const auto& item : a->get_array()) {
    const json::value* id = &item;
    if (item.is_object()) {
      id = item.get_object().if_contains("file_id");
      if (!id) id = item.get_object().if_contains("id");
    }
    if (!id || !id->is_string() || id->get_string().empty()) {
      return core::Error(core::Code::InvalidInput, "each attachment must be a file id", "attachments");
    }
    out.emplace_back(id->get_string());
  }
  return {};
}

core::Result<Turn> read_turn(const Request& req, const Context& ctx, bool with_attachments) {
  auto body = json_body(req, *ctx.config);
  if (!body) return body.error();
  core::ObjectReader r(*body);
  Turn t;
  r.required("message", t.message).optional("model", t.model).optional("stream", t.stream);
  if (!r.ok()) return r.error();
  if (t.message.find_first_not_of(" \t\r\n") == std::string::npos) {
    return core::Error(core::Code::MissingField, "message must not be empty", "message");
  }
  if (with_attachments) {
    if (auto st = read_attachments(body->as_object(), t.attachments); !st) return st.error();
  }
  return t;
}

Response answer_turn(const Context& ctx, Request& req, const std::string& chat_id, const Turn& t) {
  const services::Principal p = principal(req);
  services::AskInput in{.conversation_id = chat_id, .question = t.message, .model = t.model};
  if (!t.stream) {
    auto answer = ask_preferring_model(ctx, p, in, [](std::string_view) { return true; }, {});
    if (!answer) return error(req, answer.error());
    const auto& a = answer->answer;
    return Response::json(200, json::object{{"id", chat_id},
                                            {"message", a.content},
                                            {"model", a.model},
                                            {"usage", json::object{{"prompt_tokens", a.usage.prompt_tokens},
                                                                   {"completion_tokens", a.usage.completion_tokens},
                                                                   {"total_tokens", a.usage.total_tokens}}},
                                            {"created_at", a.created_at},
                                            {"citations", citations_json(a.citations)}});
  }
  // The plan is decided before the stream starts: out of questions is a 429, never a 200 stream;
  // an answer that fails before its first piece is still a JSON error.
  if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
  return Response::stream_on_first_event([ctx, p, in](http::SseSink& sink) {
    auto answer = ask_preferring_model(
        ctx, p, in,
        [&](std::string_view piece) {
      return sink.offer(json::serialize(json::object{{"type", "text"}, {"content", piece}})) !=
             http::SseSink::Offered::Closed;  // on the provider's thread: never blocks
        },
        [&] { return sink.cancelled(); });
    if (!answer) {
      if (sink.reject(render_error(Request(), answer.error()))) return;
      sink.send(json::serialize(json::object{{"type", "error"},
                                             {"error", answer.error().message},
                                             {"code", error_code(answer.error().code)}}));
      return;
    }
    sink.send(json::serialize(json::object{{"type", "done"},
                                           {"chat_id", in.conversation_id},
                                           {"message_id", answer->answer.id},
                                           {"citations", citations_json(answer->answer.citations)}}));
  });
}

}  // namespace

void register_chat_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/chat",
      [ctx](Request& req) {
    auto t = read_turn(req, ctx, true);
    if (!t) return error(req, t.error());
    auto c = ctx.conversations->create(principal(req), services::NewConversation{.file_ids = t->attachments});
    if (!c) return error(req, c.error());
    return answer_turn(ctx, req, c->id, *t);
      },
      {}, errors);

  router.add(
      Method::Post, "/api/chat/{chat_id}/messages",
      [ctx](Request& req) {
    auto t = read_turn(req, ctx, false);
    if (!t) return error(req, t.error());
    auto c = ctx.conversations->get(principal(req), req.param("chat_id"));  // a 404 before any stream
    if (!c) return error(req, c.error());
    return answer_turn(ctx, req, c->id, *t);
      },
      {}, errors);

  router.add(
      Method::Get, "/api/chat/{chat_id}/history",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto c = ctx.conversations->get(p, req.param("chat_id"));
    if (!c) return error(req, c.error());
    auto page = ctx.chat->messages(p, c->id, 1000, 0);
    if (!page) return error(req, page.error());
    json::array messages;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {
      json::object m{{"id", it->id}, {"role", it->role}, {"content", it->content}, {"timestamp", it->created_at}};
      if (it->role == "assistant") m["citations"] = citations_json(it->citations);
      messages.push_back(std::move(m));
    }
    return Response::json(200, json::object{{"chat_id", c->id},
                                            {"messages", std::move(messages)},
                                            {"created_at", c->created_at},
                                            {"updated_at", c->updated_at}});
      },
      {}, errors);
}

}  // namespace docent::api::chatbot
