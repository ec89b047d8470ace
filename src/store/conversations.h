#pragma once
// Conversations, what they answer from, and their messages.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct ConversationRecord {
  std::string id;
  std::string account_id;
  std::string title;
  std::string source_id;
  std::string summary;
  std::string last_message;
  int64_t total_messages = 0;
  std::string file_type;
  int64_t version = 0;
  std::string created_at, updated_at;
  std::optional<int64_t> thread_id;  // the account's own integer key for it (sherpa's thread_id), if any
};

// One file or one folder a conversation answers from.
struct ContextItem {
  std::optional<std::string> file_id;
  std::optional<std::string> folder_id;
};

struct MessageRecord {
  std::string id;
  std::string conversation_id;
  int64_t seq = 0;
  std::string role;  // system, user, assistant
  std::string content;
  std::string citations = "[]";  // JSON array
  std::string usage = "{}";      // JSON object
  std::string model;
  std::string status = "complete";  // complete, interrupted, failed
  std::string created_at;
  std::string metadata = "{}";  // JSON object a face keeps with the message
};

namespace conversations {

// Inserts the conversation and its context items, in order.
core::Status insert(Tx& tx, const ConversationRecord& c, const std::vector<ContextItem>& context);
// Appends context items after the ones the conversation has.
core::Status add_context(Tx& tx, std::string_view conversation_id, const std::vector<ContextItem>& context);
// The account's next automatic thread_id, from a counter on its row (1 for the first): above
// every thread_id it has used, chosen ones included (insert moves the counter past those).
core::Result<int64_t> next_thread_id(Tx& tx, std::string_view account_id);
// The account's conversation with that thread_id, if any.
core::Result<std::optional<ConversationRecord>> by_thread_id(Tx& tx, std::string_view account_id, int64_t thread_id);
// The conversation if it exists and belongs to `account_id` (empty: any account).
core::Result<std::optional<ConversationRecord>> by_id(Tx& tx, std::string_view id, std::string_view account_id);
core::Result<std::optional<ConversationRecord>> by_source_id(Tx& tx, std::string_view source_id,
                                                             std::string_view account_id);
core::Result<std::vector<ContextItem>> context_of(Tx& tx, std::string_view conversation_id);
// The account's conversations, most recently updated first.
core::Result<std::vector<ConversationRecord>> list(Tx& tx, std::string_view account_id, int64_t limit, int64_t offset);
core::Result<int64_t> count(Tx& tx, std::string_view account_id);
// Sets the title, updated_at and bumps the version. False when no such conversation.
core::Result<bool> set_title(Tx& tx, std::string_view id, std::string_view title, std::string_view at);
// Sets the summary (chatpdf's `summary`), updated_at and bumps the version.
core::Status set_summary(Tx& tx, std::string_view id, std::string_view summary, std::string_view at);
// Deletes the conversation, its context and messages. False when no such conversation.
core::Result<bool> remove(Tx& tx, std::string_view id);

// Appends a message and updates the conversation's count, last message, updated_at and version.
// Its seq is the conversation's next number (a counter on the conversation's row): later messages
// have larger ones, and a seq is never reused, even after the messages before it are deleted.
// NotFound for no such conversation.
core::Status add_message(Tx& tx, MessageRecord& m);
// Messages newest first: `limit` from `offset`.
core::Result<std::vector<MessageRecord>> messages(Tx& tx, std::string_view conversation_id, int64_t limit,
                                                  int64_t offset);
// Messages with a seq above `after_seq`, oldest first, at most `limit`.
core::Result<std::vector<MessageRecord>> messages_after(Tx& tx, std::string_view conversation_id, int64_t after_seq,
                                                        int64_t limit);
core::Result<int64_t> message_count(Tx& tx, std::string_view conversation_id);
// Deletes every message of the conversation.
core::Status clear_messages(Tx& tx, std::string_view conversation_id, std::string_view at);
// Deletes one message and keeps the conversation's count and last message in step.
core::Status remove_message(Tx& tx, std::string_view conversation_id, std::string_view message_id);

}  // namespace conversations
}  // namespace docent::store
