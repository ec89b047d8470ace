// engines/xlsx: workbooks written from hand-made extractions, read back with Debian's openpyxl
// (tests/integration/read_xlsx.py) so the test sees what a spreadsheet program sees.

#include "engines/xlsx.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Type = TypedValue::Type;

class Folder {
 public:
  Folder() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("docent_xlsx_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~Folder() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Field text(std::string name, std::string value, int page = 1) {
  Field f;
  f.name = std::move(name);
  f.raw = value;
  f.value.type = Type::Text;
  f.value.text = std::move(value);
  f.confidence = 0.9;
  f.source.page = page;
  return f;
}

Field number(std::string name, double n, Type type = Type::Number, std::string currency = "") {
  Field f;
  f.name = std::move(name);
  f.raw = std::to_string(n);
  f.value.type = type;
  f.value.number = n;
  f.value.text = f.raw;
  f.value.currency = std::move(currency);
  f.confidence = 0.8;
  f.source.page = 1;
  return f;
}

Field date(std::string name, std::string iso) {
  Field f = text(std::move(name), iso);
  f.raw = "01/04/2026";
  f.value.type = Type::Date;
  return f;
}

Field amount(std::string name, double n) { return number(std::move(name), n, Type::Amount, "INR"); }

Extraction invoice(const std::string& number_text) {
  Extraction x;
  x.kind = DocKind::Invoice;
  x.pages = 1;
  x.fields.push_back(text("document_number", number_text));
  x.fields.push_back(date("document_date", "2026-04-01"));
  x.fields.push_back(text("seller_name", "=cmd|' /C calc'!A0"));
  x.fields.push_back(amount("grand_total", 1770));
  x.fields.push_back(number("distance_km", 42));
  for (int i = 1; i <= 2; ++i) {
    LineItem line;
    line.number = i;
    line.cells.push_back(text("description", i == 1 ? "Steel bolts" : "=HYPERLINK(\"http://x\")"));
    line.cells.push_back(number("quantity", 10.0 * i));
    line.cells.push_back(amount("rate", 50));
    line.cells.push_back(amount("taxable_value", 500.0 * i));
    line.cells.push_back(number("cgst_rate", 9, Type::Percent));
    line.cells.push_back(amount("cgst_amount", 45.0 * i));
    x.lines.push_back(line);
  }
  TaxRow tax;
  tax.cells.push_back(text("hsn_sac", "7318"));
  tax.cells.push_back(amount("taxable_value", 1500));
  tax.cells.push_back(amount("total_tax", 270));
  x.taxes.push_back(tax);
  x.checks.push_back(Check{"line_sum", true, "taxable_total", "lines add up to 1500.00"});
  x.warnings.push_back("a planted note");
  return x;
}

json::value read_back(const fs::path& file) {
  std::string cmd = "/usr/bin/python3 " + std::string(DOCENT_SOURCE_DIR) + "/tests/integration/read_xlsx.py '" +
                    file.string() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; p && (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  EXPECT_EQ(p ? ::pclose(p) : -1, 0) << out;
  return json::parse(out);
}

// Writes `docs` to a workbook in a fresh folder and reads it back.
json::value write_and_read(const std::vector<WorkbookDocument>& docs) {
  Folder dir;
  fs::path out = dir.path() / "book.xlsx";
  auto st = write_workbook(out, docs);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return st.ok() ? read_back(out) : json::value(json::object{});
}

const json::array& rows(const json::value& book, const char* sheet, const char* what = "rows") {
  return book.at(sheet).at(what).as_array();
}

// The row of `sheet` whose column `col` is `label`.
const json::array* find_row(const json::value& book, const char* sheet, const std::string& label, size_t col = 0) {
  for (const auto& r : rows(book, sheet)) {
    const auto& a = r.as_array();
    if (a.size() > col && a[col].is_string() && a[col].as_string() == label) return &a;
  }
  return nullptr;
}

TEST(Xlsx, OneDocumentHasTypedSheets) {
  Extraction x = invoice("INV-1");
  auto book = write_and_read({{"inv.pdf", &x}});
  EXPECT_EQ(book.at("sheets"), (json::array{"Summary", "Line Items", "Taxes", "Checks"}));

  EXPECT_EQ(rows(book, "Summary")[0], (json::array{"Field", "Value", "Confidence", "Page", "Printed as", "Origin"}));
  const auto* date_row = find_row(book, "Summary", field_label("document_date"));
  ASSERT_NE(date_row, nullptr);
  EXPECT_EQ((*date_row)[1], "2026-04-01");  // a real date cell, read back as a date
  const auto* total = find_row(book, "Summary", field_label("grand_total"));
  ASSERT_NE(total, nullptr);
  EXPECT_EQ((*total)[1].to_number<double>(), 1770);
  EXPECT_EQ((*total)[2].to_number<double>(), 0.8);
  EXPECT_EQ((*total)[3].to_number<double>(), 1);
  EXPECT_EQ((*total)[5], "rules");

  // Formats: the date, the rupee amount.
  size_t date_index = 0, total_index = 0;
  for (size_t i = 0; i < rows(book, "Summary").size(); ++i) {
    if (&rows(book, "Summary")[i].as_array() == date_row) date_index = i;
    if (&rows(book, "Summary")[i].as_array() == total) total_index = i;
  }
  EXPECT_EQ(rows(book, "Summary", "types")[date_index].as_array()[1], "d");
  EXPECT_EQ(rows(book, "Summary", "formats")[date_index].as_array()[1], "dd-mm-yyyy");
  std::string rupee(rows(book, "Summary", "formats")[total_index].as_array()[1].as_string());
  EXPECT_NE(rupee.find("\u20B9"), std::string::npos) << rupee;
}

TEST(Xlsx, HostileTextIsWrittenAsStrings) {
  Extraction x = invoice("INV-1");
  auto book = write_and_read({{"inv.pdf", &x}});
  const auto& summary = rows(book, "Summary");
  bool seen = false;
  for (size_t i = 0; i < summary.size(); ++i) {
    if (summary[i].as_array()[1] == "=cmd|' /C calc'!A0") {
      seen = true;
      EXPECT_EQ(rows(book, "Summary", "types")[i].as_array()[1], "s");
    }
  }
  EXPECT_TRUE(seen);
  const auto& line2 = rows(book, "Line Items")[2].as_array();
  EXPECT_EQ(line2[1], "=HYPERLINK(\"http://x\")");
  EXPECT_EQ(rows(book, "Line Items", "types")[2].as_array()[1], "s");
}

TEST(Xlsx, LineItemsHaveFrozenHeaderFilterAndTotals) {
  Extraction x = invoice("INV-1");
  auto book = write_and_read({{"inv.pdf", &x}});
  const auto& lines = book.at("Line Items");
  EXPECT_EQ(lines.at("freeze"), "A2");
  EXPECT_EQ(lines.at("autofilter"), "A1:G3");
  EXPECT_EQ(rows(book, "Line Items")[0],
            (json::array{"Line", field_label("description"), field_label("quantity"), field_label("rate"),
                         field_label("taxable_value"), field_label("cgst_rate"), field_label("cgst_amount")}));
  const auto& first = rows(book, "Line Items")[1].as_array();
  EXPECT_EQ(first[0].to_number<double>(), 1);
  EXPECT_EQ(first[2].to_number<double>(), 10);
  EXPECT_EQ(first[5].to_number<double>(), 9);  // 9 %, kept in percent
  const auto& totals = rows(book, "Line Items")[3].as_array();
  EXPECT_EQ(totals[0], "Total");
  EXPECT_EQ(totals[2], "=SUM(C2:C3)");
  EXPECT_EQ(totals[3], nullptr);  // rates are not summed
  EXPECT_EQ(totals[4], "=SUM(E2:E3)");
  EXPECT_EQ(totals[6], "=SUM(G2:G3)");
  const auto& cached = rows(book, "Line Items", "cached")[3].as_array();
  EXPECT_EQ(cached[2].to_number<double>(), 30);
  EXPECT_EQ(cached[4].to_number<double>(), 1500);
  EXPECT_EQ(cached[6].to_number<double>(), 135);

  const auto& taxes = rows(book, "Taxes");
  EXPECT_EQ(taxes[0],
            (json::array{"Row", field_label("hsn_sac"), field_label("taxable_value"), field_label("total_tax")}));
  EXPECT_EQ(taxes[1].as_array()[1], "7318");
  EXPECT_EQ(taxes[2].as_array()[2], "=SUM(C2)");
  EXPECT_EQ(rows(book, "Taxes", "cached")[2].as_array()[3].to_number<double>(), 270);

  const auto& checks = rows(book, "Checks");
  EXPECT_EQ(checks[1].as_array()[0], "line_sum");
  EXPECT_EQ(checks[1].as_array()[1], true);
  EXPECT_EQ(checks[2].as_array()[0], "note");
  EXPECT_EQ(checks[2].as_array()[3], "a planted note");
}

TEST(Xlsx, BatchHasADocumentsSheetAndEveryDocumentsLines) {
  Extraction a = invoice("INV-1"), b = invoice("INV-2");
  b.lines.pop_back();
  auto book = write_and_read({{"a.pdf", &a}, {"b.pdf", &b}});
  EXPECT_EQ(book.at("sheets"), (json::array{"Documents", "Fields", "Line Items", "Taxes", "Checks"}));
  const auto& docs = rows(book, "Documents");
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].as_array()[0], "File");
  EXPECT_EQ(docs[1].as_array()[0], "a.pdf");
  EXPECT_EQ(docs[2].as_array()[0], "b.pdf");
  EXPECT_EQ(docs[1].as_array()[3], "INV-1");
  const auto& lines = rows(book, "Line Items");
  ASSERT_EQ(lines.size(), 5u);  // header, 2 + 1 lines, totals
  EXPECT_EQ(lines[0].as_array()[0], "Document");
  EXPECT_EQ(lines[1].as_array()[0], "INV-1");
  EXPECT_EQ(lines[3].as_array()[0], "INV-2");
  EXPECT_EQ(lines[4].as_array()[0], "Total");
  EXPECT_EQ(rows(book, "Line Items", "cached")[4].as_array()[5].to_number<double>(), 2000);  // 500 + 1000 + 500
  EXPECT_NE(find_row(book, "Fields", "INV-2"), nullptr);
}

TEST(Xlsx, DocumentWithNothingFoundStillMakesAWorkbook) {
  Extraction x;
  x.warnings.push_back("no recognisable fields were found");
  auto book = write_and_read({{"blank.pdf", &x}});
  EXPECT_EQ(rows(book, "Summary").size(), 1u);  // the header only
  EXPECT_EQ(rows(book, "Line Items").size(), 1u);
  EXPECT_EQ(rows(book, "Checks")[1].as_array()[3], "no recognisable fields were found");
}

TEST(Xlsx, FailuresLeaveNoFile) {
  Folder dir;
  EXPECT_EQ(write_workbook(dir.path() / "none.xlsx", {}).error().code, core::Code::InvalidInput);
  Extraction x = invoice("INV-1");
  fs::path locked = dir.path() / "locked";
  fs::create_directories(locked);
  ::chmod(locked.c_str(), 0500);
  if (::geteuid() != 0) {
    auto st = write_workbook(locked / "out.xlsx", {{"inv.pdf", &x}});
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(fs::is_empty(locked));
  }
}

}  // namespace
}  // namespace docent::engines
