#include "engines/xlsx.h"

#include "core/id.h"

#include <xlsxwriter.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <variant>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

// Excel keeps at most 32,767 characters in a cell; cut longer text at a UTF-8 boundary.
std::string cell_text(std::string_view s) {
  constexpr size_t kMax = 32767;
  if (s.size() <= kMax) return std::string(s);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

bool is_numeric(const TypedValue& v) {
  return v.type == TypedValue::Type::Number || v.type == TypedValue::Type::Amount ||
         v.type == TypedValue::Type::Percent;
}

// "2026-04-01" as a date, or nullopt for anything else.
std::optional<lxw_datetime> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int v = -1;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, v);
    return ec == std::errc() && p == s.data() + pos + len ? v : -1;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31) return std::nullopt;
  return lxw_datetime{y, m, d, 0, 0, 0.0};
}

// The formats and the error of one workbook. libxlsxwriter owns the formats; they live until
// workbook_close.
class Book {
 public:
  explicit Book(const std::filesystem::path& path) {
    lxw_workbook_options options{};
    wb_ = workbook_new_opt(path.c_str(), &options);
    if (!wb_) return;
    header = add([](lxw_format* f) {
      format_set_bold(f);
      format_set_bg_color(f, 0xDDEBF7);
      format_set_bottom(f, LXW_BORDER_THIN);
    });
    total_label = add([](lxw_format* f) { format_set_bold(f); });
    integer = add([](lxw_format* f) { format_set_num_format(f, "#,##0"); });
    decimal = add([](lxw_format* f) { format_set_num_format(f, "#,##0.00"); });
    confidence = add([](lxw_format* f) { format_set_num_format(f, "0.00"); });
    percent = add([](lxw_format* f) { format_set_num_format(f, "0.00\"%\""); });
    date = add([](lxw_format* f) { format_set_num_format(f, "dd-mm-yyyy"); });
  }
  ~Book() {
    if (wb_) workbook_close(wb_);  // only after a failure: close() normally got there first
  }
  Book(const Book&) = delete;
  Book& operator=(const Book&) = delete;

  bool opened() const { return wb_ != nullptr; }

  lxw_worksheet* sheet(const char* name) {
    lxw_worksheet* ws = workbook_add_worksheet(wb_, name);
    if (!ws) fail("cannot add sheet");
    return ws;
  }

  // The currency format for `currency` ("INR" shows a rupee sign, others their code).
  lxw_format* amount(const std::string& currency) {
    auto it = amounts_.find(currency);
    if (it != amounts_.end()) return it->second;
    std::string code;
    for (char c : currency) {
      if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) code.push_back(c);
    }
    std::string pattern = code.empty() || code == "INR" ? "\"\u20B9\"#,##0.00" : "#,##0.00 \"" + code + "\"";
    lxw_format* f = add([&](lxw_format* fmt) { format_set_num_format(fmt, pattern.c_str()); });
    amounts_[currency] = f;
    return f;
  }

  // Keeps the first error of any write.
  void check(lxw_error e) {
    if (e != LXW_NO_ERROR && error_.empty()) error_ = lxw_strerror(e);
  }
  void fail(const std::string& what) {
    if (error_.empty()) error_ = what;
  }

  core::Status close() {
    lxw_error e = workbook_close(wb_);
    wb_ = nullptr;
    check(e);
    if (!error_.empty()) return Error(Code::Internal, "cannot write the workbook: " + error_);
    return {};
  }

  lxw_format *header = nullptr, *total_label = nullptr, *integer = nullptr, *decimal = nullptr, *confidence = nullptr,
             *percent = nullptr, *date = nullptr;

 private:
  template <typename Fn>
  lxw_format* add(Fn&& setup) {
    lxw_format* f = workbook_add_format(wb_);
    if (f) setup(f);
    return f;
  }

  lxw_workbook* wb_ = nullptr;
  std::map<std::string, lxw_format*> amounts_;
  std::string error_;
};

// One cell of a table: blank, text, a whole number, a confidence (0..1), yes/no, or a field's
// typed value.
using Cell = std::variant<std::monostate, std::string, int64_t, double, bool, const Field*>;

struct Column {
  std::string label;
  double width = 14;
  bool summed = false;  // the Total row sums it
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<Cell>> rows;
  bool totals = false;  // a Total row under the rows (when there are any)
};

