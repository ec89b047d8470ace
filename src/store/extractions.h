#pragma once
// Extractions and their documents (migration 0006).

#include "store/database.h"

#include <optional>
#include <string>
#include <vector>

namespace docent::store {

struct ExtractionDocumentRecord {
  int64_t position = 0;
  std::string file_name;
  std::optional<std::string> file_id;
  std::string source_sha256;
  int64_t pages = 0;
  std::string result;  // JSON
};

struct ExtractionRecord {
  std::string id;
  int64_t seq = 0;  // set by insert
  std::string account_id;
  std::string kind;    // invoice, po, dc, ewaybill
  std::string status;  // completed, failed
  std::string file_name;
  std::string xlsx_sha256;
  int64_t xlsx_size = 0;
  std::string error;
  std::string created_at;
  std::vector<ExtractionDocumentRecord> documents;
};

namespace extractions {

// Inserts the extraction and its documents; sets e.seq.
core::Status insert(Tx& tx, ExtractionRecord& e);
// The extraction with its documents, whoever owns it (the caller checks).
core::Result<std::optional<ExtractionRecord>> by_id(Tx& tx, std::string_view id);
// The account's extractions after `after_seq` in creation order, at most `limit`, with documents.
core::Result<std::vector<ExtractionRecord>> list(Tx& tx, std::string_view account_id, int64_t after_seq, int64_t limit);
// How many extractions or their documents use the blob `sha256` (as workbook or source).
core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256);

}  // namespace extractions
}  // namespace docent::store
