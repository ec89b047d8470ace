#include "services/chat.h"

#include "core/id.h"
#include "core/text.h"
#include "core/thread_annotations.h"
#include "core/time.h"
#include "store/conversations.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

constexpr size_t kMaxQuestionChars = 20000;
constexpr size_t kHistoryMessages = 20;        // earlier turns offered to the model at most
constexpr size_t kHistoryBudgetChars = 12000;  // ~3,000 tokens of earlier turns
constexpr size_t kSnippetChars = 300;
constexpr auto kCancelPoll = std::chrono::milliseconds(250);  // an idle stream's client checked this often
constexpr size_t kSummaryBudgetChars = 12000;                 // ~3,000 tokens of the file, sampled across it

std::string now() { return core::rfc3339_ms(std::chrono::system_clock::now()); }

std::string citations_json(const std::vector<MessageCitation>& citations) {
  json::array a;
  for (const auto& c : citations) {
    a.push_back(json::object{{"number", c.number},
                             {"file_id", c.file_id},
                             {"file_name", c.file_name},
                             {"page", c.page},
                             {"snippet", c.snippet},
                             {"score", c.score}});
  }
  return json::serialize(a);
}

std::string usage_json(const engines::Usage& u) {
  return json::serialize(json::object{{"prompt_tokens", u.prompt_tokens},
                                      {"completion_tokens", u.completion_tokens},
                                      {"total_tokens", u.total_tokens},
                                      {"estimated", u.estimated}});
}

Message from_record(const store::MessageRecord& r) {
  Message m;
  m.id = r.id;
  m.conversation_id = r.conversation_id;
  m.seq = r.seq;
  m.role = r.role;
  m.content = r.content;
  m.model = r.model;
  m.status = r.status;
  m.created_at = r.created_at;
  boost::system::error_code ec;
  json::value cites = json::parse(r.citations, ec);
  if (!ec && cites.is_array()) {
    for (const auto& v : cites.as_array()) {
      if (!v.is_object()) continue;
      const auto& o = v.as_object();
      MessageCitation c;
      if (auto* x = o.if_contains("number"); x && x->is_int64()) c.number = static_cast<int>(x->as_int64());
      if (auto* x = o.if_contains("file_id"); x && x->is_string()) c.file_id = std::string(x->as_string());
      if (auto* x = o.if_contains("file_name"); x && x->is_string()) c.file_name = std::string(x->as_string());
      if (auto* x = o.if_contains("page"); x && x->is_int64()) c.page = x->as_int64();
      if (auto* x = o.if_contains("snippet"); x && x->is_string()) c.snippet = std::string(x->as_string());
      if (auto* x = o.if_contains("score"); x && x->is_number()) c.score = x->to_number<double>();
      m.citations.push_back(std::move(c));
    }
  }
  json::value usage = json::parse(r.usage, ec);
  if (!ec && usage.is_object()) {
    const auto& o = usage.as_object();
    auto get = [&](const char* k) {
      auto* x = o.if_contains(k);
      return x && x->is_int64() ? x->as_int64() : int64_t{0};
    };
    m.usage.prompt_tokens = get("prompt_tokens");
    m.usage.completion_tokens = get("completion_tokens");
    m.usage.total_tokens = get("total_tokens");
    if (auto* x = o.if_contains("estimated"); x && x->is_bool()) m.usage.estimated = x->as_bool();
  }
  json::value metadata = json::parse(r.metadata, ec);
  if (!ec && metadata.is_object()) m.metadata = std::move(metadata.as_object());
  return m;
}

}  // namespace

ChatService::ChatService(store::Database& db, ConversationService& conversations, AnswerService& answers,
                         KnowledgeService& knowledge, QuotaService& quota)
    : db_(db), conversations_(conversations), answers_(answers), knowledge_(knowledge), quota_(quota) {}