class SheetWriter {
 public:
  SheetWriter(Book& book, lxw_worksheet* ws) : book_(book), ws_(ws) {}

  void write(const Table& t) {
    const auto last_col = static_cast<lxw_col_t>(t.columns.size() - 1);
    for (size_t c = 0; c < t.columns.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      book_.check(worksheet_set_column(ws_, col, col, t.columns[c].width, nullptr));
      text(0, col, t.columns[c].label, book_.header);
    }
    worksheet_freeze_panes(ws_, 1, 0);
    std::vector<double> sums(t.columns.size(), 0);
    std::vector<lxw_format*> sum_formats(t.columns.size(), nullptr);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      const auto row = static_cast<lxw_row_t>(r + 1);
      for (size_t c = 0; c < t.rows[r].size() && c < t.columns.size(); ++c) {
        const Cell& cell = t.rows[r][c];
        lxw_format* used = write_cell(row, static_cast<lxw_col_t>(c), cell);
        if (const auto* f = std::get_if<const Field*>(&cell); f && *f && is_numeric((*f)->value)) {
          sums[c] += (*f)->value.number;
          if (!sum_formats[c]) sum_formats[c] = used;
        }
      }
    }
    const auto last_row = static_cast<lxw_row_t>(t.rows.size());
    book_.check(worksheet_autofilter(ws_, 0, 0, last_row, last_col));
    if (!t.totals || t.rows.empty()) return;
    const lxw_row_t total_row = last_row + 1;
    text(total_row, 0, "Total", book_.total_label);
    for (size_t c = 1; c < t.columns.size(); ++c) {
      if (!t.columns[c].summed) continue;
      char range[LXW_MAX_CELL_RANGE_LENGTH];
      lxw_rowcol_to_range(range, 1, static_cast<lxw_col_t>(c), last_row, static_cast<lxw_col_t>(c));
      std::string formula = "=SUM(" + std::string(range) + ")";
      double cached = std::round(sums[c] * 1e6) / 1e6;
      book_.check(worksheet_write_formula_num(ws_, total_row, static_cast<lxw_col_t>(c), formula.c_str(),
                                              sum_formats[c] ? sum_formats[c] : book_.decimal, cached));
    }
  }

 private:
  void text(lxw_row_t row, lxw_col_t col, std::string_view s, lxw_format* format = nullptr) {
    if (s.empty()) return;
    // write_string: the text lands in the shared-string table, never in a formula.
    book_.check(worksheet_write_string(ws_, row, col, cell_text(s).c_str(), format));
  }

  // Writes `cell`; returns the number format it used (for the column's total).
  lxw_format* write_cell(lxw_row_t row, lxw_col_t col, const Cell& cell) {
    if (const auto* s = std::get_if<std::string>(&cell)) {
      text(row, col, *s);
    } else if (const auto* i = std::get_if<int64_t>(&cell)) {
      book_.check(worksheet_write_number(ws_, row, col, static_cast<double>(*i), book_.integer));
      return book_.integer;
    } else if (const auto* d = std::get_if<double>(&cell)) {
      book_.check(worksheet_write_number(ws_, row, col, *d, book_.confidence));
      return book_.confidence;
    } else if (const auto* b = std::get_if<bool>(&cell)) {
      book_.check(worksheet_write_boolean(ws_, row, col, *b ? 1 : 0, nullptr));
    } else if (const auto* f = std::get_if<const Field*>(&cell); f && *f) {
      return write_value(row, col, (*f)->value, (*f)->raw);
    }
    return nullptr;
  }

  lxw_format* write_value(lxw_row_t row, lxw_col_t col, const TypedValue& v, const std::string& raw) {
    using Type = TypedValue::Type;
    lxw_format* format = nullptr;
    switch (v.type) {
      case Type::Number: format = std::floor(v.number) == v.number ? book_.integer : book_.decimal; break;
      case Type::Amount: format = book_.amount(v.currency); break;
      case Type::Percent: format = book_.percent; break;
      case Type::Date:
        if (auto dt = parse_date(v.text)) {
          book_.check(worksheet_write_datetime(ws_, row, col, &*dt, book_.date));
          return book_.date;
        }
        text(row, col, v.text.empty() ? raw : v.text);
        return nullptr;
      case Type::Text: text(row, col, v.text.empty() ? raw : v.text); return nullptr;
    }
    if (!std::isfinite(v.number)) {
      text(row, col, raw);
      return nullptr;
    }
    book_.check(worksheet_write_number(ws_, row, col, v.number, format));
    return format;
  }

  Book& book_;
  lxw_worksheet* ws_;
};

