#include "store/extractions.h"

#include "store/counters.h"

namespace docent::store {

namespace {

constexpr std::string_view kColumns =
    "id, seq, account_id, kind, status, file_name, xlsx_sha256, xlsx_size, error, created_at";

ExtractionRecord from_row(const Row& r) {
  ExtractionRecord e;
  e.id = r.get_text(0);
  e.seq = r.get_int(1);
  e.account_id = r.get_text(2);
  e.kind = r.get_text(3);
  e.status = r.get_text(4);
  e.file_name = r.get_text(5);
  e.xlsx_sha256 = r.get_text(6);
  e.xlsx_size = r.get_int(7);
  e.error = r.get_text(8);
  e.created_at = r.get_text(9);
  return e;
}

core::Status load_documents(Tx& tx, ExtractionRecord& e) {
  auto rows = tx.query(
      "SELECT position, file_name, file_id, source_sha256, pages, result FROM extraction_documents "
      "WHERE extraction_id = ? ORDER BY position",
      {e.id});
  if (!rows) return rows.error();
  for (const auto& r : *rows) {
    e.documents.push_back(ExtractionDocumentRecord{r.get_int(0), r.get_text(1), r.opt_text(2), r.get_text(3),
                                                   r.get_int(4), r.get_text(5)});
  }
  return {};
}

}  // namespace

namespace extractions {

core::Status insert(Tx& tx, ExtractionRecord& e) {
  auto next = counters::next(tx, "extractions");
  if (!next) return next.error();
  e.seq = *next;
  auto st = tx.exec("INSERT INTO extractions (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    {e.id, e.seq, e.account_id, e.kind, e.status, e.file_name, e.xlsx_sha256, e.xlsx_size, e.error,
                     e.created_at});
  if (!st) return st;
  for (const auto& d : e.documents) {
    st = tx.exec(
        "INSERT INTO extraction_documents (extraction_id, position, file_name, file_id, source_sha256, pages, result) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {e.id, d.position, d.file_name, d.file_id ? Value(*d.file_id) : Value(nullptr), d.source_sha256, d.pages,
         d.result});
    if (!st) return st;
  }
  return {};
}

core::Result<std::optional<ExtractionRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM extractions WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<ExtractionRecord>();
  ExtractionRecord e = from_row(**row);
  if (auto st = load_documents(tx, e); !st) return st.error();
  return std::optional<ExtractionRecord>(std::move(e));
}

core::Result<std::vector<ExtractionRecord>> list(Tx& tx, std::string_view account_id, int64_t after_seq,
                                                 int64_t limit) {
  auto rows = tx.query("SELECT " + std::string(kColumns) +
                           " FROM extractions WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                       {std::string(account_id), after_seq, limit});
  if (!rows) return rows.error();
  std::vector<ExtractionRecord> out;
  for (const auto& r : *rows) {
    out.push_back(from_row(r));
    if (auto st = load_documents(tx, out.back()); !st) return st.error();
  }
  return out;
}

core::Result<int64_t> count_sha(Tx& tx, std::string_view sha256) {
  auto row = tx.query_one(
      "SELECT (SELECT COUNT(*) FROM extractions WHERE xlsx_sha256 = ?1) + "
      "(SELECT COUNT(*) FROM extraction_documents WHERE source_sha256 = ?1)",
      {std::string(sha256)});
  if (!row) return row.error();
  return (*row)->get_int(0);
}

}  // namespace extractions
}  // namespace docent::store
