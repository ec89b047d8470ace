// Line-item and tax-summary tables: a header line found by its column names, rows assigned to
// columns by position, continuing across pages until a totals line.

#include "engines/extraction_internal.h"

#include <algorithm>
#include <limits>

namespace docent::engines::extraction {

namespace {

struct ColumnSpec {
  std::string_view name;  // kLineColumns / kTaxColumns names; "sr" is the row number, not kept
  std::vector<std::string_view> labels;
};

const std::vector<ColumnSpec>& column_specs() {
  static const std::vector<ColumnSpec> kSpecs = {
      {"sr", {"sr", "sr no", "s no", "sl no", "sno", "no"}},
      {"description", {"description", "particulars", "item", "item description", "description of goods",
                       "product", "goods", "item name", "product name", "description of goods services",
                       "product name description"}},
      {"hsn_sac", {"hsn sac", "hsn", "sac", "hsn code", "hsn sac code"}},
      {"quantity", {"qty", "quantity"}},
      {"unit", {"unit", "uom", "units"}},
      {"rate", {"rate", "unit price", "price", "rate per unit", "unit rate"}},
      {"discount", {"disc", "discount", "disc amt"}},
      {"taxable_value", {"taxable value", "taxable amt", "taxable amount", "taxable"}},
      {"cgst_rate", {"cgst pct", "cgst rate"}},
      {"cgst_amount", {"cgst amt", "cgst amount", "cgst"}},
      {"sgst_rate", {"sgst pct", "sgst rate"}},
      {"sgst_amount", {"sgst amt", "sgst amount", "sgst"}},
      {"igst_rate", {"igst pct", "igst rate"}},
      {"igst_amount", {"igst amt", "igst amount", "igst"}},
      {"total_tax", {"total tax", "tax amount", "total tax amount"}},
      {"line_total", {"amount", "total", "line total", "net amount", "value", "total amount"}},
  };
  return kSpecs;
}


struct Column {
  std::string name;
  double x0 = 0, x1 = 0;
  double lo = 0, hi = 0;  // the zone its cells fall in
};

// Within OCR's reach of each other: one letter added, dropped or changed for names of five
// letters or more, two for eight or more ("Particulas", "MISN/SAC").
bool near(const std::string& a, const std::string& b) {
  if (a == b) return true;
  const size_t longest = std::max(a.size(), b.size());
  const size_t allowed = longest >= 8 ? 2 : longest >= 5 ? 1 : 0;
  if (allowed == 0 || (a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > allowed) return false;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()] <= allowed;
}

// The columns a line names, or none when it is not a header: words matched greedily, longest
// label first, at most one word left unexplained. A label matches a run of words whose letters
// read as it with the spaces taken out ("IGST Amt" or OCR's "IGSTAmt").
std::vector<Column> header_columns(const Line& line) {
  std::vector<const PositionedWord*> words;
  for (const Segment& s : line.segments) words.insert(words.end(), s.words.begin(), s.words.end());
  std::vector<std::string> squashed;
  for (const PositionedWord* w : words) {
    std::string n = normalize(w->text);
    n.erase(std::remove(n.begin(), n.end(), ' '), n.end());
    squashed.push_back(std::move(n));
  }
  std::vector<Column> cols;
  int unexplained = 0;
  constexpr size_t kMaxWordsPerHeader = 4;
  for (size_t i = 0; i < words.size();) {
    if (squashed[i].empty()) {
      ++i;
      continue;
    }
    size_t best_words = 0, best_len = 0;
    std::string_view best_name;
    std::string run;
    for (size_t j = i; j < words.size() && j < i + kMaxWordsPerHeader; ++j) {
      // Words of one header cell sit close together.
      if (j > i && words[j]->box.x0 - words[j - 1]->box.x1 > 0.9 * (words[j]->box.y1 - words[j]->box.y0)) break;
      run += squashed[j];
      for (const ColumnSpec& spec : column_specs()) {
        for (std::string_view label : spec.labels) {
          std::string want(label);
          want.erase(std::remove(want.begin(), want.end(), ' '), want.end());
          // CGST, SGST and IGST are one letter apart: those only exactly.
          const bool exact = run == want;
          if (!exact && (want.find("gst") != std::string::npos || !near(run, want))) continue;
          const size_t score = 2 * want.size() + (exact ? 1 : 0);
          if (score > best_len) best_words = j - i + 1, best_len = score, best_name = spec.name;
        }
      }
    }
    if (best_words == 0) {
      ++unexplained;
      ++i;
      continue;
    }
    cols.push_back(Column{std::string(best_name), words[i]->box.x0, words[i + best_words - 1]->box.x1});
    i += best_words;
  }
  if (unexplained > 1 || cols.size() < 3) return {};
  return cols;
}

bool has(const std::vector<Column>& cols, std::string_view name) {
  return std::any_of(cols.begin(), cols.end(), [&](const Column& c) { return c.name == name; });
}

enum class TableKind { Lines, Taxes };

std::optional<TableKind> table_kind(const std::vector<Column>& cols) {
  if (cols.empty()) return std::nullopt;
  if (has(cols, "description") && (has(cols, "quantity") || has(cols, "line_total") || has(cols, "taxable_value")))
    return TableKind::Lines;
  if (has(cols, "hsn_sac") && has(cols, "taxable_value")) return TableKind::Taxes;
  return std::nullopt;
}

void set_zones(std::vector<Column>& cols) {
  std::sort(cols.begin(), cols.end(), [](const Column& a, const Column& b) { return a.x0 < b.x0; });
  for (size_t k = 0; k < cols.size(); ++k) {
    cols[k].lo = k == 0 ? -std::numeric_limits<double>::infinity() : (cols[k - 1].x1 + cols[k].x0) / 2;
    cols[k].hi = k + 1 == cols.size() ? std::numeric_limits<double>::infinity() : (cols[k].x1 + cols[k + 1].x0) / 2;
  }
}

bool numeric_column(std::string_view name) {
  return name != "description" && name != "unit" && name != "hsn_sac" && name != "sr";
}

// A line that ends the table: totals, amounts in words, a footer of the document.
bool stops_table(const Line& line) {
  if (line.segments.empty()) return true;
  const std::string n = normalize(line.segments.front().text());
  for (std::string_view stop : {"total", "sub total", "subtotal", "grand total", "taxable", "amount in words",
                                "rupees", "cgst", "sgst", "igst", "round off", "bank", "declaration", "terms",
                                "less", "add", "net", "for ", "authorised", "authorized"}) {
    if (n.starts_with(stop)) return true;
  }
  return false;
}

bool is_page_furniture(const Line& line) {
  const std::string n = normalize(line.text());
  return n.starts_with("page ") || n.find("continued") != std::string::npos || n.starts_with("contd");
}

struct Cells {
  std::vector<std::pair<std::string, std::vector<const PositionedWord*>>> cells;  // column order
  std::vector<const PositionedWord*>* find(std::string_view name) {
    for (auto& [n, w] : cells) {
      if (n == name) return &w;
    }
    return nullptr;
  }
};

// A segment goes whole to the one column header it lies under (a wrapped description's last
// word may reach past its header's zone); one spanning several headers is split word by word.
Cells assign(const Line& line, const std::vector<Column>& cols) {
  Cells out;
  for (const Column& c : cols) out.cells.emplace_back(c.name, std::vector<const PositionedWord*>{});
  auto zone_of = [&](double cx) {
    for (size_t k = 0; k < cols.size(); ++k) {
      if (cx >= cols[k].lo && cx < cols[k].hi) return k;
    }
    return cols.size() - 1;
  };
  for (const Segment& s : line.segments) {
    size_t under = 0, best = 0;
    double best_overlap = 0;
    for (size_t k = 0; k < cols.size(); ++k) {
      const double o = std::min(s.box.x1, cols[k].x1) - std::max(s.box.x0, cols[k].x0);
      if (o > 0) {
        ++under;
        if (o > best_overlap) best_overlap = o, best = k;
      }
    }
    if (under == 1) {
      auto& cell = out.cells[best].second;
      cell.insert(cell.end(), s.words.begin(), s.words.end());
      continue;
    }
    // Cells run together: a word under a header goes to it, one under none stays with the word
    // before it (descriptions grow rightwards), the first by its zone.
    size_t current = zone_of((s.words.front()->box.x0 + s.words.front()->box.x1) / 2);
    for (const PositionedWord* w : s.words) {
      for (size_t k = 0; k < cols.size(); ++k) {
        if (std::min(w->box.x1, cols[k].x1) - std::max(w->box.x0, cols[k].x0) > 0) {
          current = k;
          break;
        }
      }
      out.cells[current].second.push_back(w);
    }
  }
  // A dash under a number means none.
  for (auto& [name, words] : out.cells) {
    if (numeric_column(name) && words.size() == 1 &&
        (words[0]->text == "-" || words[0]->text == "\xe2\x80\x94" || words[0]->text == "--" || words[0]->text == "Nil"))
      words.clear();
  }
  return out;
}

std::string joined(const std::vector<const PositionedWord*>& words) {
  std::string out;
  for (const PositionedWord* w : words) out += (out.empty() ? "" : " ") + w->text;
  return out;
}

// A row proper has a number under a numeric column; a line with text only continues the row
// above (a wrapped description).
bool starts_row(Cells& cells) {
  for (auto& [name, words] : cells.cells) {
    if (numeric_column(name) && name != "sr" && !words.empty() && parse_number(joined(words))) return true;
  }
  return false;
}

std::vector<Field> to_fields(Cells& cells, int page) {
  std::vector<Field> out;
  for (auto& [name, words] : cells.cells) {
    if (name == "sr" || words.empty()) continue;
    out.push_back(make_field(name, words, page, Found::Table));
  }
  return out;
}

void append_words(Field& f, const std::vector<const PositionedWord*>& words) {
  const std::string more = joined(words);
  if (more.empty()) return;
  f.raw += " " + more;
  type_value(f);
  for (const PositionedWord* w : words) {
    f.source.box.x0 = std::min(f.source.box.x0, w->box.x0);
    f.source.box.x1 = std::max(f.source.box.x1, w->box.x1);
    f.source.box.y1 = std::max(f.source.box.y1, w->box.y1);
  }
}

}  // namespace

void find_tables(std::vector<Line>& lines, Extraction& x) {
  std::vector<Column> active;  // the line-item table still open at the end of the last page
  int active_page = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<Column> cols = header_columns(lines[i]);
    auto kind = table_kind(cols);
    size_t start = i + 1;
    if (!kind) {
      // A table that ran off the previous page continues at the top of this one.
      if (active.empty() || lines[i].page == active_page) continue;
      cols = active;
      kind = TableKind::Lines;
      start = i;
    } else {
      lines[i].used = true;
    }
    set_zones(cols);
    const int page = lines[start < lines.size() ? start : i].page;
    bool stopped = false, row_on_page = false;
    size_t k = start;
    for (; k < lines.size() && lines[k].page == page; ++k) {
      Line& l = lines[k];
      if (k > start && !header_columns(l).empty()) break;  // another table
      if (is_page_furniture(l)) {
        l.used = true;
        continue;
      }
      if (stops_table(l)) {
        stopped = true;
        break;
      }
      Cells cells = assign(l, cols);
      if (starts_row(cells)) {
        l.used = true;
        row_on_page = true;
        if (*kind == TableKind::Lines) {
          x.lines.push_back(LineItem{.number = static_cast<int>(x.lines.size()) + 1, .cells = to_fields(cells, page)});
        } else {
          x.taxes.push_back(TaxRow{.cells = to_fields(cells, page)});
        }
        continue;
      }
      if (!row_on_page) {
        if (start == i) continue;  // a continued page's own heading lines, before its rows
        continue;
      }
      // A wrapped description (or unit) under the row above.
      const bool adjacent = l.box.y0 - lines[k - 1].box.y1 < 1.2 * (l.box.y1 - l.box.y0);
      auto* desc = cells.find("description");
      if (*kind != TableKind::Lines || !adjacent || desc == nullptr || desc->empty()) {
        stopped = true;  // something else below the table
        break;
      }
      l.used = true;
      for (Field& f : x.lines.back().cells) {
        if (f.name == "description") append_words(f, *desc);
      }
    }
    if (*kind == TableKind::Lines) {
      if (stopped || !row_on_page) {
        active.clear();
      } else {
        active = cols;
        active_page = page;
      }
    }
    // Continue after the table (k is its first line not taken); the loop's ++ makes it k.
    i = k > i ? k - 1 : i;
  }
}

}  // namespace docent::engines::extraction