// ---- what goes into the tables -------------------------------------------------------------

const std::set<std::string_view> kSummedColumns = {
    "quantity", "discount", "taxable_value", "cgst_amount", "sgst_amount", "igst_amount", "line_total", "total_tax",
};

// Fields shown per document on the Documents sheet (those some document has).
constexpr std::string_view kKeyFields[] = {
    "document_number", "document_date",  "seller_name",   "seller_gstin", "buyer_name", "buyer_gstin", "po_number",
    "ewaybill_number", "vehicle_number", "taxable_total", "cgst_total",   "sgst_total", "igst_total",  "grand_total",
};

double width_of(std::string_view name) {
  if (name == "description" || name.ends_with("_name") || name.ends_with("_address")) return 36;
  if (name.ends_with("_gstin") || name == "amount_in_words") return 20;
  return 14;
}

// The names `rows` use, in `order` first, then any others in first-seen order.
template <typename Row, size_t N>
std::vector<std::string> present_columns(const std::vector<Row>& rows, const std::string_view (&order)[N]) {
  std::vector<std::string> seen;
  for (const auto& r : rows) {
    for (const auto& c : r.cells) {
      if (std::find(seen.begin(), seen.end(), c.name) == seen.end()) seen.push_back(c.name);
    }
  }
  std::vector<std::string> out;
  for (auto name : order) {
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) out.emplace_back(name);
  }
  for (const auto& name : seen) {
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

// A document's fields in kFieldNames order, then any others.
std::vector<const Field*> ordered_fields(const Extraction& x) {
  std::vector<const Field*> out;
  for (auto name : kFieldNames) {
    if (const Field* f = x.field(name)) out.push_back(f);
  }
  for (const auto& f : x.fields) {
    if (std::find(out.begin(), out.end(), &f) == out.end()) out.push_back(&f);
  }
  return out;
}

std::string document_label(const WorkbookDocument& d) {
  if (const Field* n = d.extraction->field("document_number"); n && !n->raw.empty()) return n->raw;
  return d.name;
}

// With several documents every table starts with a Document column.
class Tables {
 public:
  explicit Tables(const std::vector<WorkbookDocument>& docs) : docs_(docs), batch_(docs.size() > 1) {}

  Table fields() const {
    Table t;
    lead(t);
    t.columns.push_back({"Field", 24});
    t.columns.push_back({"Value", 36});
    t.columns.push_back({"Confidence", 11});
    t.columns.push_back({"Page", 6});
    t.columns.push_back({"Printed as", 36});
    t.columns.push_back({"Origin", 8});
    for (const auto& d : docs_) {
      for (const Field* f : ordered_fields(*d.extraction)) {
        std::vector<Cell> row = start(d);
        row.emplace_back(field_label(f->name));
        row.emplace_back(f);
        row.emplace_back(f->confidence);
        row.emplace_back(f->source.page > 0 ? Cell(int64_t{f->source.page}) : Cell());
        row.emplace_back(f->raw);
        row.emplace_back(f->origin);
        t.rows.push_back(std::move(row));
      }
    }
    return t;
  }

  Table lines() const { return items("Line", kLineColumns, &Extraction::lines); }
  Table taxes() const { return items("Row", kTaxColumns, &Extraction::taxes); }

  Table checks() const {
    Table t;
    lead(t);
    t.columns.push_back({"Check", 18});
    t.columns.push_back({"Passed", 8});
    t.columns.push_back({"Field", 18});
    t.columns.push_back({"Detail", 60});
    for (const auto& d : docs_) {
      for (const auto& c : d.extraction->checks) {
        std::vector<Cell> row = start(d);
        row.emplace_back(c.name);
        row.emplace_back(c.passed);
        row.emplace_back(c.field);
        row.emplace_back(c.detail);
        t.rows.push_back(std::move(row));
      }
      for (const auto& w : d.extraction->warnings) {
        std::vector<Cell> row = start(d);
        row.insert(row.end(), {Cell(std::string("note")), Cell(), Cell(), Cell(w)});
        t.rows.push_back(std::move(row));
      }
    }
    return t;
  }

  Table documents() const {
    std::vector<std::string_view> keys;
    for (auto k : kKeyFields) {
      if (std::any_of(docs_.begin(), docs_.end(), [&](const auto& d) { return d.extraction->field(k) != nullptr; })) {
        keys.push_back(k);
      }
    }
    Table t;
    t.columns.push_back({"File", 28});
    t.columns.push_back({"Kind", 16});
    t.columns.push_back({"Pages", 7});
    for (auto k : keys) t.columns.push_back({field_label(k), width_of(k)});
    t.columns.push_back({"Lines", 7});
    t.columns.push_back({"Failed checks", 13});
    t.columns.push_back({"Notes", 40});
    for (const auto& d : docs_) {
      const Extraction& x = *d.extraction;
      std::vector<Cell> row{d.name, std::string(kind_title(x.kind)), int64_t{x.pages}};
      for (auto k : keys) row.emplace_back(x.field(k));
      row.emplace_back(static_cast<int64_t>(x.lines.size()));
      row.emplace_back(static_cast<int64_t>(
          std::count_if(x.checks.begin(), x.checks.end(), [](const Check& c) { return !c.passed; })));
      std::string notes;
      for (const auto& w : x.warnings) notes += (notes.empty() ? "" : "; ") + w;
      row.emplace_back(notes);
      t.rows.push_back(std::move(row));
    }
    return t;
  }

 private:
  void lead(Table& t) const {
    if (batch_) t.columns.push_back({"Document", 18});
  }
  std::vector<Cell> start(const WorkbookDocument& d) const {
    std::vector<Cell> row;
    if (batch_) row.emplace_back(document_label(d));
    return row;
  }
  // A table of line items or tax rows: a number, then the columns the documents have, and a
  // Total row.
  template <typename Item, size_t N>
  Table items(const char* number_label, const std::string_view (&order)[N],
              std::vector<Item> Extraction::*member) const {
    std::vector<Item> all;
    for (const auto& d : docs_) all.insert(all.end(), (d.extraction->*member).begin(), (d.extraction->*member).end());
    auto names = present_columns(all, order);
    Table t;
    lead(t);
    t.columns.push_back({number_label, 6});
    for (const auto& n : names) t.columns.push_back({field_label(n), width_of(n), kSummedColumns.count(n) > 0});
    t.totals = true;
    for (const auto& d : docs_) {
      int64_t ordinal = 0;
      for (const auto& item : d.extraction->*member) {
        std::vector<Cell> row = start(d);
        row.emplace_back(row_number(item, ++ordinal));
        for (const auto& n : names) row.emplace_back(item.cell(n));
        t.rows.push_back(std::move(row));
      }
    }
    return t;
  }
  static int64_t row_number(const LineItem& line, int64_t) { return line.number; }
  static int64_t row_number(const TaxRow&, int64_t ordinal) { return ordinal; }

  const std::vector<WorkbookDocument>& docs_;
  bool batch_;
};

}  // namespace

