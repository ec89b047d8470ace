#pragma once
// Chat with documents: a question in a conversation is answered from the conversation's files
// and folders, or from all of the caller's files when it has none (hybrid search -> numbered
// passages -> the routed model), streamed as it is written, and stored with its citations. A
// conversation still titled "" or "New Chat" takes its title from its first question. Transport-free; faces shape the stream and messages.

#include "services/events.h"
#include "engines/llm.h"
#include "services/answers.h"
#include "services/conversations.h"
#include "services/quota.h"
#include "store/conversations.h"
#include "store/database.h"

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct MessageCitation {
  int number = 0;  // the [n] marker in the answer
  std::string file_id, file_name;
  int64_t page = 0;     // 0 = unknown
  std::string snippet;  // the start of the cited passage
  double score = 0;
};

struct Message {
  std::string id;
  std::string conversation_id;
  int64_t seq = 0;
  std::string role;  // user, assistant
  std::string content;
  std::vector<MessageCitation> citations;
  engines::Usage usage;
  std::string model;
  std::string status;  // complete, interrupted (the client left mid-answer), failed
  std::string created_at;
  boost::json::object metadata;  // what the face asked to keep with the message
};

// The question a summary is stored under (chatpdf shows it as the user's message).
inline constexpr std::string_view kSummaryRequest =
    "Please summarize this file and provide the 3 most relevant questions of this file";

struct AskInput {
  std::string conversation_id;
  std::string question;               // 1 to 20,000 characters; for a regeneration, empty means the last question
  std::string model;                  // empty: the default model
  bool regenerate = false;            // replace the last answer instead of asking anew
  std::string instructions;           // a system message put before everything else; empty: none
  std::optional<double> temperature;  // passed on to the model
  boost::json::object metadata;       // kept with the question (a new one; a regeneration keeps its own)
};

struct Answer {
  Message question;  // the stored user message (for a regeneration: the one answered again)
  Message answer;    // the stored assistant message
};

struct MessagePage {
  std::vector<Message> items;  // newest first
  int64_t total = 0;
};

class ChatService {
 public:
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }
  ChatService(store::Database& db, ConversationService& conversations, AnswerService& answers,
              KnowledgeService& knowledge, QuotaService& quota);

  // Answers `in.question` in the caller's conversation. `on_delta` receives the answer's text as
  // it is produced and returns false to stop (the client went away): what was produced is stored
  // marked interrupted. on_delta runs on the model provider's thread (for an upstream, the one
  // reactor thread every stream shares) and must not block: use SseSink::offer, not send. The
  // calling thread waits for the end (checking `cancel` a few times a second). Errors before anything is streamed: NotFound (not the caller's
  // conversation), InvalidInput (question), QuotaExceeded, NotReady (files still ingesting past
  // the wait), UpstreamError.
  core::Result<Answer> ask(const Principal& actor, const AskInput& in,
                           const std::function<bool(std::string_view)>& on_delta, const engines::CancelCheck& cancel);

  // Summarizes the conversation's files and suggests three questions, streamed like an answer and
  // stored as the question kSummaryRequest and its answer; a complete answer also becomes the
  // conversation's summary. The files are read whole (sampled evenly when long), not searched.
  // InvalidInput when the conversation has no file or its files no text; NotReady while a file
  // is still being ingested past the wait; otherwise as ask().
  core::Result<Answer> summarize(const Principal& actor, std::string_view conversation_id, std::string_view model,
                                 const std::function<bool(std::string_view)>& on_delta,
                                 const engines::CancelCheck& cancel);

  // Adds a message to the caller's conversation as it is, without asking anything: role user,
  // assistant or system, content 1 to 20,000 characters (InvalidInput otherwise, field "role" or
  // "content"). NotFound unless the conversation is the caller's.
  core::Result<Message> append(const Principal& actor, std::string_view conversation_id, std::string_view role,
                               std::string_view content, const boost::json::object& metadata);

  // The conversation's messages after the one numbered `after_seq`, oldest first, at most `limit`.
  // NotFound unless it is the caller's.
  core::Result<std::vector<Message>> messages_after(const Principal& actor, std::string_view conversation_id,
                                                    int64_t after_seq, int64_t limit);

  // The conversation's messages, newest first. NotFound unless it is the caller's.
  core::Result<MessagePage> messages(const Principal& actor, std::string_view conversation_id, int64_t limit,
                                     int64_t offset);

 private:
  // Stores the question (unless it is already stored) after removing `replaced`, titles a new
  // conversation, streams the answer and stores it with its citations and usage.
  core::Result<Answer> deliver(const Principal& actor, const Conversation& conversation, const PreparedAnswer& prepared,
                               store::MessageRecord user, bool store_user,
                               const std::optional<store::MessageRecord>& replaced,
                               const std::function<bool(std::string_view)>& on_delta,
                               const engines::CancelCheck& cancel);

  store::Database& db_;
  ConversationService& conversations_;
  AnswerService& answers_;
  KnowledgeService& knowledge_;
  QuotaService& quota_;
  EventSink* events_ = nullptr;
};

}  // namespace docent::services
