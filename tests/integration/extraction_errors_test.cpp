// Extraction through the spherechat and native faces, the parts that need no generated business
// document: every error case, the "nothing recognisable" answer, ownership, paging.

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace docent::testing {
namespace {

namespace json = boost::json;

class ExtractionErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  const std::string& admin() const { return server_->admin_key(); }
  static ServerProcess* server_;
  HttpClient client{server_->port()};
};
ServerProcess* ExtractionErrorsTest::server_ = nullptr;

// The seed's error envelope, exactly.
void expect_spherechat_error(const HttpResponse& res, int status, const std::string& detail_part = {}) {
  EXPECT_EQ(res.status, status) << res.body;
  auto body = res.json().as_object();
  EXPECT_EQ(member_names(body), (std::set<std::string>{"success", "message", "error"})) << res.body;
  EXPECT_EQ(body.at("success"), false);
  EXPECT_TRUE(body.at("message").is_string());
  if (!detail_part.empty()) {
    EXPECT_NE(std::string(body.at("error").as_string()).find(detail_part), std::string::npos) << res.body;
  }
}

TEST_F(ExtractionErrorsTest, SpherechatRefusesWhatIsNotAReadablePdf) {
  auto no_key = post_files(client, "/api/pdf/invoice", "", {{"a.pdf", make_pdf({{"Hello"}})}});
  expect_spherechat_error(no_key, 401);

  auto not_pdf = post_files(client, "/api/pdf/invoice", admin(), {{"notes.pdf", "just some text, not a PDF\n"}});
  expect_spherechat_error(not_pdf, 400, "not a PDF");

  auto empty = post_files(client, "/api/pdf/po", admin(), {{"empty.pdf", ""}});
  expect_spherechat_error(empty, 400, "empty");

  auto encrypted = post_files(
      client, "/api/pdf/dc", admin(),
      {{"locked.pdf", read_file(sample_pdf("005-libreoffice-writer-password/libreoffice-writer-password.pdf"))}});
  expect_spherechat_error(encrypted, 400, "password");
  EXPECT_NE(std::string(encrypted.json().at("error").as_string()).find("locked.pdf"), std::string::npos);

  std::string broken = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + std::string(200, '\x01') +
                       "\nthis is where the objects would be\n";
  auto unreadable = post_files(client, "/api/pdf/ewaybill", admin(), {{"broken.pdf", broken}});
  expect_spherechat_error(unreadable, 400, "broken.pdf");

  // A batch with one bad file fails as a whole, naming the file.
  auto batch = post_files(client, "/api/pdf/invoice", admin(),
                          {{"good.pdf", make_pdf({{"Hello"}})}, {"bad.pdf", "plain text"}});
  expect_spherechat_error(batch, 400, "bad.pdf");
  EXPECT_EQ(client.get("/health").status, 200);
}

TEST_F(ExtractionErrorsTest, SpherechatRefusesRequestsWithoutAFilePart) {
  auto json_body = client.post_json("/api/pdf/invoice", R"({"file":"x"})", {{"Authorization", "Bearer " + admin()}});
  expect_spherechat_error(json_body, 400);

  auto no_file = client.request("POST", "/api/pdf/invoice", multipart_body("bb", {{"note", "", "", "hello"}}),
                                {{"Authorization", "Bearer " + admin()},
                                 {"Content-Type", "multipart/form-data; boundary=bb"}});
  expect_spherechat_error(no_file, 400, "file");

  auto wrong_name = client.request("POST", "/api/pdf/invoice",
                                   multipart_body("bb", {{"document", "a.pdf", "application/pdf", make_pdf({{"x"}})}}),
                                   {{"Authorization", "Bearer " + admin()},
                                    {"Content-Type", "multipart/form-data; boundary=bb"}});
  expect_spherechat_error(wrong_name, 400, "file");

  // Framing broken: no closing boundary.
  auto broken =
      client.request("POST", "/api/pdf/invoice",
                     "--bb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4",
                     {{"Authorization", "Bearer " + admin()}, {"Content-Type", "multipart/form-data; boundary=bb"}});
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_EQ(broken.json().at("success"), false);
}

TEST_F(ExtractionErrorsTest, UnknownFileIdIsNotFound) {
  expect_spherechat_error(client.get("/api/pdf/download/nope", {{"Authorization", "Bearer " + admin()}}), 404);
  expect_spherechat_error(client.get("/api/pdf/download/nope"), 401);
  auto native = client.get("/v1/extractions/nope", {{"Authorization", "Bearer " + admin()}});
  EXPECT_EQ(native.status, 404);
  EXPECT_EQ(native.json().at("error").at("type"), "not_found_error");
}

TEST_F(ExtractionErrorsTest, NothingRecognisableIsSuccessWithEmptyFields) {
  auto res = post_files(client, "/api/pdf/invoice", admin(),
                        {{"letter.pdf", make_pdf({{"Dear reader", "the weather was pleasant all week"}})}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto body = res.json().as_object();
  EXPECT_EQ(member_names(body),
            (std::set<std::string>{"success", "message", "fileId", "fileName", "excelPath", "fileSize"}));
  EXPECT_EQ(body.at("success"), true);
  EXPECT_NE(std::string(body.at("message").as_string()).find("no recognisable fields"), std::string::npos);
  EXPECT_EQ(body.at("fileName"), "letter_extracted.xlsx");
  std::string id(body.at("fileId").as_string());
  EXPECT_EQ(body.at("excelPath"), json::value("/api/pdf/download/" + id));

  auto xlsx = client.get("/api/pdf/download/" + id, {{"Authorization", "Bearer " + admin()}});
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(xlsx.header("content-disposition"), "attachment; filename=\"letter_extracted.xlsx\"");
  EXPECT_EQ(static_cast<int64_t>(xlsx.body.size()), body.at("fileSize").as_int64());
  auto book = read_workbook(xlsx.body);
  EXPECT_EQ(book.at("Summary").at("rows").as_array().size(), 1u);  // the header, no invented values

  auto native = client.get("/v1/extractions/" + id, {{"Authorization", "Bearer " + admin()}});
  ASSERT_EQ(native.status, 200) << native.body;
  auto extraction = native.json();
  const auto& doc = extraction.at("documents").as_array().at(0);
  EXPECT_TRUE(doc.at("fields").as_object().empty());
  EXPECT_FALSE(doc.at("warnings").as_array().empty());
  EXPECT_EQ(extraction.at("found_fields"), false);
}

TEST_F(ExtractionErrorsTest, AnotherAccountsExtractionIsNotFound) {
  std::string alice = create_user_key(client, admin(), "xout-alice");
  std::string bob = create_user_key(client, admin(), "xout-bob");
  auto res = post_files(client, "/api/pdf/po", alice, {{"po.pdf", make_pdf({{"Hello"}})}});
  ASSERT_EQ(res.status, 200) << res.body;
  std::string id(res.json().at("fileId").as_string());
  auto as = [&](const std::string& key) {
    return std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + key}};
  };

  EXPECT_EQ(client.get("/api/pdf/download/" + id, as(alice)).status, 200);
  expect_spherechat_error(client.get("/api/pdf/download/" + id, as(bob)), 404);
  EXPECT_EQ(client.get("/v1/extractions/" + id, as(bob)).status, 404);
  EXPECT_EQ(client.get("/v1/extractions/" + id + "/xlsx", as(bob)).status, 404);
  EXPECT_EQ(client.get("/v1/extractions/" + id + "/xlsx", as(alice)).status, 200);
  EXPECT_TRUE(client.get("/v1/extractions", as(bob)).json().at("data").as_array().empty());
  auto mine = client.get("/v1/extractions", as(alice)).json().at("data").as_array();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].at("id"), json::value(id));
  EXPECT_EQ(mine[0].at("kind"), "po");

  // Bob cannot extract Alice's uploaded file either.
  auto up = client.request(
      "POST", "/v1/files",
      multipart_body("kk", {{"purpose", "", "", "assistants"}, {"file", "a.pdf", "", make_pdf({{"Hi"}})}}),
      {{"Authorization", "Bearer " + alice}, {"Content-Type", "multipart/form-data; boundary=kk"}});
  ASSERT_EQ(up.status, 200) << up.body;
  std::string file_id(up.json().at("id").as_string());
  auto theirs = client.post_json("/v1/extractions", R"({"kind":"invoice","file_id":")" + file_id + R"("})", as(bob));
  EXPECT_EQ(theirs.status, 404) << theirs.body;
  auto own = client.post_json("/v1/extractions", R"({"kind":"invoice","file_id":")" + file_id + R"("})", as(alice));
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json().at("documents").at(0).at("file_id"), json::value(file_id));
}