core::Status write_workbook(const std::filesystem::path& out, const std::vector<WorkbookDocument>& docs) {
  if (docs.empty()) return Error(Code::InvalidInput, "a workbook needs at least one document");
  for (const auto& d : docs) {
    if (!d.extraction) return Error(Code::InvalidInput, "a workbook document without an extraction");
  }
  std::filesystem::path folder = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
  std::filesystem::path temp = folder / ("." + out.filename().string() + "." + core::new_id() + ".tmp");
  core::Status st;
  {
    Book book(temp);
    if (!book.opened()) return Error(Code::Internal, "cannot create the workbook in " + folder.string());
    Tables tables(docs);
    auto add = [&](const char* name, const Table& t) {
      if (lxw_worksheet* ws = book.sheet(name)) SheetWriter(book, ws).write(t);
    };
    if (docs.size() > 1) {
      add("Documents", tables.documents());
      add("Fields", tables.fields());
    } else {
      add("Summary", tables.fields());
    }
    add("Line Items", tables.lines());
    add("Taxes", tables.taxes());
    add("Checks", tables.checks());
    st = book.close();
  }
  std::error_code ec;
  if (!st) {
    std::filesystem::remove(temp, ec);
    return st;
  }
  std::filesystem::rename(temp, out, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    return Error(Code::Internal, "cannot move the workbook into place: " + ec.message());
  }
  return {};
}

}  // namespace docent::engines
