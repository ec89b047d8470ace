#include "store/documents.h"

#include "store/counters.h"
#include "store/knowledge.h"

namespace docent::store {

namespace {

constexpr std::string_view kColumns = "id, account_id, title, content, type, version, file_id, created_at, updated_at";

DocumentRecord from_row(const Row& r) {
  DocumentRecord d;
  d.id = r.get_text(0);
  d.account_id = r.get_text(1);
  d.title = r.get_text(2);
  d.content = r.get_text(3);
  d.type = r.get_text(4);
  d.version = r.get_int(5);
  d.file_id = r.opt_text(6);
  d.created_at = r.get_text(7);
  d.updated_at = r.get_text(8);
  return d;
}

Value opt(const std::optional<std::string>& s) { return s ? Value(*s) : Value(nullptr); }

core::Status insert_version(Tx& tx, const DocumentRecord& d) {
  return tx.exec(
      "INSERT INTO document_versions (document_id, version, title, content, type, created_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {d.id, d.version, d.title, d.content, d.type, d.updated_at});
}

}  // namespace

namespace documents {

core::Status insert(Tx& tx, const DocumentRecord& d) {
  auto seq = counters::next(tx, "document_writes");
  if (!seq) return seq.error();
  auto st = tx.exec(
      "INSERT INTO documents (id, account_id, title, content, type, version, file_id, write_seq, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {d.id, d.account_id, d.title, d.content, d.type, d.version, opt(d.file_id), *seq, d.created_at, d.updated_at});
  if (!st) return st;
  return insert_version(tx, d);
}

core::Result<std::optional<DocumentRecord>> by_id(Tx& tx, std::string_view id) {
  auto row = tx.query_one("SELECT " + std::string(kColumns) + " FROM documents WHERE id = ?", {std::string(id)});
  if (!row) return row.error();
  if (!*row) return std::optional<DocumentRecord>();
  return std::optional<DocumentRecord>(from_row(**row));
}

core::Status update(Tx& tx, const DocumentRecord& d) {
  auto seq = counters::next(tx, "document_writes");
  if (!seq) return seq.error();
  auto st = tx.exec(
      "UPDATE documents SET title = ?, content = ?, type = ?, version = ?, file_id = ?, write_seq = ?, updated_at = ? "
      "WHERE id = ?",
      {d.title, d.content, d.type, d.version, opt(d.file_id), *seq, d.updated_at, d.id});
  if (!st) return st;
  if (tx.changes() == 0) return core::Error(core::Code::NotFound, "document not found");
  return insert_version(tx, d);
}

core::Status remove(Tx& tx, std::string_view id) {
  return tx.exec("DELETE FROM documents WHERE id = ?", {std::string(id)});
}

core::Result<ListPage> list(Tx& tx, std::string_view account_id, const ListFilter& filter) {
  std::string where = " FROM documents WHERE account_id = ?";
  std::vector<Value> args{std::string(account_id)};
  if (!filter.type.empty()) {
    where += " AND type = ?";
    args.emplace_back(filter.type);
  }
  if (!filter.search.empty()) {
    // Every word must be there (FTS5 joins quoted terms with an implicit AND).
    std::string expression;
    for (const auto& term : chunks::fts_terms(filter.search)) expression += (expression.empty() ? "" : " ") + term;
    if (expression.empty()) return ListPage{};
    where += " AND seq IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)";
    args.emplace_back(std::move(expression));
  }
  ListPage page;
  auto total = tx.query_one("SELECT COUNT(*) AS n" + where, args);
  if (!total) return total.error();
  page.total = *total ? (*total)->get_int(0) : 0;
  args.emplace_back(filter.limit);
  args.emplace_back(filter.offset);
  auto rows = tx.query("SELECT " + std::string(kColumns) + where + " ORDER BY write_seq DESC LIMIT ? OFFSET ?", args);
  if (!rows) return rows.error();
  for (const Row& r : *rows) page.items.push_back(from_row(r));
  return page;
}

core::Result<std::vector<DocumentVersionRecord>> versions(Tx& tx, std::string_view document_id) {
  auto rows = tx.query(
      "SELECT document_id, version, title, type, LENGTH(CAST(content AS BLOB)) AS bytes, created_at "
      "FROM document_versions WHERE document_id = ? ORDER BY version",
      {std::string(document_id)});
  if (!rows) return rows.error();
  std::vector<DocumentVersionRecord> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) {
    DocumentVersionRecord v;
    v.document_id = r.get_text(0);
    v.version = r.get_int(1);
    v.title = r.get_text(2);
    v.type = r.get_text(3);
    v.content_bytes = r.get_int(4);
    v.created_at = r.get_text(5);
    out.push_back(std::move(v));
  }
  return out;
}

core::Result<std::optional<DocumentVersionRecord>> version(Tx& tx, std::string_view document_id, int64_t version) {
  auto row = tx.query_one(
      "SELECT document_id, version, title, content, type, created_at FROM document_versions "
      "WHERE document_id = ? AND version = ?",
      {std::string(document_id), version});
  if (!row) return row.error();
  if (!*row) return std::optional<DocumentVersionRecord>();
  const Row& r = **row;
  DocumentVersionRecord v;
  v.document_id = r.get_text(0);
  v.version = r.get_int(1);
  v.title = r.get_text(2);
  v.content = r.get_text(3);
  v.type = r.get_text(4);
  v.content_bytes = static_cast<int64_t>(v.content.size());
  v.created_at = r.get_text(5);
  return std::optional<DocumentVersionRecord>(std::move(v));
}

}  // namespace documents
}  // namespace docent::store
