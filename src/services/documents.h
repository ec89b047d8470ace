#pragma once
// Document artifacts (the chatbot seed's Document API): a title, a content and a type, versioned.
// Every write makes a new version (1, 2, ...) and keeps the ones before it; reads, lists and
// deletes check the owner (another account's document is NotFound, as a missing one).
//
// Documents are knowledge: the current version is also a knowledge file (purpose "document",
// named "<title> (v<n>)" with the type's extension, metadata {document_id, document_version}),
// queued for the ingest job in the transaction that writes the version, so search and chat cite
// it once the job has indexed it. Writing a new version removes the previous version's file (its
// chunks leave the search index) in that same transaction. The file's ingestion is reported by the
// file (services/knowledge.h): pages it parses count against the plan as any file's do.
//
// Limits: title 1..500 bytes without control characters; content 1 byte to 1 MiB (kMaxContent);
// type one of kTypes. Events document.created, document.updated and document.deleted are emitted
// in the causing transaction (services/events.h).

#include "services/events.h"
#include "services/knowledge.h"
#include "services/principal.h"
#include "store/blob_store.h"
#include "store/database.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::services {

class JobQueue;

struct Document {
  std::string id;  // "doc_" + UUIDv7
  std::string account_id;
  std::string title, content, type;
  int64_t version = 1;
  std::optional<std::string> file_id;  // the current version's knowledge file
  std::string created_at, updated_at;
};

struct DocumentVersion {
  std::string document_id;
  int64_t version = 0;
  std::string title, content, type;  // content empty in version lists
  int64_t content_bytes = 0;
  std::string created_at;
};

struct NewDocument {
  std::string title, content, type = "text";
};

// An update: what is set changes; at least one of the three must be.
struct DocumentChange {
  std::optional<std::string> title, content, type;
};

struct DocumentQuery {
  std::string type;    // empty: any type
  std::string search;  // words over title and content (all of them must be there)
  int64_t limit = 20;  // 1..100
  int64_t offset = 0;  // 0..
};

struct DocumentList {
  std::vector<Document> items;
  int64_t total = 0;
};

class DocumentService {
 public:
  static constexpr std::array<std::string_view, 5> kTypes{"markdown", "code", "text", "html", "json"};
  static constexpr size_t kMaxTitle = 500;
  static constexpr size_t kMaxContent = 1024 * 1024;

  DocumentService(store::Database& db, store::BlobStore& blobs, JobQueue& jobs, KnowledgeService& knowledge);
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }

  // InvalidInput for an unknown type, an overlong or control-character title or content beyond
  // kMaxContent (PayloadTooLarge); MissingField for an empty title or content.
  core::Result<Document> create(const Principal& actor, const NewDocument& in);
  // Version += 1 with the change applied; the old version is kept. NotFound for another account's.
  core::Result<Document> update(const Principal& actor, std::string_view id, const DocumentChange& change);
  core::Result<Document> get(const Principal& actor, std::string_view id);
  // The caller's documents, most recently updated first. InvalidInput for a bad type or range.
  core::Result<DocumentList> list(const Principal& actor, const DocumentQuery& query);
  // Every version, oldest first, without content.
  core::Result<std::vector<DocumentVersion>> versions(const Principal& actor, std::string_view id);
  // Version n with its content; NotFound for a version the document never had.
  core::Result<DocumentVersion> version(const Principal& actor, std::string_view id, int64_t n);
  // Deletes the document, its versions and its knowledge file.
  core::Status remove(const Principal& actor, std::string_view id);

  static bool is_type(std::string_view type);

 private:
  store::Database& db_;
  store::BlobStore& blobs_;
  JobQueue& jobs_;
  KnowledgeService& knowledge_;
  EventSink* events_ = nullptr;
};

}  // namespace docent::services
