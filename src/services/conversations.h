#pragma once
// Conversations: who owns them, what they answer from. Transport-free; each face shows them in
// its own shape (chatpdf's conversation object, nexus sessions, sherpa threads, chatbot chats).

#include "services/knowledge.h"
#include "services/principal.h"
#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct Conversation {
  std::string id;
  std::string account_id;
  std::string title;
  std::string source_id;  // "src_" + 21 base62 characters; chatpdf addresses a conversation by it
  std::string summary;
  std::string last_message;
  int64_t total_messages = 0;
  std::string file_type;  // the first attached file's source type ("pdf"), or empty
  int64_t version = 0;
  std::vector<std::string> file_ids;    // context, in the order attached
  std::vector<std::string> folder_ids;  // context, in the order attached
  std::string created_at, updated_at;  // RFC 3339 with milliseconds, as chatpdf shows them
};

struct NewConversation {
  std::string title;
  std::vector<std::string> file_ids;    // each must be the caller's (NotFound otherwise)
  std::vector<std::string> folder_ids;  // each must be the caller's (NotFound otherwise)
};

struct ConversationPage {
  std::vector<Conversation> items;
  int64_t total = 0;  // all of the account's conversations
};

class ConversationService {
 public:
  ConversationService(store::Database& db, KnowledgeService& knowledge);

  // Creates a conversation owned by the caller over the given files and folders. NotFound for a
  // file or folder the caller cannot see (never revealing that it exists); InvalidInput for a
  // title over 500 characters.
  core::Result<Conversation> create(const Principal& actor, const NewConversation& input);
  // NotFound unless the conversation is the caller's (admins see all).
  core::Result<Conversation> get(const Principal& actor, std::string_view id);
  core::Result<Conversation> get_by_source(const Principal& actor, std::string_view source_id);
  // The caller's own conversations, most recently updated first: `limit` from `offset`.
  core::Result<ConversationPage> list(const Principal& actor, int64_t limit, int64_t offset);
  // NotFound unless the conversation is the caller's; InvalidInput for an empty title or one
  // over 500 characters.
  core::Result<Conversation> rename(const Principal& actor, std::string_view id, std::string_view title);
  // Deletes the conversation and its messages (its files stay). NotFound unless it is the caller's.
  core::Status remove(const Principal& actor, std::string_view id);

 private:
  core::Result<Conversation> load(const Principal& actor, std::string_view column_value, bool by_source);

  store::Database& db_;
  KnowledgeService& knowledge_;
};

}  // namespace docent::services
