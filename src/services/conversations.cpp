#include "services/conversations.h"

#include "core/id.h"
#include "core/text.h"
#include "core/time.h"
#include "store/conversations.h"

#include <algorithm>

namespace docent::services {

using core::Code;
using core::Error;

namespace {

const Error kNotFound(Code::NotFound, "conversation not found");
constexpr size_t kMaxTitleChars = 500;

// "src_" and 21 base62 characters, like the seed's example (src_h1EzrQr5p2ochdf9vb5FI): 125
// random bits, so a source id cannot be guessed.
std::string new_source_id() {
  std::string out = "src_";
  static constexpr std::string_view kAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  unsigned char bytes[21];
  core::random_bytes(bytes, sizeof bytes);
  for (unsigned char b : bytes) out.push_back(kAlphabet[b % 62]);  // 256 % 62 = 8: a negligible bias
  return out;
}

core::Status check_title(std::string_view title) {
  if (core::utf8_length(title) > kMaxTitleChars) {
    return Error(Code::InvalidInput, "title must be at most 500 characters", "title");
  }
  return {};
}

Conversation from_record(store::ConversationRecord r, const std::vector<store::ContextItem>& context) {
  Conversation c;
  c.id = std::move(r.id);
  c.account_id = std::move(r.account_id);
  c.title = std::move(r.title);
  c.source_id = std::move(r.source_id);
  c.summary = std::move(r.summary);
  c.last_message = std::move(r.last_message);
  c.total_messages = r.total_messages;
  c.file_type = std::move(r.file_type);
  c.version = r.version;
  c.created_at = std::move(r.created_at);
  c.updated_at = std::move(r.updated_at);
  c.thread_id = r.thread_id;
  for (const auto& item : context) {
    if (item.file_id) c.file_ids.push_back(*item.file_id);
    if (item.folder_id) c.folder_ids.push_back(*item.folder_id);
  }
  return c;
}

}  // namespace

ConversationService::ConversationService(store::Database& db, KnowledgeService& knowledge)
    : db_(db), knowledge_(knowledge) {}

core::Result<Conversation> ConversationService::create(const Principal& actor, const NewConversation& in) {
  if (auto st = check_title(in.title); !st) return st.error();
  if (in.thread_id && *in.thread_id < 0)
    return Error(Code::InvalidInput, "thread_id must not be negative", "thread_id");
  store::ConversationRecord r;
  auto context = context_items(actor, in.file_ids, in.folder_ids, &r.file_type);
  if (!context) return context.error();
  r.id = core::new_id();
  r.account_id = actor.account_id;
  r.title = in.title;
  r.source_id = new_source_id();
  r.created_at = r.updated_at = core::rfc3339_ms(std::chrono::system_clock::now());
  r.thread_id = in.thread_id;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (r.thread_id && *r.thread_id == 0) {
      auto next = store::conversations::next_thread_id(tx, r.account_id);
      if (!next) return next.error();
      r.thread_id = *next;
    }
    return store::conversations::insert(tx, r, *context);
  });
  if (!st && st.error().code == Code::Conflict && r.thread_id) {
    return Error(Code::Conflict, "thread " + std::to_string(*r.thread_id) + " already exists", "thread_id");
  }
  if (!st) return st.error();
  return from_record(std::move(r), *context);
}

core::Result<std::vector<store::ContextItem>> ConversationService::context_items(
    const Principal& actor, const std::vector<std::string>& file_ids, const std::vector<std::string>& folder_ids,
    std::string* first_file_type) {
  std::vector<store::ContextItem> context;
  for (const auto& id : file_ids) {
    auto f = knowledge_.get_file(actor, id);
    if (!f) return f.error();
    if (first_file_type && first_file_type->empty()) *first_file_type = f->source_type;
    context.push_back(store::ContextItem{.file_id = id});
  }
  for (const auto& id : folder_ids) {
    auto folder = knowledge_.get_folder(actor, id);
    if (!folder) return folder.error();
    context.push_back(store::ContextItem{.folder_id = id});
  }
  return context;
}