TEST_F(ExtractionErrorsTest, NativeCreateValidatesItsInput) {
  auto as_admin = std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + admin()}};
  auto no_kind = client.post_json("/v1/extractions", R"({"file_id":"x"})", as_admin);
  EXPECT_EQ(no_kind.status, 400);
  EXPECT_EQ(no_kind.json().at("error").at("param"), "kind");
  auto bad_kind = client.post_json("/v1/extractions", R"({"kind":"receipt","file_id":"x"})", as_admin);
  EXPECT_EQ(bad_kind.status, 400);
  EXPECT_EQ(bad_kind.json().at("error").at("param"), "kind");
  auto wrong_type = client.post_json("/v1/extractions", R"({"kind":"invoice","file_id":7})", as_admin);
  EXPECT_EQ(wrong_type.status, 400);
  auto no_file = client.post_json("/v1/extractions", R"({"kind":"invoice"})", as_admin);
  EXPECT_EQ(no_file.status, 400);
  auto bad_json = client.post_json("/v1/extractions", R"({"kind":)", as_admin);
  EXPECT_EQ(bad_json.status, 400);
  auto unknown_file = client.post_json("/v1/extractions", R"({"kind":"invoice","file_id":"nope"})", as_admin);
  EXPECT_EQ(unknown_file.status, 404);
  auto form_no_kind = client.request("POST", "/v1/extractions",
                                     multipart_body("bb", {{"file", "a.pdf", "", make_pdf({{"x"}})}}),
                                     {{"Authorization", "Bearer " + admin()},
                                      {"Content-Type", "multipart/form-data; boundary=bb"}});
  EXPECT_EQ(form_no_kind.status, 400);
  EXPECT_EQ(client.get("/v1/extractions?limit=0", as_admin).status, 400);
  EXPECT_EQ(client.get("/v1/extractions?after=nope", as_admin).status, 400);
}