core::Result<Answer> ChatService::ask(const Principal& actor, const AskInput& in,
                                      const std::function<bool(std::string_view)>& on_delta,
                                      const engines::CancelCheck& cancel) {
  auto conversation = conversations_.get(actor, in.conversation_id);
  if (!conversation) return conversation.error();
  if (core::utf8_length(in.question) > kMaxQuestionChars) {
    return Error(Code::InvalidInput, "the question must be at most 20000 characters", "message");
  }

  // Earlier turns, oldest first; a regeneration drops the answer it replaces.
  std::vector<store::MessageRecord> history;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto recent = store::conversations::messages(tx, conversation->id, static_cast<int64_t>(kHistoryMessages) + 1, 0);
    if (!recent) return recent.error();
    history.assign(recent->rbegin(), recent->rend());
    return {};
  });
  if (!st) return st.error();
  std::optional<store::MessageRecord> replaced, asked;
  if (in.regenerate) {
    if (!history.empty() && history.back().role == "assistant") {
      replaced = history.back();
      history.pop_back();
    }
    if (history.empty() || history.back().role != "user") {
      return Error(Code::InvalidInput, "there is no earlier question to answer again", "regenerate");
    }
    asked = history.back();
    history.pop_back();
    if (!in.question.empty() && in.question != asked->content) {
      return Error(Code::InvalidInput, "a regeneration answers the last question again; send it or nothing", "message");
    }
  } else if (in.question.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error(Code::MissingField, "the question must not be empty", "message");
  }
  if (history.size() > kHistoryMessages) history.erase(history.begin(), history.end() - kHistoryMessages);
  if (auto q = quota_.check(actor, Metric::Question); !q) return q.error();

  GroundedRequest request;
  request.model = in.model;
  if (in.temperature) request.options["temperature"] = *in.temperature;
  if (!in.instructions.empty())
    request.messages.push_back(json::object{{"role", "system"}, {"content", in.instructions}});
  request.file_ids = conversation->file_ids;
  request.folder_ids = conversation->folder_ids;
  request.search_all_files = request.file_ids.empty() && request.folder_ids.empty();
  request.wait_for_pending = true;
  size_t budget = kHistoryBudgetChars;
  std::vector<json::object> turns;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {  // newest first, until the budget is spent
    const size_t n = core::utf8_length(it->content);
    if (n > budget) break;
    budget -= n;
    turns.push_back(json::object{{"role", it->role}, {"content", it->content}});
  }
  for (auto it = turns.rbegin(); it != turns.rend(); ++it) request.messages.push_back(std::move(*it));
  const std::string question = asked ? asked->content : in.question;
  request.messages.push_back(json::object{{"role", "user"}, {"content", question}});

  auto prepared = answers_.prepare(actor, request, cancel);
  if (!prepared) return prepared.error();

  // The question is stored before the answer streams, so a client that leaves still finds it.
  store::MessageRecord user;
  if (asked) {
    user = *asked;
  } else {
    user.id = core::new_id();
    user.conversation_id = conversation->id;
    user.role = "user";
    user.content = question;
    user.created_at = now();
    user.metadata = json::serialize(in.metadata);
  }
  return deliver(actor, *conversation, *prepared, user, !asked, replaced, on_delta, cancel);
}

core::Result<Answer> ChatService::summarize(const Principal& actor, std::string_view conversation_id,
                                            std::string_view model,
                                            const std::function<bool(std::string_view)>& on_delta,
                                            const engines::CancelCheck& cancel) {
  auto conversation = conversations_.get(actor, conversation_id);
  if (!conversation) return conversation.error();
  if (conversation->file_ids.empty()) {
    return Error(Code::InvalidInput, "the conversation has no file to summarize", "sourceId");
  }
  if (auto q = quota_.check(actor, Metric::Question); !q) return q.error();
  GroundedRequest request;
  request.model = std::string(model);
  const size_t per_file = kSummaryBudgetChars / conversation->file_ids.size();
  for (const auto& id : conversation->file_ids) {
    auto hits = knowledge_.file_passages(actor, id, per_file);
    if (!hits) return hits.error();
    for (auto& h : *hits) {
      request.given_passages.push_back(engines::Passage{std::move(h.text), h.file_id, h.file_name, h.page});
      request.given_scores.push_back(0);
    }
  }
  if (request.given_passages.empty()) {
    return Error(Code::InvalidInput, "the file has no text to summarize", "sourceId");
  }
  request.messages.push_back(json::object{{"role", "user"}, {"content", kSummaryRequest}});
  auto prepared = answers_.prepare(actor, request, cancel);
  if (!prepared) return prepared.error();
  store::MessageRecord user;
  user.id = core::new_id();
  user.conversation_id = conversation->id;
  user.role = "user";
  user.content = std::string(kSummaryRequest);
  user.created_at = now();
  auto answer = deliver(actor, *conversation, *prepared, user, true, std::nullopt, on_delta, cancel);
  if (answer && answer->answer.status == "complete") {
    auto st = db_.write([&](store::Tx& tx) {
      return store::conversations::set_summary(tx, conversation->id, answer->answer.content, now());
    });
    if (!st) return st.error();
  }
  return answer;
}