core::Result<Conversation> ConversationService::attach(const Principal& actor, std::string_view id,
                                                       const std::vector<std::string>& file_ids,
                                                       const std::vector<std::string>& folder_ids) {
  auto current = get(actor, id);
  if (!current) return current.error();
  auto has = [](const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  std::vector<std::string> files, folders;
  for (const auto& f : file_ids) {
    if (!has(current->file_ids, f) && !has(files, f)) files.push_back(f);
  }
  for (const auto& f : folder_ids) {
    if (!has(current->folder_ids, f) && !has(folders, f)) folders.push_back(f);
  }
  if (files.empty() && folders.empty()) return current;
  auto context = context_items(actor, files, folders, nullptr);
  if (!context) return context.error();
  auto st = db_.write([&](store::Tx& tx) { return store::conversations::add_context(tx, current->id, *context); });
  if (!st) return st.error();
  return get(actor, id);
}

core::Result<Conversation> ConversationService::get(const Principal& actor, std::string_view id) {
  const std::string owner = actor.is_admin() ? std::string() : actor.account_id;
  return load([&](store::Tx& tx) { return store::conversations::by_id(tx, id, owner); });
}

core::Result<Conversation> ConversationService::get_by_source(const Principal& actor, std::string_view source_id) {
  const std::string owner = actor.is_admin() ? std::string() : actor.account_id;
  return load([&](store::Tx& tx) { return store::conversations::by_source_id(tx, source_id, owner); });
}

core::Result<Conversation> ConversationService::get_by_thread(const Principal& actor, int64_t thread_id) {
  return load([&](store::Tx& tx) { return store::conversations::by_thread_id(tx, actor.account_id, thread_id); });
}

core::Result<ConversationPage> ConversationService::list(const Principal& actor, int64_t limit, int64_t offset) {
  ConversationPage page;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto total = store::conversations::count(tx, actor.account_id);
    if (!total) return total.error();
    page.total = *total;
    auto records = store::conversations::list(tx, actor.account_id, limit, offset);
    if (!records) return records.error();
    for (auto& r : *records) {
      auto context = store::conversations::context_of(tx, r.id);
      if (!context) return context.error();
      page.items.push_back(from_record(std::move(r), *context));
    }
    return {};
  });
  if (!st) return st.error();
  return page;
}

core::Result<Conversation> ConversationService::rename(const Principal& actor, std::string_view id,
                                                       std::string_view title) {
  if (title.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Error(Code::InvalidInput, "title must not be empty", "title");
  }
  if (auto st = check_title(title); !st) return st.error();
  auto current = get(actor, id);  // ownership first: another account's id is NotFound
  if (!current) return current.error();
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto changed = store::conversations::set_title(tx, current->id, title,
                                                   core::rfc3339_ms(std::chrono::system_clock::now()));
    if (!changed) return changed.error();
    return *changed ? core::Status() : core::Status(kNotFound);
  });
  if (!st) return st.error();
  return get(actor, id);
}

core::Status ConversationService::remove(const Principal& actor, std::string_view id) {
  auto current = get(actor, id);
  if (!current) return current.error();
  return db_.write([&](store::Tx& tx) -> core::Status {
    auto removed = store::conversations::remove(tx, current->id);
    if (!removed) return removed.error();
    return *removed ? core::Status() : core::Status(kNotFound);
  });
}

core::Status ConversationService::clear(const Principal& actor, std::string_view id) {
  auto current = get(actor, id);
  if (!current) return current.error();
  return db_.write([&](store::Tx& tx) {
    return store::conversations::clear_messages(tx, current->id, core::rfc3339_ms(std::chrono::system_clock::now()));
  });
}

core::Result<Conversation> ConversationService::load(
    const std::function<core::Result<std::optional<store::ConversationRecord>>(store::Tx&)>& lookup) {
  std::optional<Conversation> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = lookup(tx);
    if (!r) return r.error();
    if (!*r) return {};
    auto context = store::conversations::context_of(tx, (*r)->id);
    if (!context) return context.error();
    found = from_record(std::move(**r), *context);
    return {};
  });
  if (!st) return st.error();
  if (!found) return kNotFound;
  return std::move(*found);
}

}  // namespace docent::services
