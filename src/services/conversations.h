#pragma once
// Conversations: who owns them, what they answer from. Transport-free; each face shows them in
// its own shape (chatpdf's conversation object, nexus sessions, sherpa threads, chatbot chats).

#include "services/knowledge.h"
#include "services/principal.h"
#include "store/conversations.h"
#include "store/database.h"

#include <functional>
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
  std::string created_at, updated_at;   // RFC 3339 with milliseconds, as chatpdf shows them
  std::optional<int64_t> thread_id;     // the account's own integer key (sherpa's thread_id), if any
};

struct NewConversation {
  std::string title;
  std::vector<std::string> file_ids;    // each must be the caller's (NotFound otherwise)
  std::vector<std::string> folder_ids;  // each must be the caller's (NotFound otherwise)
  // A positive integer key of the caller's own for the conversation (sherpa's thread_id), unique
  // per account: Conflict when the caller already uses it. 0 takes the next free one.
  std::optional<int64_t> thread_id;
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
  // The caller's own conversation with that thread_id (keys are per account, admins included).
  core::Result<Conversation> get_by_thread(const Principal& actor, int64_t thread_id);
  // The caller's own conversations, most recently updated first: `limit` from `offset`.
  core::Result<ConversationPage> list(const Principal& actor, int64_t limit, int64_t offset);
  // NotFound unless the conversation is the caller's; InvalidInput for an empty title or one
  // over 500 characters.
  core::Result<Conversation> rename(const Principal& actor, std::string_view id, std::string_view title);
  // Deletes the conversation and its messages (its files stay). NotFound unless it is the caller's.
  core::Status remove(const Principal& actor, std::string_view id);
  // Deletes every message and keeps the conversation and its context. NotFound unless it is the
  // caller's.
  core::Status clear(const Principal& actor, std::string_view id);
  // Adds files and folders to the conversation's context, after the ones it has; those already
  // attached are skipped. NotFound unless the conversation and each file and folder are the
  // caller's (nothing is attached then).
  core::Result<Conversation> attach(const Principal& actor, std::string_view id,
                                    const std::vector<std::string>& file_ids,
                                    const std::vector<std::string>& folder_ids);

 private:
  core::Result<Conversation> load(
      const std::function<core::Result<std::optional<store::ConversationRecord>>(store::Tx&)>& lookup);
  // The context items for these files and folders, each checked to be the caller's.
  core::Result<std::vector<store::ContextItem>> context_items(const Principal& actor,
                                                              const std::vector<std::string>& file_ids,
                                                              const std::vector<std::string>& folder_ids,
                                                              std::string* first_file_type);

  store::Database& db_;
  KnowledgeService& knowledge_;
};

}  // namespace docent::services
