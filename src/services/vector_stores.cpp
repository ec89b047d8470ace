#include "services/vector_stores.h"

#include "core/id.h"
#include "core/time.h"

#include <boost/json.hpp>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

VectorStoreService::VectorStoreService(store::Database& db, KnowledgeService& knowledge)
    : db_(db), knowledge_(knowledge) {}

core::Result<VectorStore> VectorStoreService::load(const Principal& actor, std::string_view id) {
  std::optional<store::VectorStoreRecord> rec;
  std::vector<std::pair<std::string, std::string>> members;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::vector_stores::by_id(tx, id);
    if (!r) return r.error();
    rec = std::move(*r);
    if (!rec) return {};
    auto f = store::vector_stores::files(tx, id);
    if (!f) return f.error();
    members = std::move(*f);
    return {};
  });
  if (!st) return st.error();
  if (!rec || !actor.may_access(rec->account_id)) return Error(Code::NotFound, "vector store not found");
  VectorStore vs{rec->id, rec->account_id, rec->name, {}, rec->created_at, rec->updated_at, {}};
  boost::system::error_code ec;
  auto meta = json::parse(rec->metadata, ec);
  if (!ec && meta.is_object()) vs.metadata = meta.as_object();
  Principal owner{rec->account_id, Role::Admin};
  for (auto& [file_id, at] : members) {
    auto f = knowledge_.get_file(owner, file_id);
    if (f) vs.files.push_back(VectorStoreFile{file_id, at, std::move(*f)});
  }
  return vs;
}

core::Result<VectorStore> VectorStoreService::create(const Principal& actor, std::string_view name,
                                                     json::object metadata, const std::vector<std::string>& file_ids) {
  if (name.size() > 256) return Error(Code::InvalidInput, "name must be at most 256 characters", "name");
  if (file_ids.size() > 500) return Error(Code::InvalidInput, "at most 500 file_ids", "file_ids");
  for (const auto& f : file_ids) {
    if (!knowledge_.get_file(actor, f)) return Error(Code::NotFound, "file not found: " + f, "file_ids");
  }
  store::VectorStoreRecord r{"vs_" + core::new_id(),    actor.account_id,    std::string(name),
                             json::serialize(metadata), core::rfc3339_now(), core::rfc3339_now()};
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::vector_stores::insert(tx, r); !s) return s;
    for (const auto& f : file_ids) {
      if (auto s = store::vector_stores::add_file(tx, r.id, f, r.created_at); !s) return s;
    }
    return {};
  });
  if (!st) return st.error();
  return load(actor, r.id);
}

core::Result<VectorStore> VectorStoreService::get(const Principal& actor, std::string_view id) {
  return load(actor, id);
}

core::Result<std::vector<VectorStore>> VectorStoreService::list(const Principal& actor) {
  std::vector<store::VectorStoreRecord> recs;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::vector_stores::list(tx, actor.account_id);
    if (!r) return r.error();
    recs = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  std::vector<VectorStore> out;
  for (const auto& r : recs) {
    auto vs = load(actor, r.id);
    if (vs) out.push_back(std::move(*vs));
  }
  return out;
}

core::Result<VectorStore> VectorStoreService::update(const Principal& actor, std::string_view id,
                                                     std::optional<std::string> name,
                                                     std::optional<json::object> metadata) {
  auto vs = load(actor, id);
  if (!vs) return vs.error();
  store::VectorStoreRecord r{
      vs->id,         vs->account_id,     name.value_or(vs->name), json::serialize(metadata.value_or(vs->metadata)),
      vs->created_at, core::rfc3339_now()};
  auto st = db_.write([&](store::Tx& tx) { return store::vector_stores::update(tx, r); });
  if (!st) return st.error();
  return load(actor, id);
}

core::Status VectorStoreService::remove(const Principal& actor, std::string_view id) {
  auto vs = load(actor, id);
  if (!vs) return vs.error();
  return db_.write([&](store::Tx& tx) { return store::vector_stores::remove(tx, id); });
}

core::Result<VectorStoreFile> VectorStoreService::add_file(const Principal& actor, std::string_view id,
                                                           std::string_view file_id) {
  auto vs = load(actor, id);
  if (!vs) return vs.error();
  auto f = knowledge_.get_file(actor, file_id);
  if (!f || f->account_id != vs->account_id) return Error(Code::NotFound, "file not found", "file_id");
  const std::string at = core::rfc3339_now();
  auto st = db_.write([&](store::Tx& tx) { return store::vector_stores::add_file(tx, id, file_id, at); });
  if (!st) return st.error();
  return VectorStoreFile{std::string(file_id), at, std::move(*f)};
}

core::Status VectorStoreService::remove_file(const Principal& actor, std::string_view id, std::string_view file_id) {
  auto vs = load(actor, id);
  if (!vs) return vs.error();
  return db_.write([&](store::Tx& tx) { return store::vector_stores::remove_file(tx, id, file_id); });
}

core::Result<std::vector<SearchHit>> VectorStoreService::search(const Principal& actor, std::string_view id,
                                                                const std::string& query, int64_t limit) {
  auto vs = load(actor, id);
  if (!vs) return vs.error();
  std::vector<SearchHit> hits;
  SearchQuery q;
  q.text = query;
  q.limit = limit;
  for (const auto& f : vs->files) {
    if (f.file.status == "processed") q.file_ids.push_back(f.file_id);
  }
  if (q.file_ids.empty()) return hits;  // nothing searchable yet
  Principal owner{vs->account_id, Role::User};
  return knowledge_.search(owner, q);
}

}  // namespace docent::services
