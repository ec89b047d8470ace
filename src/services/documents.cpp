#include "services/documents.h"

#include "core/id.h"
#include "core/time.h"
#include "services/jobs.h"
#include "store/documents.h"
#include "store/knowledge.h"

#include <boost/json.hpp>

#include <algorithm>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

const Error kDocumentNotFound(Code::NotFound, "document not found");

Document to_document(const store::DocumentRecord& r) {
  return Document{r.id, r.account_id, r.title, r.content, r.type, r.version, r.file_id, r.created_at, r.updated_at};
}

DocumentVersion to_version(const store::DocumentVersionRecord& r) {
  return DocumentVersion{r.document_id, r.version, r.title, r.content, r.type, r.content_bytes, r.created_at};
}

std::string type_list() {
  std::string s;
  for (auto t : DocumentService::kTypes) s += (s.empty() ? "" : ", ") + std::string(t);
  return s;
}

core::Status check_type(std::string_view type) {
  if (DocumentService::is_type(type)) return {};
  return Error(Code::InvalidInput, "type must be one of " + type_list(), "type");
}

core::Status check_title(std::string_view title) {
  if (title.empty()) return Error(Code::MissingField, "title is required", "title");
  if (title.size() > DocumentService::kMaxTitle) {
    return Error(Code::InvalidInput, "title must be at most " + std::to_string(DocumentService::kMaxTitle) + " bytes",
                 "title");
  }
  for (unsigned char c : title) {
    if (c < 0x20 || c == 0x7f) return Error(Code::InvalidInput, "title must not contain control characters", "title");
  }
  return {};
}

core::Status check_content(std::string_view content) {
  if (content.empty()) return Error(Code::MissingField, "content is required", "content");
  if (content.size() > DocumentService::kMaxContent) {
    Error e(Code::PayloadTooLarge, "content must be at most " + std::to_string(DocumentService::kMaxContent) + " bytes",
            "content");
    e.details["limit"] = static_cast<int64_t>(DocumentService::kMaxContent);
    return e;
  }
  return {};
}

// The extension that makes the ingest job read a type as it is written.
std::string_view extension(std::string_view type) {
  if (type == "markdown") return ".md";
  if (type == "html") return ".html";
  return ".txt";
}

// The knowledge file of a document's current version, its bytes already in the blob store.
// Parsed as the type says: Markdown and HTML by their structure (sections from headings),
// anything else as plain text, whatever the bytes look like.
store::FileRecord knowledge_file(const store::DocumentRecord& d, const store::BlobInfo& blob) {
  store::FileRecord f;
  f.id = core::new_id();
  f.account_id = d.account_id;
  f.name = d.title + " (v" + std::to_string(d.version) + ")" + std::string(extension(d.type));
  f.description = "document " + d.id + " version " + std::to_string(d.version);
  f.mime = d.type == "markdown" ? "text/markdown" : d.type == "html" ? "text/html" : "text/plain";
  f.source_type = d.type == "markdown" ? "markdown" : d.type == "html" ? "html" : "text";
  f.size = static_cast<int64_t>(blob.size);
  f.sha256 = blob.sha256;
  f.purpose = "document";
  f.metadata = json::serialize(json::object{{"document_id", d.id}, {"document_version", d.version}});
  f.created_at = f.updated_at = d.updated_at;
  return f;
}

json::object event_data(const store::DocumentRecord& d) {
  return json::object{{"document_id", d.id}, {"title", d.title}, {"type", d.type}, {"version", d.version}};
}

// The current version's file: removed if `old` names one, inserted and queued for ingestion.
core::Status replace_file(store::Tx& tx, JobQueue& jobs, store::DocumentRecord& d, store::FileRecord& file,
                          const std::optional<store::FileRecord>& old) {
  if (old) {
    if (auto s = store::files::remove(tx, old->id); !s) return s;
  }
  auto job = jobs.enqueue(tx, "ingest", d.account_id, json::object{{"file_id", file.id}});
  if (!job) return job.error();
  file.job_id = *job;
  if (auto s = store::files::insert(tx, file); !s) return s;
  d.file_id = file.id;
  return {};
}

}  // namespace

bool DocumentService::is_type(std::string_view type) {
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

DocumentService::DocumentService(store::Database& db, store::BlobStore& blobs, JobQueue& jobs,
                                 KnowledgeService& knowledge)
    : db_(db), blobs_(blobs), jobs_(jobs), knowledge_(knowledge) {}

core::Result<Document> DocumentService::create(const Principal& actor, const NewDocument& in) {
  if (auto st = check_title(in.title); !st) return st.error();
  if (auto st = check_content(in.content); !st) return st.error();
  if (auto st = check_type(in.type); !st) return st.error();
  store::DocumentRecord d;
  d.id = "doc_" + core::new_id();
  d.account_id = actor.account_id;
  d.title = in.title;
  d.content = in.content;
  d.type = in.type;
  d.version = 1;
  d.created_at = d.updated_at = core::rfc3339_now();
  // The bytes go to the blob store first (outside the transaction, like an upload's); an orphan
  // left by a failed transaction is content-addressed and harmless.
  auto blob = blobs_.put(d.content);
  if (!blob) return blob.error();
  store::FileRecord file = knowledge_file(d, *blob);
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = replace_file(tx, jobs_, d, file, std::nullopt); !s) return s;
    if (auto s = store::documents::insert(tx, d); !s) return s;
    return emit_event(events_, tx, d.account_id, events::kDocumentCreated, event_data(d));
  });
  if (!st) return st.error();
  jobs_.wake();
  return to_document(d);
}

