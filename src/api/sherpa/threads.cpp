#include "api/sherpa/threads.h"

#include "api/sherpa/errors.h"
#include "api/sherpa/format.h"
#include "core/crypto.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <functional>

namespace docent::api::sherpa {

namespace json = boost::json;
using core::Code;
using core::Error;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr int64_t kMaxInteger = 9007199254740991;  // 2^53 - 1: exact in every JSON client
constexpr int64_t kDefaultUpdates = 100;
constexpr int64_t kMaxUpdates = 1000;

Response error(const Request& req, const Error& e) { return render_error(req, e); }
Response ok(json::value data) { return Response::json(200, json::object{{"result", 1}, {"data", std::move(data)}}); }

// A whole number of at least `min`, sent as a JSON number or as digits in a string (the seed
// shows both: "thread_id": 200 in requests, "thread_id": "221" in getUpdates).
core::Result<int64_t> integer(const json::value& v, const std::string& field, int64_t min) {
  int64_t n = min - 1;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_string()) {
    const auto& s = v.as_string();
    int64_t parsed = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
    if (!s.empty() && ec == std::errc() && end == s.data() + s.size()) n = parsed;
  }
  if (n < min || n > kMaxInteger) {
    return Error(Code::InvalidInput, field + " must be a whole number from " + std::to_string(min), field);
  }
  return n;
}

// "info" is free text; an object or array sent instead is kept as its JSON text.
core::Result<std::optional<std::string>> info_text(const json::value& v) {
  if (v.is_null()) return std::optional<std::string>();
  if (v.is_string()) return std::optional<std::string>(std::string(v.as_string()));
  if (v.is_object() || v.is_array()) return std::optional<std::string>(json::serialize(v));
  return Error(Code::InvalidInput, "info must be a string or a JSON object", "info");
}

core::Status check_temperature(const std::optional<double>& t) {
  if (t && (*t < 0 || *t > 2)) return Error(Code::InvalidInput, "temperature must be from 0 to 2", "temperature");
  return {};
}

// Files or folders a message attaches: docent's ids for the thread's context, and the storage
// face's numbers to show with the message.
struct Attached {
  std::vector<std::string> ids;
  json::array numbers;
};

// Finds one file or folder by its number (seq > 0) or guid: its id and number.
using Resolver = std::function<core::Result<std::pair<std::string, int64_t>>(int64_t seq, const std::string& guid)>;

// A JSON array of the storage face's numbers or guids, or of objects naming one in "id"; the same
// array sent as a string ("[101, 102]", as getUpdates shows it) is read too.
core::Result<Attached> read_attached(const json::value& v, const std::string& field, const Resolver& resolve) {
  Attached out;
  if (v.is_null()) return out;
  const Error bad(Code::InvalidInput, field + " must be a JSON array of ids", field);
  json::value list = v;
  if (v.is_string()) {
    boost::system::error_code ec;
    list = json::parse(v.as_string(), ec);
    if (ec) return bad;
  }
  if (!list.is_array()) return bad;
  for (const auto& entry : list.as_array()) {
    const json::value* item = &entry;
    if (item->is_object()) item = item->as_object().if_contains("id");
    if (!item || !(item->is_int64() || item->is_string())) return bad;
    int64_t seq = 0;
    std::string guid;
    if (item->is_string() && item->as_string().find_first_not_of("0123456789") != json::string::npos) {
      guid = std::string(item->as_string());
    } else {
      auto n = integer(*item, field, 1);
      if (!n) return n.error();
      seq = *n;
    }
    auto found = resolve(seq, guid);
    if (!found) return found.error();
    if (std::find(out.ids.begin(), out.ids.end(), found->first) != out.ids.end()) continue;
    out.ids.push_back(found->first);
    out.numbers.emplace_back(found->second);
  }
  return out;
}

