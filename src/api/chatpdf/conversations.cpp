#include "api/chatpdf/conversations.h"

#include "api/chatpdf/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <charconv>
#include <functional>

namespace docent::api::chatpdf {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

Response ok(json::value data) {
  return Response::json(200, json::object{{"data", std::move(data)}, {"success", true}});
}

// The conversation object of the seed's examples. `device_id` is the caller's device, empty for
// an account that signed in with a key.
json::object conversation_json(const services::Conversation& c, const std::string& device_id) {
  return json::object{
      {"fileId", c.file_ids.empty() ? std::string() : c.file_ids.front()},
      {"deviceId", device_id},
      {"totalMessages", c.total_messages},
      {"title", c.title},
      {"sourceId", c.source_id},
      {"_id", c.id},
      {"createdAt", c.created_at},
      {"updatedAt", c.updated_at},
      {"__v", c.version},
      {"summary", c.summary},
      {"lastMessage", c.last_message},
      {"fileType", c.file_type},
  };
}

// The optional "page" field: the client's page count, a positive integer.
core::Status check_page_field(const http::MultipartForm& form) {
  const auto* page = form.field("page");
  if (!page) return {};
  const std::string& v = page->value;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1000000) {
    return core::Error(core::Code::InvalidInput, "page must be a positive whole number of pages", "page");
  }
  return {};
}

// The conversation as PUT /conversations/:id answers it: the file expanded with its metadata.
json::object renamed_json(const services::Conversation& c, const std::optional<services::File>& file,
                          const std::string& device_id) {
  json::value file_value = nullptr;
  if (file) {
    file_value = json::object{{"_id", file->id},
                              {"metadata", json::object{{"fileType", file->source_type},
                                                        {"fileName", file->name},
                                                        {"fileSize", file->size},
                                                        {"sourceId", c.source_id}}}};
  }
  return json::object{
      {"_id", c.id},
      {"fileId", std::move(file_value)},
      {"deviceId", device_id},
      {"totalMessages", c.total_messages},
      {"title", c.title},
      {"sourceId", c.source_id},
      {"createdAt", c.created_at},
      {"updatedAt", c.updated_at},
      {"__v", c.version},
  };
}

// A message as the seed's POST /messages/conversation/:id lists it; answers also carry what they
// cite (beyond the seed: file, page and the passage's start).
json::object message_json(const services::Message& m, const std::string& device_id) {
  json::object o{{"_id", m.id}, {"conversationId", m.conversation_id}, {"message", m.content}};
  if (m.role == "user") o["from"] = device_id;
  o["to"] = nullptr;
  o["author"] = m.role == "user" ? "user" : "bot";
  o["createdAt"] = m.created_at;
  o["updatedAt"] = m.created_at;
  o["__v"] = 0;
  if (m.role != "user") {
    json::array cites;
    for (const auto& c : m.citations) {
      cites.push_back(json::object{{"number", c.number},
                                   {"fileId", c.file_id},
                                   {"fileName", c.file_name},
                                   {"page", c.page},
                                   {"snippet", c.snippet}});
    }
    o["citations"] = std::move(cites);
    if (m.status != "complete") o["status"] = m.status;
  }
  return o;
}

json::object paging_json(json::array items, int64_t total, int64_t page, int64_t limit) {
  const int64_t total_pages = (total + limit - 1) / limit;
  return json::object{{"items", std::move(items)}, {"totalItems", total},         {"page", page}, {"limit", limit},
                      {"totalPages", total_pages}, {"paging", page < total_pages}};
}

std::string device_of(const Context& ctx, const services::Principal& p) {
  auto device = ctx.devices->device_of(p.account_id);
  return device && *device ? (*device)->device_id : std::string();
}

using DeltaSink = std::function<bool(std::string_view)>;
using Answering = std::function<core::Result<services::Answer>(const DeltaSink&, const engines::CancelCheck&)>;

// Streams an answer in this face's events (see /messages/chatting). An answer that fails before
// its first piece is this face's JSON error (a 429 when the plan's questions ran out meanwhile).
Response stream_answer(std::string device_id, Answering answering) {
  return Response::stream_on_first_event(
      [device_id = std::move(device_id), answering = std::move(answering)](http::SseSink& sink) {
    auto answer = answering(
        [&](std::string_view delta) {
      return sink.offer(json::serialize(json::object{{"type", "text"}, {"content", delta}})) !=
             http::SseSink::Offered::Closed;  // on the provider's thread: never blocks
        },
        [&] { return sink.cancelled(); });
    if (!answer) {
      if (sink.reject(render_error(Request(), answer.error()))) return;
      sink.send(json::serialize(json::object{{"type", "error"},
                                             {"message", answer.error().message},
                                             {"code", core::code_name(answer.error().code)}}));
      return;
    }
    sink.send(json::serialize(json::object{{"type", "done"}, {"message", message_json(answer->answer, device_id)}}));
  });
}

}  // namespace