core::Result<Document> DocumentService::update(const Principal& actor, std::string_view id,
                                               const DocumentChange& change) {
  if (!change.title && !change.content && !change.type) {
    return Error(Code::MissingField, "give at least one of title, content and type", "content");
  }
  if (change.title) {
    if (auto st = check_title(*change.title); !st) return st.error();
  }
  if (change.content) {
    if (auto st = check_content(*change.content); !st) return st.error();
  }
  if (change.type) {
    if (auto st = check_type(*change.type); !st) return st.error();
  }
  std::optional<store::BlobInfo> blob;
  if (change.content) {
    auto put = blobs_.put(*change.content);
    if (!put) return put.error();
    blob = *put;
  }
  store::DocumentRecord d;
  std::optional<store::FileRecord> old;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::documents::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kDocumentNotFound;
    d = std::move(**found);
    if (change.title) d.title = *change.title;
    if (change.content) d.content = *change.content;
    if (change.type) d.type = *change.type;
    d.version += 1;
    d.updated_at = core::rfc3339_now();
    if (d.file_id) {
      auto f = store::files::by_id(tx, *d.file_id);
      if (!f) return f.error();
      old = std::move(*f);
    }
    if (!blob && old) {
      blob = store::BlobInfo{old->sha256, static_cast<uint64_t>(old->size)};  // the same bytes as before
    } else if (!blob) {
      // The content is unchanged but its file is gone (deleted through the files API): stored
      // again. Rare, so done here rather than in a read before the transaction.
      auto put = blobs_.put(d.content);
      if (!put) return put.error();
      blob = *put;
    }
    store::FileRecord file = knowledge_file(d, *blob);
    if (auto s = replace_file(tx, jobs_, d, file, old); !s) return s;
    if (auto s = store::documents::update(tx, d); !s) return s;
    return emit_event(events_, tx, d.account_id, events::kDocumentUpdated, event_data(d));
  });
  if (!st) return st.error();
  jobs_.wake();
  if (old) knowledge_.forget_files({old->id}, {old->sha256});
  return to_document(d);
}

core::Result<Document> DocumentService::get(const Principal& actor, std::string_view id) {
  std::optional<store::DocumentRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::documents::by_id(tx, id);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || !actor.may_access(found->account_id)) return kDocumentNotFound;
  return to_document(*found);
}

core::Result<DocumentList> DocumentService::list(const Principal& actor, const DocumentQuery& q) {
  if (!q.type.empty()) {
    if (auto s = check_type(q.type); !s) return s.error();
  }
  if (q.limit < 1 || q.limit > 100) return Error(Code::InvalidInput, "limit must be from 1 to 100", "limit");
  if (q.offset < 0) return Error(Code::InvalidInput, "offset must not be negative", "offset");
  if (q.search.size() > 1000) return Error(Code::InvalidInput, "search must be at most 1000 bytes", "search");
  DocumentList out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto page = store::documents::list(tx, actor.account_id, {q.type, q.search, q.limit, q.offset});
    if (!page) return page.error();
    out.total = page->total;
    for (const auto& r : page->items) out.items.push_back(to_document(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<std::vector<DocumentVersion>> DocumentService::versions(const Principal& actor, std::string_view id) {
  auto doc = get(actor, id);
  if (!doc) return doc.error();
  std::vector<DocumentVersion> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::documents::versions(tx, doc->id);
    if (!rows) return rows.error();
    for (const auto& r : *rows) out.push_back(to_version(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<DocumentVersion> DocumentService::version(const Principal& actor, std::string_view id, int64_t n) {
  auto doc = get(actor, id);
  if (!doc) return doc.error();
  std::optional<store::DocumentVersionRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::documents::version(tx, doc->id, n);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found) return Error(Code::NotFound, "document " + doc->id + " has no version " + std::to_string(n));
  return to_version(*found);
}

core::Status DocumentService::remove(const Principal& actor, std::string_view id) {
  std::optional<store::FileRecord> old;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::documents::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kDocumentNotFound;
    const auto& d = **found;
    if (d.file_id) {
      auto f = store::files::by_id(tx, *d.file_id);
      if (!f) return f.error();
      old = std::move(*f);
      if (old) {
        if (auto s = store::files::remove(tx, old->id); !s) return s;
      }
    }
    if (auto s = store::documents::remove(tx, d.id); !s) return s;
    return emit_event(events_, tx, d.account_id, events::kDocumentDeleted,
                      json::object{{"document_id", d.id}, {"title", d.title}, {"version", d.version}});
  });
  if (!st) return st;
  if (old) knowledge_.forget_files({old->id}, {old->sha256});
  return {};
}

}  // namespace docent::services