core::Result<Attached> read_files(const Context& ctx, const services::Principal& p, const json::value& v) {
  return read_attached(v, "file_id",
                       [&](int64_t seq, const std::string& guid) -> core::Result<std::pair<std::string, int64_t>> {
                         auto f = seq ? ctx.knowledge->get_file_by_seq(p, seq) : ctx.knowledge->get_file(p, guid);
                         if (!f)
                           return Error(Code::NotFound, "file " + (seq ? std::to_string(seq) : guid) + " not found",
                                        "file_id");
                         return std::pair{f->id, f->seq};
                       });
}

core::Result<Attached> read_folders(const Context& ctx, const services::Principal& p, const json::value& v) {
  return read_attached(v, "folder_id",
                       [&](int64_t seq, const std::string& guid) -> core::Result<std::pair<std::string, int64_t>> {
                         auto f = seq ? ctx.knowledge->get_folder_by_seq(p, seq) : ctx.knowledge->get_folder(p, guid);
                         if (!f)
                           return Error(Code::NotFound, "folder " + (seq ? std::to_string(seq) : guid) + " not found",
                                        "folder_id");
                         return std::pair{f->id, f->seq};
                       });
}

// What a posted message keeps beside its text, shown again by getUpdates.
json::object message_metadata(const std::string& assistant_id, const std::optional<std::string>& info,
                              const Attached& files, const Attached& folders) {
  json::object m{{"file_id", files.numbers}, {"folder_id", folders.numbers}};
  if (!assistant_id.empty()) m["assistant_id"] = assistant_id;
  if (info) m["info"] = *info;
  return m;
}

// The caller's thread `thread_id`, made when the caller has none by that number (0: a new one
// with the next free number). Files and folders join its context; a title renames it.
core::Result<services::Conversation> open_thread(const Context& ctx, const services::Principal& p, int64_t thread_id,
                                                 const std::string& title, const Attached& files,
                                                 const Attached& folders) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (thread_id > 0) {
      auto c = ctx.conversations->get_by_thread(p, thread_id);
      if (c) {
        if (!files.ids.empty() || !folders.ids.empty()) {
          c = ctx.conversations->attach(p, c->id, files.ids, folders.ids);
          if (!c) return c.error();
        }
        if (!title.empty() && title != c->title) c = ctx.conversations->rename(p, c->id, title);
        return c;
      }
      if (c.error().code != Code::NotFound) return c.error();
    }
    auto made = ctx.conversations->create(p, services::NewConversation{.title = title,
                                                                       .file_ids = files.ids,
                                                                       .folder_ids = folders.ids,
                                                                       .thread_id = thread_id});
    // Conflict: a concurrent first post made the thread just now; join it.
    if (made || made.error().code != Code::Conflict || thread_id == 0) return made;
  }
  return Error(Code::Conflict, "thread " + std::to_string(thread_id) + " is being created; try again", "thread_id");
}

core::Result<services::Conversation> find_thread(const Context& ctx, const services::Principal& p, int64_t thread_id) {
  auto c = ctx.conversations->get_by_thread(p, thread_id);
  if (!c && c.error().code == Code::NotFound) {
    return Error(Code::NotFound, "thread " + std::to_string(thread_id) + " not found", "thread_id");
  }
  return c;
}

// An answer's citations as OpenAI's file_citation annotations, one per [n] marker in its text,
// with the storage face's file number and the cited page.
json::array annotations(const Context& ctx, const services::Principal& p, const services::Message& m) {
  json::array out;
  int highest = 0;
  for (const auto& c : m.citations) highest = std::max(highest, c.number);
  for (const auto& marker : services::find_citations(m.content, static_cast<size_t>(highest))) {
    auto c = std::find_if(m.citations.begin(), m.citations.end(),
                          [&](const auto& x) { return x.number == marker.number; });
    if (c == m.citations.end()) continue;
    std::string text = "[";  // built up, not by operator+: GCC 12 warns falsely (-Wrestrict) on that
    text += std::to_string(marker.number);
    text += ']';
    auto file = ctx.knowledge->get_file(p, c->file_id);
    out.push_back(json::object{{"type", "file_citation"},
                               {"text", text},
                               {"start_index", static_cast<int64_t>(marker.offset)},
                               {"end_index", static_cast<int64_t>(marker.offset + text.size())},
                               {"file_citation", json::object{{"file_id", file ? file->seq : 0},
                                                              {"guid", c->file_id},
                                                              {"file_name", c->file_name},
                                                              {"page", c->page},
                                                              {"quote", c->snippet}}}});
  }
  return out;
}

