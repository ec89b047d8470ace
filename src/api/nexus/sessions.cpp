#include "api/nexus/sessions.h"

#include "api/nexus/errors.h"
#include "core/json.h"
#include "core/text.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::api::nexus {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr size_t kMaxMessageChars = 5000;

// Errors of these routes: a missing conversation is the seed's SESSION_NOT_FOUND.
Response error(const Request& req, const core::Error& e) {
  Response res = render_error(req, e);
  if (e.code != core::Code::NotFound) return res;
  boost::system::error_code ec;
  json::value body = json::parse(res.body, ec);
  if (ec || !body.is_object()) return res;
  body.as_object()["error_code"] = "SESSION_NOT_FOUND";
  body.as_object()["error"] = "Session not found";
  res.body = json::serialize(body);
  return res;
}

// The body may be empty (the seed's examples send none, or {}).
core::Result<json::value> optional_body(const Request& req, const core::Config& config) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::value(json::object());
  return json_body(req, config);
}

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

Response process_text(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  core::ObjectReader r(*body);
  std::string message;
  std::optional<std::string> session_id;
  r.optional("message", message).optional("session_id", session_id);
  if (!r.ok()) return error(req, r.error());
  if (message.find_first_not_of(" \t\r\n") == std::string::npos) {
    return error(req, core::Error(core::Code::MissingField, "Message is required", "message"));
  }
  if (core::utf8_length(message) > kMaxMessageChars) {
    core::Error e(core::Code::InvalidInput, "Message must be at most 5000 characters", "message");
    e.details["reason"] = "Message is longer than 5000 characters";
    return error(req, e);
  }
  const services::Principal p = principal(req);
  // The plan is decided before the stream starts: out of questions is a 429, never a 200 stream.
  if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
  std::string id;
  if (session_id && !session_id->empty()) {
    auto c = ctx.conversations->get(p, *session_id);  // a 404 before any stream
    if (!c) return error(req, c.error());
    id = c->id;
  } else {  // no session named: the answer starts one, so it can be continued
    auto c = ctx.conversations->create(p, services::NewConversation{.title = "New Chat"});
    if (!c) return error(req, c.error());
    id = c->id;
  }
  services::AskInput in{.conversation_id = id, .question = message};
  return Response::stream_on_first_event([ctx, p, in](http::SseSink& sink) {
    // The seed streams word by word: each event is one word with the whitespace after it, however
    // the model's pieces fall (a word split across two pieces is sent once it is whole).
    std::string pending;
    auto send_word = [&](std::string_view word) {
      return sink.offer(json::serialize(json::object{{"word", word}, {"complete", false}})) !=
             http::SseSink::Offered::Closed;  // on the provider's thread: never blocks
    };
    auto answer = ctx.chat->ask(
        p, in,
        [&](std::string_view piece) {
      pending += piece;
      size_t start = 0;
      for (size_t i = 0; i < pending.size(); ++i) {
        const bool space = pending[i] == ' ' || pending[i] == '\n' || pending[i] == '\t' || pending[i] == '\r';
        const bool next_space = i + 1 < pending.size() && (pending[i + 1] == ' ' || pending[i + 1] == '\n' ||
                                                           pending[i + 1] == '\t' || pending[i + 1] == '\r');
        if (space && !next_space && i + 1 < pending.size()) {
          if (!send_word(std::string_view(pending).substr(start, i + 1 - start))) return false;
          start = i + 1;
        }
      }
      pending.erase(0, start);
      return true;
        },
        [&] { return sink.cancelled(); });
    if (!pending.empty() && answer) send_word(pending);
    if (!answer) {
      if (sink.reject(error(Request(), answer.error()))) return;  // failed before its first word
      sink.send(json::serialize(json::object{{"success", false},
                                             {"error", answer.error().message},
                                             {"error_code", nexus_code(answer.error().code)},
                                             {"complete", true}}));
      return;
    }
    sink.send(json::serialize(json::object{{"word", ""},
                                           {"complete", true},
                                           {"session_id", in.conversation_id},
                                           {"citations", citations_json(answer->answer.citations)}}));
  });
}

}  // namespace

void register_session_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/sessions",
      [ctx](Request& req) {
    auto body = optional_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    services::NewConversation in;
    in.title = "New Chat";
    r.optional("title", in.title);
    if (!r.ok()) return error(req, r.error());
    auto c = ctx.conversations->create(principal(req), in);
    if (!c) return error(req, c.error());
    return Response::json(200, json::object{{"success", true},
                                            {"session_id", c->id},
                                            {"title", c->title},
                                            {"created_at", c->created_at}});
      },
      {}, errors);

  router.add(
      Method::Get, "/api/sessions",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 100, 1, 1000);
    if (!limit) return error(req, limit.error());
    auto offset = int_query(req, "offset", 0, 0, 100000000);
    if (!offset) return error(req, offset.error());
    auto page = ctx.conversations->list(principal(req), *limit, *offset);
    if (!page) return error(req, page.error());
    json::array sessions;
    for (const auto& c : page->items) {
      sessions.push_back(json::object{{"id", c.id},
                                      {"title", c.title},
                                      {"created_at", c.created_at},
                                      {"updated_at", c.updated_at},
                                      {"message_count", c.total_messages}});
    }
    return Response::json(200, json::object{{"sessions", std::move(sessions)}, {"total", page->total}});
      },
      {}, errors);

  router.add(
      Method::Get, "/api/sessions/{session_id}",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto c = ctx.conversations->get(p, req.param("session_id"));
    if (!c) return error(req, c.error());
    auto page = ctx.chat->messages(p, c->id, 1000, 0);
    if (!page) return error(req, page.error());
    json::array messages;
    for (auto it = page->items.rbegin(); it != page->items.rend(); ++it) {  // oldest first, as read
      json::object m{{"type", it->role == "user" ? "user" : "ai"},
                     {"content", it->content},
                     {"timestamp", it->created_at}};
      if (it->role != "user") m["citations"] = citations_json(it->citations);
      messages.push_back(std::move(m));
    }
    return Response::json(200,
                          json::object{{"session_id", c->id}, {"title", c->title}, {"messages", std::move(messages)}});
      },
      {}, errors);

  router.add(
      Method::Delete, "/api/sessions/{session_id}",
      [ctx](Request& req) {
    auto st = ctx.conversations->remove(principal(req), req.param("session_id"));
    if (!st) return error(req, st.error());
    return Response::json(200, json::object{{"success", true}, {"message", "Session deleted successfully"}});
      },
      {}, errors);

  router.add(
      Method::Post, "/api/process/text", [ctx](Request& req) { return process_text(ctx, req); }, {}, errors);
  // The seed's base URL is /v1: the same route under it.
  router.add(
      Method::Post, "/v1/process/text", [ctx](Request& req) { return process_text(ctx, req); }, {}, errors);

  router.add(
      Method::Post, "/api/clear-history",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string session_id;
    r.required("session_id", session_id);
    if (!r.ok()) return error(req, r.error());
    auto st = ctx.conversations->clear(principal(req), session_id);
    if (!st) return error(req, st.error());
    return Response::json(200, json::object{{"success", true}, {"message", "Chat history cleared"}});
      },
      {}, errors);
}

}  // namespace docent::api::nexus
