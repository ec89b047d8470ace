#pragma once
// The fixture of the SearchIndex tests (search_index_test.cpp, search_index_checkpoint_test.cpp):
// a fresh SQLite database in a temporary folder, accounts, and files whose chunks are stored with
// the built-in embedder's vectors.

#include "core/config.h"
#include "core/id.h"
#include "core/time.h"
#include "services/accounts.h"
#include "services/search_index.h"
#include "store/database.h"
#include "store/knowledge.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace docent::services {

class SearchIndexFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("docent-search-index-" + core::random_hex(8));
    std::filesystem::create_directories(dir_);
    db_ = std::move(store::open_sqlite(dir_ / "t.db").value());
    accounts_ = std::make_unique<AccountService>(*db_, config_, core::crypto::PasswordParams{1, 1024, 1});
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string make_account(const std::string& login) {
    AccountInput in;
    in.login = login;
    in.password = "password-" + login;
    return accounts_->create_unchecked(in).value().id;
  }
  Principal principal(const std::string& account) {
    const auto a = accounts_->get(Principal{account, Role::Admin, "", "", false}, account).value();
    return Principal{a.id, a.role, a.plan, "", false};
  }

  // A file of `texts` owned by account, its chunks stored with their embeddings; their ids.
  std::vector<int64_t> add_file(const std::string& account, const std::vector<std::string>& texts,
                                std::string* file_id = nullptr, const std::string& status = "processed",
                                const std::string& source_type = "text") {
    store::FileRecord f;
    f.id = core::new_id();
    if (file_id) *file_id = f.id;
    f.account_id = account;
    f.name = "notes.txt";
    f.mime = "text/plain";
    f.source_type = source_type;
    f.sha256 = std::string(64, '0');
    f.status = status;
    f.created_at = f.updated_at = core::rfc3339_now();
    std::vector<store::ChunkRecord> chunks;
    for (size_t i = 0; i < texts.size(); ++i) {
      store::ChunkRecord c;
      c.file_id = f.id;
      c.account_id = account;
      c.ordinal = static_cast<int64_t>(i);
      c.page = 1;
      c.text = texts[i];
      c.embedding = SearchIndex::to_bytes(embedder_.embed({texts[i]}).value().front());
      chunks.push_back(std::move(c));
    }
    EXPECT_TRUE(db_->write([&](store::Tx& tx) -> core::Status {
      if (auto st = store::files::insert(tx, f); !st) return st;
      return store::chunks::insert(tx, chunks);
    }));
    std::vector<int64_t> ids;
    for (const auto& c : chunks) ids.push_back(c.id);
    return ids;
  }

  std::filesystem::path dir_;
  core::Config config_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<AccountService> accounts_;
  engines::HashedEmbedder embedder_;
};

}  // namespace docent::services