namespace {
// The chatbot seed's chat.message payload (chat.completed has the same shape).
json::object message_event(const std::string& account_id, const store::MessageRecord& m) {
  return json::object{{"chat_id", m.conversation_id},
                      {"message_id", m.id},
                      {"user_id", account_id},
                      {"content", m.content},
                      {"role", m.role}};
}
}  // namespace

core::Result<Answer> ChatService::deliver(const Principal& actor, const Conversation& conversation,
                                          const PreparedAnswer& prepared, store::MessageRecord user, bool store_user,
                                          const std::optional<store::MessageRecord>& replaced,
                                          const std::function<bool(std::string_view)>& on_delta,
                                          const engines::CancelCheck& cancel) {
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (replaced) {
      if (auto r = store::conversations::remove_message(tx, conversation.id, replaced->id); !r) return r;
    }
    if (!store_user) return {};
    if (auto s = store::conversations::add_message(tx, user); !s) return s;
    return emit_event(events_, tx, actor.account_id, events::kChatMessage, message_event(actor.account_id, user));
  });
  if (!st) return st.error();
  if (conversation.total_messages == 0 && (conversation.title.empty() || conversation.title == "New Chat")) {
    std::string title = core::utf8_prefix(user.content, 60);
    if (core::utf8_length(user.content) > 60) title += "...";
    for (char& c : title) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    (void)conversations_.rename(actor, conversation.id, title);  // a title is a nicety: never fail the answer
  }

  // The answer streams on the provider's thread (for an upstream, the reactor thread every stream
  // shares), which calls on_delta for each piece; this thread only waits for the end, so a token
  // wakes nothing here. on_delta, and what it refers to, stay valid because nothing returns
  // before on_end has run.
  struct Streamed {
    core::Mutex mu;
    core::CondVar cv;
    std::string content GUARDED_BY(mu);
    engines::Usage usage GUARDED_BY(mu);
    bool stopped GUARDED_BY(mu) = false;  // on_delta asked to stop
    std::optional<core::Status> end GUARDED_BY(mu);
  };
  auto state = std::make_shared<Streamed>();
  engines::StreamCallbacks callbacks;
  callbacks.on_chunk = [state, &on_delta](engines::ChatChunk&& chunk) {
    {
      core::MutexLock lock(state->mu);
      if (chunk.usage) state->usage = *chunk.usage;
      if (chunk.content.empty()) return engines::Flow::Continue;
      state->content += chunk.content;
    }
    if (on_delta(chunk.content)) return engines::Flow::Continue;
    core::MutexLock lock(state->mu);
    state->stopped = true;
    return engines::Flow::Stop;
  };
  callbacks.on_end = [state](core::Status st) {
    core::MutexLock lock(state->mu);
    state->end = std::move(st);
    state->cv.notify_all();
  };
  auto control = prepared.route.provider->stream_async(prepared.request, std::move(callbacks));
  {
    // The caller's cancel flag (a client that left an idle stream) is looked at a few times a
    // second; one that leaves while tokens flow is seen by on_delta at once.
    core::MutexLock lock(state->mu);
    bool cancel_sent = false;
    while (!state->cv.wait_for(lock, kCancelPoll, [&]() REQUIRES(state->mu) { return state->end.has_value(); })) {
      if (!cancel_sent && cancel && cancel()) {
        cancel_sent = true;
        lock.unlock();
        control->cancel();
        lock.lock();
      }
    }
  }
  std::string content;
  engines::Usage usage;
  core::Status streamed;
  bool stopped = false;
  {
    core::MutexLock lock(state->mu);
    content = std::move(state->content);
    usage = state->usage;
    streamed = *state->end;
    stopped = state->stopped;
  }
  const bool cancelled = stopped || (cancel && cancel());
  if (!streamed && content.empty() && !cancelled) return streamed.error();
  if (usage.total_tokens == 0) {  // no count from the provider: the documented estimate
    usage.completion_tokens = static_cast<int64_t>((core::utf8_length(content) + 3) / 4);
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    usage.estimated = true;
  }

  store::MessageRecord bot;
  bot.id = core::new_id();
  bot.conversation_id = conversation.id;
  bot.role = "assistant";
  bot.content = content;
  bot.model = prepared.route.model;
  bot.status = cancelled ? "interrupted" : (streamed ? "complete" : "failed");
  std::vector<MessageCitation> citations;
  for (const auto& c : find_citations(content, prepared.passages.size())) {
    if (std::any_of(citations.begin(), citations.end(), [&](const auto& x) { return x.number == c.number; })) continue;
    const auto& p = prepared.passages[static_cast<size_t>(c.number - 1)];
    citations.push_back(MessageCitation{c.number, p.file_id, p.file_name, p.page,
                                        core::utf8_prefix(p.text, kSnippetChars),
                                        prepared.scores[static_cast<size_t>(c.number - 1)]});
  }
  bot.citations = citations_json(citations);
  bot.usage = usage_json(usage);
  bot.created_at = now();
  st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::conversations::add_message(tx, bot); !s) return s;
    json::object data = message_event(actor.account_id, bot);
    data["status"] = bot.status;
    data["model"] = bot.model;
    return emit_event(events_, tx, actor.account_id, events::kChatCompleted, data);
  });
  if (!st) return st.error();
  if (auto r = quota_.record(actor.account_id, Metric::Question); !r) return r.error();
  return Answer{from_record(user), from_record(bot)};
}