json::value numbers_text(const json::object& metadata, const char* key) {
  const auto* v = metadata.if_contains(key);
  if (!v || !v->is_array()) return nullptr;
  return json::value(json::serialize(*v));
}

// A message as getUpdates shows it: every value text, the content an OpenAI text part in JSON.
json::object message_json(const Context& ctx, const services::Principal& p, const services::Conversation& thread,
                          const services::Message& m, int64_t account) {
  const json::object content{{"type", "text"},
                             {"text", json::object{{"value", m.content}, {"annotations", annotations(ctx, p, m)}}}};
  json::object o{{"id", std::to_string(m.seq)},
                 {"content", json::serialize(content)},
                 {"account_id", std::to_string(account)},
                 {"is_deleted", "0"},
                 {"role", m.role},
                 {"thread_id", std::to_string(thread.thread_id.value_or(0))},
                 {"created", seed_time(m.created_at)},
                 {"updated", seed_time(m.created_at)}};
  if (const auto* a = m.metadata.if_contains("assistant_id"); a && a->is_string()) o["assistant_id"] = *a;
  if (const auto* i = m.metadata.if_contains("info"); i && i->is_string()) o["info"] = *i;
  o["folder_id"] = numbers_text(m.metadata, "folder_id");
  o["file_id"] = numbers_text(m.metadata, "file_id");
  o["update_id"] = nullptr;
  if (m.role == "assistant" && !m.model.empty()) {
    o["model"] = m.model;
    o["status"] = m.status;
  }
  return o;
}

// The models in the vLLM list shape of the seed's example.
json::object model_json(const engines::ModelInfo& m) {
  json::object permission{{"id", "modelperm-" + core::crypto::sha256_hex(m.id).substr(0, 32)},
                          {"object", "model_permission"},
                          {"created", m.created},
                          {"allow_create_engine", false},
                          {"allow_sampling", true},
                          {"allow_logprobs", true},
                          {"allow_search_indices", false},
                          {"allow_view", true},
                          {"allow_fine_tuning", false},
                          {"organization", "*"},
                          {"group", nullptr},
                          {"is_blocking", false}};
  return json::object{{"id", m.id},
                      {"object", "model"},
                      {"created", m.created},
                      {"owned_by", m.owned_by.empty() ? std::string("docent") : m.owned_by},
                      {"root", m.id},
                      {"parent", nullptr},
                      {"permission", json::array{std::move(permission)}}};
}

// POST /api/threads/message: the chat messages of an OpenAI-style request. System messages are
// the instructions; the last user message is the question; earlier turns seed a new thread's
// history (a thread that has messages keeps its own).
struct MessageRequest {
  std::string model, assistant_id;
  std::optional<double> temperature;
  int64_t thread_id = 0;  // 0: a new thread
  std::optional<std::string> info;
  std::string instructions;
  std::vector<std::pair<std::string, std::string>> earlier;  // role, content
  std::string question;
};

