#pragma once
// Events that other parts of docent announce (webhooks today; docs/WEBHOOKS.md). A service that
// changes something an account may want to hear about calls emit_event() inside the transaction
// that records the change, so the event exists exactly when the change commits (an outbox): a
// crash loses neither, a rollback keeps neither.
//
//   db_.write([&](store::Tx& tx) -> core::Status {
//     if (auto s = store::files::insert(tx, r); !s) return s;
//     return emit_event(events_, tx, r.account_id, events::kFileUploaded, {{"file_id", r.id}});
//   });
//
// The sink is optional (null in unit tests of a service): emit_event is then a no-op. An error
// from the sink is the transaction's error: return it, so the change rolls back with its event.

#include "core/error.h"
#include "store/database.h"

#include <boost/json/value.hpp>

#include <array>
#include <string_view>

namespace docent::services {

namespace events {
inline constexpr std::string_view kChatMessage = "chat.message";
inline constexpr std::string_view kChatCompleted = "chat.completed";
inline constexpr std::string_view kDocumentCreated = "document.created";  // services/documents.h
inline constexpr std::string_view kDocumentUpdated = "document.updated";
inline constexpr std::string_view kDocumentDeleted = "document.deleted";
inline constexpr std::string_view kFileUploaded = "file.uploaded";
inline constexpr std::string_view kFileProcessed = "file.processed";
inline constexpr std::string_view kFileFailed = "file.failed";
inline constexpr std::string_view kKnowledgeAdded = "knowledge.added";
inline constexpr std::string_view kExtractionCompleted = "extraction.completed";
inline constexpr std::string_view kJobCompleted = "job.completed";
inline constexpr std::string_view kJobFailed = "job.failed";

// Every event type an endpoint may subscribe to ("*" subscribes to all of them).
inline constexpr std::array<std::string_view, 12> kAll{kChatMessage,         kChatCompleted,   kDocumentCreated,
                                                       kDocumentUpdated,     kDocumentDeleted, kFileUploaded,
                                                       kFileProcessed,       kFileFailed,      kKnowledgeAdded,
                                                       kExtractionCompleted, kJobCompleted,    kJobFailed};

inline bool is_known(std::string_view type) {
  for (auto t : kAll) {
    if (t == type) return true;
  }
  return false;
}
}  // namespace events

class EventSink {
 public:
  virtual ~EventSink() = default;
  // Records `type` with `data` (a JSON object) for `account_id` in the caller's transaction.
  // Cheap when the account has no endpoint that wants it: one indexed read, no write.
  virtual core::Status emit(store::Tx& tx, std::string_view account_id, std::string_view type,
                            const boost::json::value& data) = 0;
};

inline core::Status emit_event(EventSink* sink, store::Tx& tx, std::string_view account_id, std::string_view type,
                               const boost::json::value& data) {
  if (!sink || account_id.empty()) return {};
  return sink->emit(tx, account_id, type, data);
}

}  // namespace docent::services
