#include "store/conversations.h"

namespace docent::store {

namespace {

constexpr std::string_view kColumns =
    "id, account_id, title, source_id, summary, last_message, total_messages, file_type, version, created_at, "
    "updated_at, thread_id";

ConversationRecord from_row(const Row& r) {
  ConversationRecord c;
  c.id = r.get_text(0);
  c.account_id = r.get_text(1);
  c.title = r.get_text(2);
  c.source_id = r.get_text(3);
  c.summary = r.get_text(4);
  c.last_message = r.get_text(5);
  c.total_messages = r.get_int(6);
  c.file_type = r.get_text(7);
  c.version = r.get_int(8);
  c.created_at = r.get_text(9);
  c.updated_at = r.get_text(10);
  c.thread_id = r.opt_int(11);
  return c;
}

core::Result<std::optional<ConversationRecord>> one(Tx& tx, std::string_view column, Value value,
                                                    std::string_view account_id) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM conversations WHERE " + std::string(column) + " = ?";
  std::vector<Value> args{std::move(value)};
  if (!account_id.empty()) {
    sql += " AND account_id = ?";
    args.emplace_back(std::string(account_id));
  }
  auto row = tx.query_one(sql, args);
  if (!row) return row.error();
  if (!*row) return std::optional<ConversationRecord>();
  return std::optional<ConversationRecord>(from_row(**row));
}

constexpr std::string_view kMessageColumns =
    "id, conversation_id, seq, role, content, citations, usage, model, status, created_at, metadata";

MessageRecord message_from_row(const Row& r) {
  MessageRecord m;
  m.id = r.get_text(0);
  m.conversation_id = r.get_text(1);
  m.seq = r.get_int(2);
  m.role = r.get_text(3);
  m.content = r.get_text(4);
  m.citations = r.get_text(5);
  m.usage = r.get_text(6);
  m.model = r.get_text(7);
  m.status = r.get_text(8);
  m.created_at = r.get_text(9);
  m.metadata = r.get_text(10);
  return m;
}

// The messages matching `where` (which may end in ORDER BY and LIMIT).
core::Result<std::vector<MessageRecord>> message_list(Tx& tx, std::string_view where, std::vector<Value> args) {
  auto rows = tx.query("SELECT " + std::string(kMessageColumns) + " FROM messages WHERE " + std::string(where), args);
  if (!rows) return rows.error();
  std::vector<MessageRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(message_from_row(r));
  return out;
}

// The conversation's count and last message from its messages as they are now.
core::Status refresh_summary(Tx& tx, std::string_view conversation_id, std::string_view at) {
  return tx.exec(
      "UPDATE conversations SET total_messages = (SELECT COUNT(*) FROM messages WHERE conversation_id = ?1), "
      "last_message = COALESCE((SELECT content FROM messages WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1), ''), "
      "updated_at = ?2, version = version + 1 WHERE id = ?1",
      {std::string(conversation_id), std::string(at)});
}

}  // namespace

namespace conversations {

core::Status add_message(Tx& tx, MessageRecord& m) {
  auto row = tx.query_one("UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
                          {m.conversation_id});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::NotFound, "conversation not found");
  m.seq = (*row)->get_int(0);
  auto st = tx.exec(
      "INSERT INTO messages (id, conversation_id, seq, role, content, citations, usage, model, status, "
      "created_at, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {m.id, m.conversation_id, m.seq, m.role, m.content, m.citations, m.usage, m.model, m.status, m.created_at,
       m.metadata});
  if (!st) return st;
  return refresh_summary(tx, m.conversation_id, m.created_at);
}

core::Result<std::vector<MessageRecord>> messages(Tx& tx, std::string_view conversation_id, int64_t limit,
                                                  int64_t offset) {
  return message_list(tx, "conversation_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
                      {std::string(conversation_id), limit, offset});
}