core::Result<MessageRequest> read_message_request(const json::value& body) {
  core::ObjectReader r(body);
  MessageRequest out;
  json::array messages;
  json::value thread = nullptr, info = nullptr;
  r.required("messages", messages).required("model", out.model).optional("temperature", out.temperature);
  r.optional("assistant_id", out.assistant_id).optional("thread_id", thread).optional("info", info);
  if (r.ok() && out.model.empty()) r.invalid("model", "must not be empty");
  if (!r.ok()) return r.error();
  if (auto st = check_temperature(out.temperature); !st) return st.error();
  auto info_value = info_text(info);
  if (!info_value) return info_value.error();
  out.info = *info_value;
  if (!thread.is_null()) {
    auto n = integer(thread, "thread_id", 1);
    if (!n) return n.error();
    out.thread_id = *n;
  }
  std::vector<std::pair<std::string, std::string>> turns;
  for (size_t i = 0; i < messages.size(); ++i) {
    core::ObjectReader m(messages[i], "messages[" + std::to_string(i) + "]");
    std::string content, role = "user", name;
    m.required("content", content).optional("role", role).optional("name", name);
    if (m.ok() && role != "system" && role != "user" && role != "assistant") {
      m.invalid("role", "must be system, user or assistant");
    }
    if (!m.ok()) return m.error();
    if (role == "system") {
      if (!out.instructions.empty()) out.instructions += "\n\n";
      out.instructions += content;
    } else {
      turns.emplace_back(role, content);
    }
  }
  auto last_user = std::find_if(turns.rbegin(), turns.rend(), [](const auto& t) {
    return t.first == "user" && t.second.find_first_not_of(" \t\r\n") != std::string::npos;
  });
  if (last_user == turns.rend()) {
    return Error(Code::MissingField, "messages must hold a user message with content", "messages");
  }
  out.question = last_user->second;
  out.earlier.assign(turns.begin(), std::prev(last_user.base()));
  return out;
}

Response post_threads_message(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  auto in = read_message_request(*body);
  if (!in) return error(req, in.error());
  const services::Principal& p = principal(req);
  auto thread = open_thread(ctx, p, in->thread_id, "", {}, {});
  if (!thread) return error(req, thread.error());
  if (thread->total_messages == 0) {
    for (const auto& [role, content] : in->earlier) {
      if (content.find_first_not_of(" \t\r\n") == std::string::npos) continue;
      if (auto m = ctx.chat->append(p, thread->id, role, content, {}); !m) return error(req, m.error());
    }
  }
  services::AskInput ask{.conversation_id = thread->id,
                         .question = in->question,
                         .model = in->model,
                         .instructions = in->instructions,
                         .temperature = in->temperature,
                         .metadata = message_metadata(in->assistant_id, in->info, {}, {})};
  auto answer = ask_preferring_model(ctx, p, std::move(ask), [](std::string_view) { return true; }, {});
  if (!answer) return error(req, answer.error());
  json::object data = message_json(ctx, p, *thread, answer->answer, account_seq(ctx, p.account_id));
  data["message_id"] = answer->answer.seq;
  data["question_id"] = answer->question.seq;
  const auto& u = answer->answer.usage;
  data["usage"] = json::object{{"prompt_tokens", u.prompt_tokens},
                               {"completion_tokens", u.completion_tokens},
                               {"total_tokens", u.total_tokens}};
  return ok(std::move(data));
}

