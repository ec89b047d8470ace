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
};

// One file or one folder a conversation answers from.
struct ContextItem {
  std::optional<std::string> file_id;
  std::optional<std::string> folder_id;
};

namespace conversations {

// Inserts the conversation and its context items, in order.
core::Status insert(Tx& tx, const ConversationRecord& c, const std::vector<ContextItem>& context);
// The conversation if it exists and belongs to `account_id` (empty: any account).
core::Result<std::optional<ConversationRecord>> by_id(Tx& tx, std::string_view id, std::string_view account_id);
core::Result<std::optional<ConversationRecord>> by_source_id(Tx& tx, std::string_view source_id,
                                                             std::string_view account_id);
core::Result<std::vector<ContextItem>> context_of(Tx& tx, std::string_view conversation_id);

}  // namespace conversations
}  // namespace docent::store