core::Result<std::vector<MessageRecord>> messages_after(Tx& tx, std::string_view conversation_id, int64_t after_seq,
                                                        int64_t limit) {
  return message_list(tx, "conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                      {std::string(conversation_id), after_seq, limit});
}

core::Result<int64_t> message_count(Tx& tx, std::string_view conversation_id) {
  auto row = tx.query_one("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", {std::string(conversation_id)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Status clear_messages(Tx& tx, std::string_view conversation_id, std::string_view at) {
  auto st = tx.exec("DELETE FROM messages WHERE conversation_id = ?", {std::string(conversation_id)});
  if (!st) return st;
  return refresh_summary(tx, conversation_id, at);
}

core::Status remove_message(Tx& tx, std::string_view conversation_id, std::string_view message_id) {
  auto st = tx.exec("DELETE FROM messages WHERE id = ? AND conversation_id = ?",
                    {std::string(message_id), std::string(conversation_id)});
  if (!st) return st;
  auto row = tx.query_one("SELECT updated_at FROM conversations WHERE id = ?", {std::string(conversation_id)});
  if (!row) return row.error();
  return refresh_summary(tx, conversation_id, *row ? (*row)->get_text(0) : std::string());
}

core::Status insert(Tx& tx, const ConversationRecord& c, const std::vector<ContextItem>& context) {
  auto st = tx.exec(
      "INSERT INTO conversations (id, account_id, title, source_id, summary, last_message, total_messages, "
      "file_type, version, created_at, updated_at, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {c.id, c.account_id, c.title, c.source_id, c.summary, c.last_message, c.total_messages, c.file_type, c.version,
       c.created_at, c.updated_at, c.thread_id ? Value(*c.thread_id) : Value(nullptr)});
  if (!st) return st;
  if (c.thread_id) {  // a thread id the client chose: later automatic ones go above it
    st = tx.exec("UPDATE accounts SET last_thread_id = ? WHERE id = ? AND last_thread_id < ?",
                 {*c.thread_id, c.account_id, *c.thread_id});
    if (!st) return st;
  }
  return add_context(tx, c.id, context);
}

core::Status add_context(Tx& tx, std::string_view conversation_id, const std::vector<ContextItem>& context) {
  if (context.empty()) return {};
  const auto n = static_cast<int64_t>(context.size());
  auto row =
      tx.query_one("UPDATE conversations SET context_size = context_size + ? WHERE id = ? RETURNING context_size",
                   {n, std::string(conversation_id)});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::NotFound, "conversation not found");
  int64_t position = (*row)->get_int(0) - n;
  for (const ContextItem& item : context) {
    auto nullable = [](const std::optional<std::string>& v) { return v ? Value(*v) : Value(nullptr); };
    auto st =
        tx.exec("INSERT INTO conversation_context (conversation_id, position, file_id, folder_id) VALUES (?, ?, ?, ?)",
                {std::string(conversation_id), position++, nullable(item.file_id), nullable(item.folder_id)});
    if (!st) return st;
  }
  return {};
}

core::Result<int64_t> next_thread_id(Tx& tx, std::string_view account_id) {
  auto row =
      tx.query_one("UPDATE accounts SET last_thread_id = last_thread_id + 1 WHERE id = ? RETURNING last_thread_id",
                   {std::string(account_id)});
  if (!row) return row.error();
  if (!*row) return core::Error(core::Code::NotFound, "account not found");
  return (*row)->get_int(0);
}

core::Result<std::optional<ConversationRecord>> by_id(Tx& tx, std::string_view id, std::string_view account_id) {
  return one(tx, "id", std::string(id), account_id);
}

core::Result<std::optional<ConversationRecord>> by_source_id(Tx& tx, std::string_view source_id,
                                                             std::string_view account_id) {
  return one(tx, "source_id", std::string(source_id), account_id);
}

core::Result<std::optional<ConversationRecord>> by_thread_id(Tx& tx, std::string_view account_id, int64_t thread_id) {
  return one(tx, "thread_id", thread_id, account_id);
}

core::Result<std::vector<ContextItem>> context_of(Tx& tx, std::string_view conversation_id) {
  auto rows =
      tx.query("SELECT file_id, folder_id FROM conversation_context WHERE conversation_id = ? ORDER BY position",
               {std::string(conversation_id)});
  if (!rows) return rows.error();
  std::vector<ContextItem> out;
  for (const Row& r : *rows) {
    ContextItem item;
    if (!r.is_null(0)) item.file_id = r.get_text(0);
    if (!r.is_null(1)) item.folder_id = r.get_text(1);
    out.push_back(std::move(item));
  }
  return out;
}

core::Result<std::vector<ConversationRecord>> list(Tx& tx, std::string_view account_id, int64_t limit, int64_t offset) {
  auto rows =
      tx.query("SELECT " + std::string(kColumns) +
                   " FROM conversations WHERE account_id = ? ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?",
               {std::string(account_id), limit, offset});
  if (!rows) return rows.error();
  std::vector<ConversationRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(from_row(r));
  return out;
}

core::Result<int64_t> count(Tx& tx, std::string_view account_id) {
  auto row = tx.query_one("SELECT COUNT(*) FROM conversations WHERE account_id = ?", {std::string(account_id)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

core::Result<bool> set_title(Tx& tx, std::string_view id, std::string_view title, std::string_view at) {
  auto st = tx.exec("UPDATE conversations SET title = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                    {std::string(title), std::string(at), std::string(id)});
  if (!st) return st.error();
  auto row = tx.query_one("SELECT changes()");
  if (!row) return row.error();
  return (*row)->get_int(0) > 0;
}

core::Status set_summary(Tx& tx, std::string_view id, std::string_view summary, std::string_view at) {
  return tx.exec("UPDATE conversations SET summary = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                 {std::string(summary), std::string(at), std::string(id)});
}

core::Result<bool> remove(Tx& tx, std::string_view id) {
  auto st = tx.exec("DELETE FROM conversations WHERE id = ?", {std::string(id)});
  if (!st) return st.error();
  auto row = tx.query_one("SELECT changes()");
  if (!row) return row.error();
  return (*row)->get_int(0) > 0;
}

}  // namespace conversations
}  // namespace docent::store