Response post_threads_chat(const Context& ctx, Request& req) {
  auto body = json_body(req, *ctx.config);
  if (!body) return error(req, body.error());
  core::ObjectReader r(*body);
  json::value thread_value = nullptr, model_id = nullptr, files_value = nullptr, folders_value = nullptr,
              info_value = nullptr;
  std::string role, content, assistant_id, prompt, title;
  std::optional<double> temperature;
  r.required("thread_id", thread_value).required("role", role).required("content", content);
  r.optional("assistant_id", assistant_id).optional("model_id", model_id).optional("temperature", temperature);
  r.optional("prompt", prompt).optional("title", title).optional("file_id", files_value);
  r.optional("folder_id", folders_value).optional("info", info_value);
  if (r.ok() && role != "user" && role != "assistant" && role != "system") {
    r.invalid("role", "must be user, assistant or system");
  }
  if (r.ok() && content.find_first_not_of(" \t\r\n") == std::string::npos) r.invalid("content", "must not be empty");
  if (r.ok() && !model_id.is_null() && !model_id.is_string() && !model_id.is_int64()) {
    r.invalid("model_id", "must be a string or an integer");
  }
  if (!r.ok()) return error(req, r.error());
  if (auto st = check_temperature(temperature); !st) return error(req, st.error());
  auto thread_id = integer(thread_value, "thread_id", 1);
  if (!thread_id) return error(req, thread_id.error());
  auto info = info_text(info_value);
  if (!info) return error(req, info.error());
  const services::Principal& p = principal(req);
  auto files = read_files(ctx, p, files_value);
  if (!files) return error(req, files.error());
  auto folders = read_folders(ctx, p, folders_value);
  if (!folders) return error(req, folders.error());

  auto thread = open_thread(ctx, p, *thread_id, title, *files, *folders);
  if (!thread) return error(req, thread.error());
  json::object metadata = message_metadata(assistant_id, *info, *files, *folders);
  json::object data{{"thread_id", *thread_id},
                    {"file_id", files->numbers},
                    {"folder_id", folders->numbers},
                    {"info", info->value_or("")}};
  if (role != "user") {  // a message for the record (an assistant's greeting, a system note): nothing to answer
    auto m = ctx.chat->append(p, thread->id, role, content, metadata);
    if (!m) return error(req, m.error());
    data["message_id"] = m->seq;
    return ok(std::move(data));
  }
  // A model group id that is a number names nothing here: the default model answers.
  services::AskInput ask{.conversation_id = thread->id,
                         .question = content,
                         .model = model_id.is_string() ? std::string(model_id.as_string()) : std::string(),
                         .instructions = prompt,
                         .temperature = temperature,
                         .metadata = std::move(metadata)};
  auto answer = ask_preferring_model(ctx, p, std::move(ask), [](std::string_view) { return true; }, {});
  if (!answer) return error(req, answer.error());
  data["message_id"] = answer->question.seq;
  data["answer_id"] = answer->answer.seq;
  return ok(std::move(data));
}

Response get_threads_updates(const Context& ctx, Request& req) {
  auto assistant = req.query_param("assistant_id");
  if (!assistant || assistant->empty()) {
    return error(req, Error(Code::MissingField, "assistant_id is required", "assistant_id"));
  }
  auto thread_text = req.query_param("thread_id");
  if (!thread_text || thread_text->empty()) {
    return error(req, Error(Code::MissingField, "thread_id is required", "thread_id"));
  }
  auto thread_id = integer(json::value(std::string(*thread_text)), "thread_id", 1);
  if (!thread_id) return error(req, thread_id.error());
  auto offset = int_query(req, "offset", 0, 0, kMaxInteger);
  if (!offset) return error(req, offset.error());
  auto limit = int_query(req, "limit", kDefaultUpdates, 1, kMaxUpdates);
  if (!limit) return error(req, limit.error());
  const services::Principal& p = principal(req);
  auto thread = find_thread(ctx, p, *thread_id);
  if (!thread) return error(req, thread.error());
  auto messages = ctx.chat->messages_after(p, thread->id, *offset, *limit);
  if (!messages) return error(req, messages.error());
  const int64_t account = account_seq(ctx, thread->account_id);
  json::array out;
  for (const auto& m : *messages) out.push_back(message_json(ctx, p, *thread, m, account));
  return ok(std::move(out));
}

}  // namespace

void register_thread_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/threads/message", [ctx](Request& req) { return post_threads_message(ctx, req); }, {}, errors);

  router.add(
      Method::Get, "/api/threads/models",
      [ctx](Request&) {
    json::array data;
    for (const auto& m : ctx.models->list_models({})) data.push_back(model_json(m));
    return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}});
      },
      {}, errors);

  router.add(
      Method::Post, "/api/threads/chat", [ctx](Request& req) { return post_threads_chat(ctx, req); }, {}, errors);

  router.add(
      Method::Get, "/api/threads/getUpdates", [ctx](Request& req) { return get_threads_updates(ctx, req); }, {},
      errors);
}

}  // namespace docent::api::sherpa
