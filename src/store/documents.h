#pragma once
// Document artifacts (migration 0019): the current version of each document, every version it
// has had, and full-text search over the current title and content.

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct DocumentRecord {
  std::string id;
  std::string account_id;
  std::string title, content, type;
  int64_t version = 1;
  std::optional<std::string> file_id;  // the current version's knowledge file, while it exists
  std::string created_at, updated_at;
};

struct DocumentVersionRecord {
  std::string document_id;
  int64_t version = 0;
  std::string title, content, type;  // content is empty in version lists (see versions())
  int64_t content_bytes = 0;
  std::string created_at;
};

namespace documents {

// Inserts the document and its version row (version = document.version).
core::Status insert(Tx& tx, const DocumentRecord& document);
core::Result<std::optional<DocumentRecord>> by_id(Tx& tx, std::string_view id);
// Writes the document's current title, content, type, version, file and updated_at, and adds the
// version row for `document.version` (which must be new: Conflict otherwise).
core::Status update(Tx& tx, const DocumentRecord& document);
// Deletes the document and its versions.
core::Status remove(Tx& tx, std::string_view id);

struct ListFilter {
  std::string type;    // empty: any
  std::string search;  // plain words over title and content; empty: no search
  int64_t limit = 20, offset = 0;
};
struct ListPage {
  std::vector<DocumentRecord> items;
  int64_t total = 0;  // documents matching the filter, ignoring limit and offset
};
// The account's documents matching `filter`, the most recently written (created or updated) first. Search words are
// quoted for the full-text engine (no user text is query syntax); text with no searchable word
// matches nothing.
core::Result<ListPage> list(Tx& tx, std::string_view account_id, const ListFilter& filter);

// Every version of the document, oldest first, without their content (content_bytes says how long).
core::Result<std::vector<DocumentVersionRecord>> versions(Tx& tx, std::string_view document_id);
core::Result<std::optional<DocumentVersionRecord>> version(Tx& tx, std::string_view document_id, int64_t version);

}  // namespace documents
}  // namespace docent::store
