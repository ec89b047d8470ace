#pragma once
// OpenAI-style vector stores: named sets of an account's files (a file may be in several),
// searched as one with the knowledge base's hybrid search.

#include "services/knowledge.h"

#include <boost/json/object.hpp>

namespace docent::services {

struct VectorStoreFile {
  std::string file_id;
  std::string added_at;
  File file;
};

struct VectorStore {
  std::string id;
  std::string account_id;
  std::string name;
  boost::json::object metadata;
  std::string created_at, updated_at;
  std::vector<VectorStoreFile> files;
};

class VectorStoreService {
 public:
  VectorStoreService(store::Database& db, KnowledgeService& knowledge);

  core::Result<VectorStore> create(const Principal& actor, std::string_view name, boost::json::object metadata,
                                   const std::vector<std::string>& file_ids);
  core::Result<VectorStore> get(const Principal& actor, std::string_view id);
  core::Result<std::vector<VectorStore>> list(const Principal& actor);
  core::Result<VectorStore> update(const Principal& actor, std::string_view id, std::optional<std::string> name,
                                   std::optional<boost::json::object> metadata);
  core::Status remove(const Principal& actor, std::string_view id);
  // NotFound for a file or store the caller does not own.
  core::Result<VectorStoreFile> add_file(const Principal& actor, std::string_view id, std::string_view file_id);
  core::Status remove_file(const Principal& actor, std::string_view id, std::string_view file_id);
  core::Result<std::vector<SearchHit>> search(const Principal& actor, std::string_view id, const std::string& query,
                                              int64_t limit);

 private:
  core::Result<VectorStore> load(const Principal& actor, std::string_view id);

  store::Database& db_;
  KnowledgeService& knowledge_;
};

}  // namespace docent::services
