// Folder paths ("a/b") name the folder at the end of the path or nothing: found while writing
// `docent ingest DIR` (issue 16, item 6), where a missing last level resolved to its parent.

#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

namespace docent::testing {
namespace {

TEST(FolderPaths, DeletingAPathWhoseLastFolderIsMissingIsNotFoundAndLeavesItsParent) {
  ServerProcess server;
  HttpClient c(server.port());
  auto made = c.post_json("/v1/folders", R"({"name":"Reports"})", bearer(server.admin_key()));
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string id(made.json().at("id").as_string());

  auto del = c.request("DELETE", "/api/files/delete", R"({"file_folder_guid":"Reports/missing","type_processing":2})",
                       {{"Authorization", "Bearer " + server.admin_key()}, {"Content-Type", "application/json"}});
  EXPECT_EQ(del.status, 404) << del.body;
  EXPECT_EQ(c.get("/v1/folders/" + id, bearer(server.admin_key())).status, 200) << "the parent was deleted instead";
}

}  // namespace
}  // namespace docent::testing
