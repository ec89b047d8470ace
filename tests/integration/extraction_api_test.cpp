// Extraction end to end: generated business documents (tests/support/business_docs.h) through
// the spherechat endpoints, the native endpoints and `docent extract`, each workbook read back
// with openpyxl and its cells compared with the generator's ground truth.

#include "engines/extraction.h"
#include "support/business_docs.h"
#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace docent::testing {
namespace {

namespace json = boost::json;
using business_docs::Truth;

constexpr const char* kKinds[] = {"invoice", "po", "dc", "ewaybill"};
const std::set<std::string> kSummed = {"quantity",    "discount",    "taxable_value", "cgst_amount",
                                       "sgst_amount", "igst_amount", "line_total",    "total_tax"};

std::string normal(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(static_cast<char>(std::tolower(c)));
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.' || out.back() == ',')) out.pop_back();
  return out;
}

// A workbook cell against a truth value: numbers within half a paisa, everything else as text.
void expect_cell(const json::value& cell, const std::string& truth, const std::string& what) {
  if (cell.is_number()) {
    EXPECT_NEAR(cell.to_number<double>(), std::stod(truth), 0.005) << what;
  } else if (cell.is_string()) {
    EXPECT_EQ(normal(cell.as_string()), normal(truth)) << what;
  } else {
    ADD_FAILURE() << what << ": no value, expected '" << truth << "'";
  }
}

std::map<std::string, size_t> header_columns(const json::array& header) {
  std::map<std::string, size_t> out;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].is_string()) out[std::string(header[i].as_string())] = i;
  }
  return out;
}

// "C" for column index 2.
std::string column_letter(size_t i) {
  std::string s;
  for (size_t n = i + 1; n > 0; n = (n - 1) / 26) s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
  return s;
}

// The Summary (or Fields) sheet holds every truth field with its value.
void expect_fields(const json::value& book, const char* sheet, const Truth& truth, size_t label_col,
                   const std::string& document = {}) {
  std::map<std::string, const json::array*> by_label;
  for (const auto& r : book.at(sheet).at("rows").as_array()) {
    const auto& row = r.as_array();
    if (!document.empty() && (row.empty() || !row[0].is_string() || row[0].as_string() != document)) continue;
    if (row.size() > label_col && row[label_col].is_string()) by_label[std::string(row[label_col].as_string())] = &row;
  }
  for (const auto& [name, value] : truth.fields) {
    auto it = by_label.find(engines::field_label(name));
    if (it == by_label.end()) {
      ADD_FAILURE() << sheet << ": no row for " << name << " (expected '" << value << "')";
      continue;
    }
    expect_cell(it->second->at(label_col + 1), value, std::string(sheet) + " " + name);
  }
}

// Line Items holds every truth line in order, and a Total row of SUM formulas with cached sums.
void expect_lines(const json::value& book, const std::vector<Truth>& truths) {
  const auto& rows = book.at("Line Items").at("rows").as_array();
  const auto& cached = book.at("Line Items").at("cached").as_array();
  auto cols = header_columns(rows.at(0).as_array());
  size_t r = 1;
  std::map<std::string, double> sums;
  for (const auto& truth : truths) {
    for (size_t i = 0; i < truth.lines.size(); ++i, ++r) {
      ASSERT_LT(r, rows.size()) << "missing line " << i + 1;
      const auto& row = rows[r].as_array();
      if (truths.size() > 1) expect_cell(row.at(0), truth.fields.at("document_number"), "document column");
      for (const auto& [name, value] : truth.lines[i]) {
        auto c = cols.find(engines::field_label(name));
        if (c == cols.end()) {
          ADD_FAILURE() << "no column " << name;
          continue;
        }
        expect_cell(row.at(c->second), value, "line " + std::to_string(i + 1) + " " + name);
        if (kSummed.count(name)) sums[name] += std::stod(value);
      }
    }
  }
  ASSERT_EQ(rows.size(), r + 1) << "lines plus the Total row";
  const auto& total = rows[r].as_array();
  EXPECT_EQ(total.at(0), "Total");
  for (const auto& [name, sum] : sums) {
    size_t c = cols.at(engines::field_label(name));
    std::string letter = column_letter(c);
    std::string range = r == 2 ? letter + "2" : letter + "2:" + letter + std::to_string(r);
    EXPECT_EQ(total.at(c), json::value("=SUM(" + range + ")")) << name;
    EXPECT_NEAR(cached[r].as_array().at(c).to_number<double>(), sum, 0.01) << name;
  }
  EXPECT_EQ(book.at("Line Items").at("freeze"), "A2");
}

class ExtractionApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  std::pair<std::string, Truth> generate(const std::string& kind, uint64_t seed, int items = 4) {
    auto path = dir_.path() / (kind + "-" + std::to_string(seed) + ".pdf");
    auto truth = business_docs::write_document(path, {.kind = kind, .items = items, .seed = seed});
    EXPECT_TRUE(truth.has_value());
    return {read_file(path), truth.value_or(Truth{})};
  }
  std::vector<std::pair<std::string, std::string>> auth() const {
    return {{"Authorization", "Bearer " + server_->admin_key()}};
  }
  json::value download(const std::string& file_id) {
    auto res = client.get("/api/pdf/download/" + file_id, auth());
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("content-type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(res.header("content-disposition").rfind("attachment; filename=\"", 0), 0u);
    return read_workbook(res.body);
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
  TempDir dir_;
};
ServerProcess* ExtractionApiTest::server_ = nullptr;

TEST_F(ExtractionApiTest, EachSpherechatEndpointMakesAWorkbookEqualToTheTruth) {
  uint64_t seed = 100;
  for (const char* kind : kKinds) {
    SCOPED_TRACE(kind);
    auto [pdf, truth] = generate(kind, ++seed);
    auto res = post_files(client, std::string("/api/pdf/") + kind, server_->admin_key(), {{"scan.pdf", pdf}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = res.json().as_object();
    EXPECT_EQ(member_names(body),
              (std::set<std::string>{"success", "message", "fileId", "fileName", "excelPath", "fileSize"}));
    EXPECT_EQ(body.at("success"), true);
    EXPECT_EQ(body.at("message"), "PDF processed successfully");
    EXPECT_EQ(body.at("fileName"), "scan_extracted.xlsx");
    std::string id(body.at("fileId").as_string());
    EXPECT_EQ(body.at("excelPath"), json::value("/api/pdf/download/" + id));

    auto book = download(id);
    EXPECT_EQ(book.at("sheets"), (json::array{"Summary", "Line Items", "Taxes", "Checks"}));
    expect_fields(book, "Summary", truth, 0);
    if (!truth.lines.empty()) expect_lines(book, {truth});
  }
}

TEST_F(ExtractionApiTest, SeveralFilePartsMakeOneBatchWorkbook) {
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<Truth> truths;
  for (uint64_t seed : {201, 202, 203}) {
    auto [pdf, truth] = generate("invoice", seed, 3);
    files.emplace_back("inv-" + std::to_string(seed) + ".pdf", pdf);
    truths.push_back(truth);
  }
  auto res = post_files(client, "/api/pdf/invoice", server_->admin_key(), files);
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("message"), "3 PDFs processed successfully");
  EXPECT_EQ(res.json().at("fileName"), "invoice_extracted.xlsx");
  auto book = download(std::string(res.json().at("fileId").as_string()));
  EXPECT_EQ(book.at("sheets"), (json::array{"Documents", "Fields", "Line Items", "Taxes", "Checks"}));
  const auto& docs = book.at("Documents").at("rows").as_array();
  ASSERT_EQ(docs.size(), 4u);
  auto cols = header_columns(docs[0].as_array());
  for (size_t i = 0; i < truths.size(); ++i) {
    EXPECT_EQ(docs[i + 1].at(0), json::value(files[i].first));
    expect_cell(docs[i + 1].at(cols.at(engines::field_label("document_number"))),
                truths[i].fields.at("document_number"), "document number");
    expect_cell(docs[i + 1].at(cols.at(engines::field_label("grand_total"))), truths[i].fields.at("grand_total"),
                "grand total");
    expect_fields(book, "Fields", truths[i], 1, truths[i].fields.at("document_number"));
  }
  expect_lines(book, truths);
}

TEST_F(ExtractionApiTest, NativeEndpointsAnswerTheFieldsAsJson) {
  auto [pdf, truth] = generate("ewaybill", 301);
  auto res = client.request("POST", "/v1/extractions",
                            multipart_body("nn", {{"kind", "", "", "ewaybill"}, {"file", "eway.pdf", "", pdf}}),
                            {{"Authorization", "Bearer " + server_->admin_key()},
                             {"Content-Type", "multipart/form-data; boundary=nn"}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto x = res.json();
  std::string id(x.at("id").as_string());
  EXPECT_EQ(x.at("status"), "completed");
  EXPECT_EQ(x.at("kind"), "ewaybill");
  EXPECT_TRUE(x.at("created_at").is_int64());
  EXPECT_EQ(x.at("file_name"), "eway_extracted.xlsx");
  const auto& doc = x.at("documents").at(0);
  EXPECT_EQ(doc.at("file_name"), "eway.pdf");
  const auto& fields = doc.at("fields").as_object();
  for (const auto& [name, value] : truth.fields) {
    ASSERT_TRUE(fields.contains(name)) << name;
    const auto& f = fields.at(name);
    expect_cell(f.at("value"), value, name);
    EXPECT_EQ(f.at("origin"), "rules");
    EXPECT_GT(f.at("page").as_int64(), 0);
  }

  auto again = client.get("/v1/extractions/" + id, auth());
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.json().at("documents"), x.at("documents"));
  auto xlsx = client.get("/v1/extractions/" + id + "/xlsx", auth());
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.header("content-disposition"), "attachment; filename=\"eway_extracted.xlsx\"");
  EXPECT_EQ(static_cast<int64_t>(xlsx.body.size()), x.at("xlsx").at("bytes").as_int64());
  expect_fields(read_workbook(xlsx.body), "Summary", truth, 0);

  // From a file uploaded before.
  auto up = client.request("POST", "/v1/files",
                           multipart_body("kk", {{"purpose", "", "", "assistants"}, {"file", "dc.pdf", "", pdf}}),
                           {{"Authorization", "Bearer " + server_->admin_key()},
                            {"Content-Type", "multipart/form-data; boundary=kk"}});
  ASSERT_EQ(up.status, 200) << up.body;
  std::string file_id(up.json().at("id").as_string());
  auto from_file = client.post_json("/v1/extractions", R"({"kind":"ewaybill","file_id":")" + file_id + R"("})", auth());
  ASSERT_EQ(from_file.status, 200) << from_file.body;
  EXPECT_EQ(from_file.json().at("documents").at(0).at("file_id"), json::value(file_id));
  EXPECT_EQ(from_file.json().at("documents").at(0).at("fields"), doc.at("fields"));
}

TEST_F(ExtractionApiTest, AScannedDocumentIsReadByOcr) {
  auto path = dir_.path() / "scanned.pdf";
  auto truth = business_docs::write_document(path, {.kind = "invoice", .items = 2, .scanned = true, .seed = 501});
  ASSERT_TRUE(truth);
  auto res = post_files(client, "/api/pdf/invoice", server_->admin_key(), {{"scanned.pdf", read_file(path)}});
  ASSERT_EQ(res.status, 200) << res.body;
  auto x = client.get("/v1/extractions/" + std::string(res.json().at("fileId").as_string()), auth()).json();
  const auto& doc = x.at("documents").at(0);
  EXPECT_EQ(doc.at("ocr"), true);
  const auto& fields = doc.at("fields").as_object();
  ASSERT_TRUE(fields.contains("document_number")) << json::serialize(doc);
  expect_cell(fields.at("document_number").at("value"), truth->fields.at("document_number"), "document number");
}

TEST_F(ExtractionApiTest, CliWritesAWorkbookThatReadsBack) {
  std::vector<Truth> truths;
  std::vector<std::string> args{"extract", "--kind", "po"};
  for (uint64_t seed : {401, 402}) {
    auto path = dir_.path() / ("po-" + std::to_string(seed) + ".pdf");
    auto truth = business_docs::write_document(path, {.kind = "po", .items = 3, .seed = seed});
    ASSERT_TRUE(truth);
    truths.push_back(*truth);
    args.push_back(path.string());
  }
  auto out = dir_.path() / "pos.xlsx";
  args.insert(args.end(), {"-o", out.string()});
  auto r = run_docent(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("po-401.pdf: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(truths[1].fields.at("document_number")), std::string::npos) << r.out;
  auto book = read_workbook_file(out);
  EXPECT_EQ(book.at("sheets").at(0), "Documents");
  expect_lines(book, truths);

  auto one = dir_.path() / "one.xlsx";
  auto single = run_docent({"extract", "--kind", "po", args[3], "-o", one.string(), "--json"});
  ASSERT_EQ(single.exit_code, 0) << single.err;
  auto x = json::parse(single.out);
  EXPECT_EQ(x.at("kind"), "po");
  expect_fields(read_workbook_file(one), "Summary", truths[0], 0);
}

}  // namespace
}  // namespace docent::testing