TEST_F(ExtractionErrorsTest, NativeListPages) {
  std::string key = create_user_key(client, admin(), "xout-pager");
  auto auth = std::vector<std::pair<std::string, std::string>>{{"Authorization", "Bearer " + key}};
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto res = client.request("POST", "/v1/extractions",
                              multipart_body("bb", {{"kind", "", "", "dc"}, {"file", "d.pdf", "", make_pdf({{"Hi"}})}}),
                              {{"Authorization", "Bearer " + key},
                               {"Content-Type", "multipart/form-data; boundary=bb"}});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.json().at("object"), "extraction");
    EXPECT_EQ(res.json().at("kind"), "dc");
    ids.emplace_back(res.json().at("id").as_string());
  }
  auto first = client.get("/v1/extractions?limit=2", auth).json();
  ASSERT_EQ(first.at("data").as_array().size(), 2u);
  EXPECT_EQ(first.at("has_more"), true);
  EXPECT_EQ(first.at("data").at(0).at("id"), json::value(ids[0]));
  auto rest = client.get("/v1/extractions?limit=2&after=" + std::string(first.at("last_id").as_string()), auth).json();
  ASSERT_EQ(rest.at("data").as_array().size(), 1u);
  EXPECT_EQ(rest.at("data").at(0).at("id"), json::value(ids[2]));
  EXPECT_EQ(rest.at("has_more"), false);
}

TEST(ExtractionCli, UsageAndUnreadableInputs) {
  TempDir dir;
  std::ofstream(dir.path() / "notes.pdf") << "not a pdf";
  auto bad_kind = run_docent({"extract", "--kind", "receipt", "x.pdf", "-o", (dir.path() / "o.xlsx").string()});
  EXPECT_EQ(bad_kind.exit_code, 2);
  EXPECT_NE(bad_kind.err.find("--kind"), std::string::npos) << bad_kind.err;
  auto no_output = run_docent({"extract", "--kind", "invoice", (dir.path() / "notes.pdf").string()});
  EXPECT_EQ(no_output.exit_code, 2);
  auto unreadable = run_docent(
      {"extract", "--kind", "invoice", (dir.path() / "notes.pdf").string(), "-o", (dir.path() / "o.xlsx").string()});
  EXPECT_EQ(unreadable.exit_code, 1);
  EXPECT_NE(unreadable.err.find("not a PDF"), std::string::npos) << unreadable.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "o.xlsx"));
}

}  // namespace
}  // namespace docent::testing
