// extract_fields and the Extraction's names and JSON form.

#include "engines/extraction.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>

#include "engines/extraction_internal.h"

namespace docent::engines {

namespace json = boost::json;
using extraction::Found;

namespace extraction {

double base_confidence(Found how) {
  switch (how) {
    case Found::SameSegment: return 0.95;
    case Found::Table: return 0.93;
    case Found::RightOf: return 0.92;
    case Found::Block: return 0.88;
    case Found::Below: return 0.85;
    case Found::Pattern: return 0.7;
  }
  return 0.7;
}

namespace {

TypedValue::Type type_for(std::string_view name) {
  if (name.ends_with("_date") || name == "ewaybill_valid_until") return TypedValue::Type::Date;
  if (name.ends_with("_rate")) return TypedValue::Type::Percent;
  if (name == "quantity" || name == "distance_km") return TypedValue::Type::Number;
  if (name.ends_with("_total") || name.ends_with("_amount") || name == "subtotal" || name == "round_off" ||
      name == "rate" || name == "discount" || name == "taxable_value" || name == "line_total" || name == "total_tax")
    return TypedValue::Type::Amount;
  return TypedValue::Type::Text;
}

// OCR's stray marks at a value's ends: quotes, brackets and colons that belong to no value.
std::string_view strip_marks(std::string_view s) {
  auto stray = [](std::string_view t, bool front) {
    for (std::string_view m : {"\xe2\x80\x98", "\xe2\x80\x99", "'", "`", "\"", "|", "}", "{", "[", "]", ":", ";"}) {
      if (front ? t.starts_with(m) : t.ends_with(m)) return m.size();
    }
    return size_t{0};
  };
  for (size_t n; (n = stray(s, true)) > 0;) s.remove_prefix(n);
  for (size_t n; (n = stray(s, false)) > 0;) s.remove_suffix(n);
  if (s.ends_with(")") && s.find('(') == std::string_view::npos) s.remove_suffix(1);
  return s;
}

std::string clean_text(std::string_view raw) {
  raw = strip_marks(raw);
  std::string out;
  for (char c : raw) {
    if (c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ',')) out.pop_back();
  return out;
}

// Identifiers are printed with stray spaces and mixed case by OCR and by people alike.
bool is_identifier(std::string_view name) {
  return name.ends_with("gstin") || name.ends_with("_pan") || name == "ewaybill_number" || name == "vehicle_number" ||
         name == "transporter_id" || name == "currency";
}

}  // namespace

bool type_value(Field& f) {
  TypedValue v;
  v.type = type_for(f.name);
  std::string raw = clean_text(f.raw);
  bool ok = true;
  switch (v.type) {
    case TypedValue::Type::Date: {
      auto d = parse_date(raw);
      ok = d.has_value();
      v.text = d.value_or(raw);
      break;
    }
    case TypedValue::Type::Number:
    case TypedValue::Type::Percent:
    case TypedValue::Type::Amount: {
      std::string s = raw;
      for (std::string_view unit : {" km", " KM", "km", "Km", "Kms", "kms"}) {
        if (s.ends_with(unit)) s.erase(s.size() - unit.size());
      }
      auto n = parse_number(s);
      ok = n.has_value();
      v.text = raw;
      v.number = n.value_or(0);
      if (v.type == TypedValue::Type::Amount) {
        v.currency = currency_of(raw);
        if (v.currency.empty()) v.currency = "INR";
      }
      break;
    }
    case TypedValue::Type::Text:
      v.text = raw;
      if (is_identifier(f.name)) {
        v.text.erase(std::remove(v.text.begin(), v.text.end(), ' '), v.text.end());
        for (char& c : v.text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (f.name.ends_with("gstin") || f.name == "transporter_id") v.text = repair_gstin(v.text);
        if (f.name == "ewaybill_number") v.text = repair_digits(v.text, 12);
      }
      break;
  }
  if (!ok) {
    // Kept as printed, for a person to see, but not as the type it should have had.
    v.type = TypedValue::Type::Text;
    v.text = raw;
    v.number = 0;
    v.currency.clear();
  }
  f.value = std::move(v);
  return ok;
}

Field make_field(std::string name, const std::vector<const PositionedWord*>& words, int page, Found how) {
  Field f;
  f.name = std::move(name);
  double ocr = 1;
  for (const PositionedWord* w : words) {
    if (!f.raw.empty()) f.raw += ' ';
    f.raw += w->text;
    ocr = std::min(ocr, w->confidence);
    if (f.source.page == 0) {
      f.source.page = page;
      f.source.box = w->box;
    } else {
      f.source.box.x0 = std::min(f.source.box.x0, w->box.x0);
      f.source.box.y0 = std::min(f.source.box.y0, w->box.y0);
      f.source.box.x1 = std::max(f.source.box.x1, w->box.x1);
      f.source.box.y1 = std::max(f.source.box.y1, w->box.y1);
    }
  }
  f.confidence = base_confidence(how) * (0.5 + 0.5 * ocr);
  if (!type_value(f)) f.confidence *= 0.5;  // did not parse as its type
  return f;
}

}  // namespace extraction

// ---- names -------------------------------------------------------------------------------------

std::string_view kind_name(DocKind kind) {
  switch (kind) {
    case DocKind::Invoice: return "invoice";
    case DocKind::PurchaseOrder: return "po";
    case DocKind::DeliveryChallan: return "dc";
    case DocKind::EwayBill: return "ewaybill";
  }
  return "invoice";
}

std::optional<DocKind> parse_kind(std::string_view name) {
  for (DocKind k : {DocKind::Invoice, DocKind::PurchaseOrder, DocKind::DeliveryChallan, DocKind::EwayBill}) {
    if (kind_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view kind_title(DocKind kind) {
  switch (kind) {
    case DocKind::Invoice: return "Invoice";
    case DocKind::PurchaseOrder: return "Purchase order";
    case DocKind::DeliveryChallan: return "Delivery challan";
    case DocKind::EwayBill: return "E-way bill";
  }
  return "Invoice";
}

std::string field_label(std::string_view name) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kWords = {
      {"gstin", "GSTIN"},         {"pan", "PAN"},   {"hsn", "HSN"},   {"sac", "SAC"},
      {"cgst", "CGST"},           {"sgst", "SGST"}, {"igst", "IGST"}, {"po", "PO"},
      {"ewaybill", "E-way bill"}, {"km", "(km)"},   {"id", "ID"},     {"doc", "document"},
  };
  std::string out;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('_', start);
    if (end == std::string_view::npos) end = name.size();
    std::string word(name.substr(start, end - start));
    for (auto [from, to] : kWords) {
      if (word == from) word = std::string(to);
    }
    if (!out.empty()) out += word == "SAC" ? "/" : " ";
    out += word;
    start = end + 1;
  }
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

const Field* LineItem::cell(std::string_view name) const {
  for (const Field& f : cells) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Field* TaxRow::cell(std::string_view name) const {
  for (const Field& f : cells) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Field* Extraction::field(std::string_view name) const {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// ---- extraction ------------------------------------------------------------------------------

Extraction extract_fields(DocKind kind, const std::vector<PageWords>& pages) {
  Extraction x;
  x.kind = kind;
  x.pages = static_cast<int>(pages.size());
  std::vector<extraction::Line> lines;
  for (const PageWords& p : pages) {
    x.ocr = x.ocr || p.ocr;
    auto page_lines = extraction::build_lines(p);
    lines.insert(lines.end(), std::make_move_iterator(page_lines.begin()), std::make_move_iterator(page_lines.end()));
  }
  extraction::find_tables(lines, x);
  extraction::find_fields(kind, lines, x);
  // Summary order, whatever order the page gave.
  auto rank = [](const Field& f) {
    for (size_t i = 0; i < std::size(kFieldNames); ++i) {
      if (kFieldNames[i] == f.name) return i;
    }
    return std::size(kFieldNames);
  };
  std::stable_sort(x.fields.begin(), x.fields.end(), [&](const Field& a, const Field& b) { return rank(a) < rank(b); });
  if (x.fields.empty() && x.lines.empty()) {
    x.warnings.push_back(lines.empty() ? "the document has no readable text" : "no recognisable fields were found");
  }
  validate(x);
  for (const Check& c : x.checks) {
    for (Field& f : x.fields) {
      if (f.name != c.field) continue;
      f.confidence = c.passed ? std::min(0.99, f.confidence + (1 - f.confidence) / 2) : f.confidence * 0.7;
    }
  }
  return x;
}

// ---- JSON ----------------------------------------------------------------------------------------

namespace {

std::string_view type_name(TypedValue::Type t) {
  switch (t) {
    case TypedValue::Type::Text: return "text";
    case TypedValue::Type::Number: return "number";
    case TypedValue::Type::Amount: return "amount";
    case TypedValue::Type::Percent: return "percent";
    case TypedValue::Type::Date: return "date";
  }
  return "text";
}

json::object field_json(const Field& f) {
  json::object o;
  o["raw"] = f.raw;
  const bool numeric = f.value.type == TypedValue::Type::Number || f.value.type == TypedValue::Type::Amount ||
                       f.value.type == TypedValue::Type::Percent;
  if (numeric)
    o["value"] = f.value.number;
  else
    o["value"] = f.value.text;
  o["type"] = type_name(f.value.type);
  if (f.value.type == TypedValue::Type::Amount) o["currency"] = f.value.currency;
  o["confidence"] = std::round(f.confidence * 1000) / 1000;
  if (f.source.page > 0) {
    o["page"] = f.source.page;
    o["box"] = json::array{f.source.box.x0, f.source.box.y0, f.source.box.x1, f.source.box.y1};
  }
  o["origin"] = f.origin;
  return o;
}

core::Error bad(const std::string& what) {
  return core::Error(core::Code::InvalidInput, "malformed extraction: " + what);
}

bool as_number(const json::value& v, double& out) {
  if (v.is_double())
    out = v.get_double();
  else if (v.is_int64())
    out = static_cast<double>(v.get_int64());
  else if (v.is_uint64())
    out = static_cast<double>(v.get_uint64());
  else
    return false;
  return true;
}

core::Result<Field> field_from_json(std::string name, const json::value& v) {
  if (!v.is_object()) return bad("field \"" + name + "\" is not an object");
  const json::object& o = v.get_object();
  Field f;
  f.name = std::move(name);
  auto str = [&](std::string_view key, std::string& out) {
    const json::value* m = o.if_contains(key);
    if (m == nullptr) return true;
    if (!m->is_string()) return false;
    out = std::string(m->get_string());
    return true;
  };
  std::string type = "text";
  if (!str("raw", f.raw) || !str("type", type) || !str("origin", f.origin) || !str("currency", f.value.currency))
    return bad("field \"" + f.name + "\" has a member of the wrong type");
  bool known = false;
  for (auto t : {TypedValue::Type::Text, TypedValue::Type::Number, TypedValue::Type::Amount, TypedValue::Type::Percent,
                 TypedValue::Type::Date}) {
    if (type_name(t) == type) f.value.type = t, known = true;
  }
  if (!known) return bad("field \"" + f.name + "\" has an unknown type \"" + type + "\"");
  if (const json::value* value = o.if_contains("value")) {
    if (value->is_string())
      f.value.text = std::string(value->get_string());
    else if (!as_number(*value, f.value.number))
      return bad("field \"" + f.name + "\" has a value of the wrong type");
    else
      f.value.text = f.raw;
  }
  if (const json::value* c = o.if_contains("confidence"); c != nullptr && !as_number(*c, f.confidence))
    return bad("field \"" + f.name + "\" has a non-numeric confidence");
  if (const json::value* p = o.if_contains("page")) {
    if (!p->is_int64()) return bad("field \"" + f.name + "\" has a non-integer page");
    f.source.page = static_cast<int>(p->get_int64());
    const json::value* box = o.if_contains("box");
    if (box == nullptr || !box->is_array() || box->get_array().size() != 4)
      return bad("field \"" + f.name + "\" has no box");
    const json::array& b = box->get_array();
    if (!as_number(b[0], f.source.box.x0) || !as_number(b[1], f.source.box.y0) || !as_number(b[2], f.source.box.x1) ||
        !as_number(b[3], f.source.box.y1))
      return bad("field \"" + f.name + "\" has a non-numeric box");
  }
  return f;
}

core::Result<std::vector<Field>> cells_from_json(const json::object& o, std::string_view skip) {
  std::vector<Field> out;
  for (const auto& [key, value] : o) {
    if (key == skip) continue;
    auto f = field_from_json(std::string(key), value);
    if (!f) return std::move(f).error();
    out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace

json::value to_json(const Extraction& x) {
  json::object fields;
  for (const Field& f : x.fields) fields[f.name] = field_json(f);
  json::array lines;
  for (const LineItem& l : x.lines) {
    json::object o{{"number", l.number}};
    for (const Field& f : l.cells) o[f.name] = field_json(f);
    lines.push_back(std::move(o));
  }
  json::array taxes;
  for (const TaxRow& t : x.taxes) {
    json::object o;
    for (const Field& f : t.cells) o[f.name] = field_json(f);
    taxes.push_back(std::move(o));
  }
  json::array checks;
  for (const Check& c : x.checks) {
    checks.push_back(json::object{{"name", c.name}, {"passed", c.passed}, {"field", c.field}, {"detail", c.detail}});
  }
  json::array warnings;
  for (const std::string& w : x.warnings) warnings.push_back(json::string(w));
  return json::object{{"kind", kind_name(x.kind)},
                      {"pages", x.pages},
                      {"ocr", x.ocr},
                      {"fields", std::move(fields)},
                      {"lines", std::move(lines)},
                      {"taxes", std::move(taxes)},
                      {"checks", std::move(checks)},
                      {"warnings", std::move(warnings)}};
}

core::Result<Extraction> extraction_from_json(const json::value& v) {
  if (!v.is_object()) return bad("not an object");
  const json::object& o = v.get_object();
  Extraction x;
  const json::value* kind = o.if_contains("kind");
  if (kind == nullptr || !kind->is_string()) return bad("\"kind\" is missing");
  auto k = parse_kind(std::string_view(kind->get_string()));
  if (!k) return bad("unknown kind \"" + std::string(kind->get_string()) + "\"");
  x.kind = *k;
  if (const json::value* p = o.if_contains("pages")) {
    if (!p->is_int64()) return bad("\"pages\" is not an integer");
    x.pages = static_cast<int>(p->get_int64());
  }
  if (const json::value* p = o.if_contains("ocr")) {
    if (!p->is_bool()) return bad("\"ocr\" is not a boolean");
    x.ocr = p->get_bool();
  }
  if (const json::value* f = o.if_contains("fields")) {
    if (!f->is_object()) return bad("\"fields\" is not an object");
    auto fields = cells_from_json(f->get_object(), "");
    if (!fields) return std::move(fields).error();
    x.fields = std::move(*fields);
  }
  if (const json::value* l = o.if_contains("lines")) {
    if (!l->is_array()) return bad("\"lines\" is not an array");
    for (const json::value& row : l->get_array()) {
      if (!row.is_object()) return bad("a line is not an object");
      LineItem item;
      const json::value* n = row.get_object().if_contains("number");
      if (n == nullptr || !n->is_int64()) return bad("a line has no number");
      item.number = static_cast<int>(n->get_int64());
      auto cells = cells_from_json(row.get_object(), "number");
      if (!cells) return std::move(cells).error();
      item.cells = std::move(*cells);
      x.lines.push_back(std::move(item));
    }
  }
  if (const json::value* t = o.if_contains("taxes")) {
    if (!t->is_array()) return bad("\"taxes\" is not an array");
    for (const json::value& row : t->get_array()) {
      if (!row.is_object()) return bad("a tax row is not an object");
      auto cells = cells_from_json(row.get_object(), "");
      if (!cells) return std::move(cells).error();
      x.taxes.push_back(TaxRow{std::move(*cells)});
    }
  }
  if (const json::value* c = o.if_contains("checks")) {
    if (!c->is_array()) return bad("\"checks\" is not an array");
    for (const json::value& cv : c->get_array()) {
      if (!cv.is_object()) return bad("a check is not an object");
      const json::object& co = cv.get_object();
      Check check;
      const json::value* name = co.if_contains("name");
      const json::value* passed = co.if_contains("passed");
      if (name == nullptr || !name->is_string() || passed == nullptr || !passed->is_bool())
        return bad("a check lacks \"name\" or \"passed\"");
      check.name = std::string(name->get_string());
      check.passed = passed->get_bool();
      if (const json::value* f = co.if_contains("field"); f != nullptr && f->is_string())
        check.field = std::string(f->get_string());
      if (const json::value* d = co.if_contains("detail"); d != nullptr && d->is_string())
        check.detail = std::string(d->get_string());
      x.checks.push_back(std::move(check));
    }
  }
  if (const json::value* w = o.if_contains("warnings")) {
    if (!w->is_array()) return bad("\"warnings\" is not an array");
    for (const json::value& s : w->get_array()) {
      if (!s.is_string()) return bad("a warning is not a string");
      x.warnings.emplace_back(s.get_string());
    }
  }
  return x;
}

}  // namespace docent::engines