core::Result<Message> ChatService::append(const Principal& actor, std::string_view conversation_id,
                                          std::string_view role, std::string_view content,
                                          const json::object& metadata) {
  auto conversation = conversations_.get(actor, conversation_id);
  if (!conversation) return conversation.error();
  if (role != "user" && role != "assistant" && role != "system") {
    return Error(Code::InvalidInput, "role must be user, assistant or system", "role");
  }
  if (content.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error(Code::MissingField, "content must not be empty", "content");
  }
  if (core::utf8_length(content) > kMaxQuestionChars) {
    return Error(Code::InvalidInput, "content must be at most 20000 characters", "content");
  }
  store::MessageRecord r;
  r.id = core::new_id();
  r.conversation_id = conversation->id;
  r.role = std::string(role);
  r.content = std::string(content);
  r.created_at = now();
  r.metadata = json::serialize(metadata);
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::conversations::add_message(tx, r); !s) return s;
    return emit_event(events_, tx, actor.account_id, events::kChatMessage, message_event(actor.account_id, r));
  });
  if (!st) return st.error();
  return from_record(r);
}

core::Result<std::vector<Message>> ChatService::messages_after(const Principal& actor, std::string_view conversation_id,
                                                               int64_t after_seq, int64_t limit) {
  auto conversation = conversations_.get(actor, conversation_id);
  if (!conversation) return conversation.error();
  std::vector<Message> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto records = store::conversations::messages_after(tx, conversation->id, after_seq, limit);
    if (!records) return records.error();
    for (const auto& r : *records) out.push_back(from_record(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<MessagePage> ChatService::messages(const Principal& actor, std::string_view conversation_id, int64_t limit,
                                                int64_t offset) {
  auto conversation = conversations_.get(actor, conversation_id);
  if (!conversation) return conversation.error();
  MessagePage page;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto total = store::conversations::message_count(tx, conversation->id);
    if (!total) return total.error();
    page.total = *total;
    auto records = store::conversations::messages(tx, conversation->id, limit, offset);
    if (!records) return records.error();
    for (const auto& r : *records) page.items.push_back(from_record(r));
    return {};
  });
  if (!st) return st.error();
  return page;
}

}  // namespace docent::services