void register_conversation_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/upload/register-file",
      [ctx](Request& req) {
    if (!req.form) {
      return error(req, core::Error(core::Code::UnsupportedMediaType,
                                    "send multipart/form-data with the PDF in a 'file' part", "file"));
    }
    auto files = req.form->files_named("file");
    if (files.size() != 1)
      return error(req, core::Error(core::Code::MissingField, "one 'file' part is required", "file"));
    if (auto st = check_page_field(*req.form); !st) return error(req, st.error());
    const auto& p = principal(req);

    services::NewFile info;
    info.name = files[0]->filename.empty() ? "upload.pdf" : files[0]->filename;
    info.accept_types = {"pdf"};
    auto file = ctx.knowledge->add_file(p, files[0]->path, std::move(info));
    if (!file) return error(req, file.error());
    req.form->release(*files[0]);

    services::NewConversation nc;
    nc.title = file->name;
    nc.file_ids = {file->id};
    auto conversation = ctx.conversations->create(p, nc);
    if (!conversation) return error(req, conversation.error());
    return ok(json::object{{"conversation", conversation_json(*conversation, device_of(ctx, p))}});
      },
      {.multipart = true}, errors);

  // Pages of the caller's conversations, most recently active first. "paging" says whether pages
  // follow this one.
  router.add(
      Method::Get, "/conversations",
      [ctx](Request& req) {
    auto page = int_query(req, "page", 1, 1, 1000000);
    if (!page) return error(req, page.error());
    auto limit = int_query(req, "limit", 10, 1, 100);
    if (!limit) return error(req, limit.error());
    const auto& p = principal(req);
    auto list = ctx.conversations->list(p, *limit, (*page - 1) * *limit);
    if (!list) return error(req, list.error());
    const std::string device_id = device_of(ctx, p);
    json::array items;
    for (const auto& c : list->items) {
      json::object o = conversation_json(c, device_id);
      o.erase("__v");  // the seed's list items carry no version
      items.push_back(std::move(o));
    }
    return ok(paging_json(std::move(items), list->total, *page, *limit));
      },
      {}, errors);

  // The answer to `message` about the conversation's file, streamed. Events (the seed names none):
  //   data: {"type":"text","content":"..."}              pieces of the answer, in order
  //   data: {"type":"done","message":{...}}              the stored answer, with its citations
  //   data: {"type":"error","message":"...","code":"..."} the answer failed after it started
  // Errors found before the stream starts are the face's JSON errors.
  router.add(
      Method::Get, "/messages/chatting",
      [ctx](Request& req) {
    const auto source = req.query_param("sourceId");
    if (!source || source->empty()) {
      return error(req, core::Error(core::Code::MissingField, "sourceId is required", "sourceId"));
    }
    services::AskInput in;
    in.question = std::string(req.query_param("message").value_or(""));
    const std::string regenerate(req.query_param("isReGenerate").value_or("false"));
    if (regenerate != "true" && regenerate != "false") {
      return error(req, core::Error(core::Code::InvalidInput, "isReGenerate must be true or false", "isReGenerate"));
    }
    in.regenerate = regenerate == "true";
    if (!in.regenerate && in.question.find_first_not_of(" \t\r\n") == std::string::npos) {
      return error(req, core::Error(core::Code::MissingField, "message is required", "message"));
    }
    const services::Principal p = principal(req);
    auto conversation = ctx.conversations->get_by_source(p, *source);
    if (!conversation) return error(req, conversation.error());
    in.conversation_id = conversation->id;
    // The plan is decided before the stream starts: out of questions is a 429, never a 200 stream.
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
    const std::string device_id = device_of(ctx, p);
    return stream_answer(device_id, [ctx, p, in](const DeltaSink& on_delta, const engines::CancelCheck& cancel) {
      return ctx.chat->ask(p, in, on_delta, cancel);
    });
      },
      {}, errors);

  // A summary of the conversation's file with three questions it answers, streamed in the events
  // of /messages/chatting and stored as a question and its answer; the answer also becomes the
  // conversation's "summary".
  router.add(
      Method::Get, "/conversations/summarize",
      [ctx](Request& req) {
    const auto source = req.query_param("sourceId");
    if (!source || source->empty()) {
      return error(req, core::Error(core::Code::MissingField, "sourceId is required", "sourceId"));
    }
    const services::Principal p = principal(req);
    auto conversation = ctx.conversations->get_by_source(p, *source);
    if (!conversation) return error(req, conversation.error());
    const std::string id = conversation->id;
    if (auto st = ctx.quota->check(p, services::Metric::Question); !st) return error(req, st.error());
    return stream_answer(device_of(ctx, p),
                         [ctx, p, id](const DeltaSink& on_delta, const engines::CancelCheck& cancel) {
      return ctx.chat->summarize(p, id, "", on_delta, cancel);
    });
      },
      {}, errors);

  // The conversation's messages in pages, newest first (page and limit in the query).
  router.add(
      Method::Post, "/messages/conversation/{conversation_id}",
      [ctx](Request& req) {
    auto page = int_query(req, "page", 1, 1, 1000000);
    if (!page) return error(req, page.error());
    auto limit = int_query(req, "limit", 20, 1, 100);
    if (!limit) return error(req, limit.error());
    const auto& p = principal(req);
    auto list = ctx.chat->messages(p, req.param("conversation_id"), *limit, (*page - 1) * *limit);
    if (!list) return error(req, list.error());
    const std::string device_id = device_of(ctx, p);
    json::array items;
    for (const auto& m : list->items) items.push_back(message_json(m, device_id));
    return ok(paging_json(std::move(items), list->total, *page, *limit));
      },
      {}, errors);

  router.add(
      Method::Put, "/conversations/{conversation_id}",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string title;
    r.required("title", title);
    if (!r.ok()) return error(req, r.error());
    const auto& p = principal(req);
    auto c = ctx.conversations->rename(p, req.param("conversation_id"), title);
    if (!c) return error(req, c.error());
    std::optional<services::File> file;
    if (!c->file_ids.empty()) {
      auto f = ctx.knowledge->get_file(p, c->file_ids.front());
      if (f) file = std::move(*f);
    }
    return ok(renamed_json(*c, file, device_of(ctx, p)));
      },
      {}, errors);

  router.add(
      Method::Delete, "/conversations/{conversation_id}",
      [ctx](Request& req) {
    auto st = ctx.conversations->remove(principal(req), req.param("conversation_id"));
    if (!st) return error(req, st.error());
    return ok(true);
      },
      {}, errors);
}

}  // namespace docent::api::chatpdf
