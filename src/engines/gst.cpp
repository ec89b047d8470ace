// GST identifiers and the checks an accountant makes on a document.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include "engines/extraction.h"
#include "engines/extraction_internal.h"

namespace docent::engines {

namespace {

constexpr std::string_view kBase36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

bool is_upper_alpha(char c) { return c >= 'A' && c <= 'Z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The shape: 2 digits, a PAN (5 letters, 4 digits, a letter), an entity character, 'Z', a check
// character.
bool gstin_shape_ok(std::string_view g) {
  if (g.size() != 15) return false;
  for (int i : {0, 1, 7, 8, 9, 10}) {
    if (!is_digit(g[i])) return false;
  }
  for (int i : {2, 3, 4, 5, 6, 11}) {
    if (!is_upper_alpha(g[i])) return false;
  }
  return kBase36.find(g[12]) != std::string_view::npos && g[12] != '0' && g[13] == 'Z' &&
         kBase36.find(g[14]) != std::string_view::npos;
}

std::string money(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

char gstin_check_char(std::string_view first14) {
  if (first14.size() < 14) return '\0';
  int sum = 0;
  for (size_t i = 0; i < 14; ++i) {
    const size_t v = kBase36.find(first14[i]);
    if (v == std::string_view::npos) return '\0';
    const int product = static_cast<int>(v) * (i % 2 == 0 ? 1 : 2);
    sum += product / 36 + product % 36;
  }
  return kBase36[(36 - sum % 36) % 36];
}

namespace extraction {

std::string repair_gstin(std::string_view text) {
  std::string g(text);
  if (g.size() != 15 || gstin_checksum_ok(g)) return g;
  auto digit = [](char c) {
    switch (c) {
      case 'O':
      case 'D':
      case 'Q': return '0';
      case 'I':
      case 'L':
      case 'T': return '1';
      case 'Z': return '2';
      case 'S': return '5';
      case 'G': return '6';
      case 'B': return '8';
      default: return c;
    }
  };
  auto letter = [](char c) {
    switch (c) {
      case '0': return 'O';
      case '1': return 'I';
      case '2': return 'Z';
      case '5': return 'S';
      case '6': return 'G';
      case '8': return 'B';
      default: return c;
    }
  };
  std::string fixed = g;
  for (int i : {0, 1, 7, 8, 9, 10}) fixed[i] = digit(fixed[i]);
  for (int i : {2, 3, 4, 5, 6, 11}) fixed[i] = letter(fixed[i]);
  if (fixed[13] == '2') fixed[13] = 'Z';
  return gstin_checksum_ok(fixed) ? fixed : g;
}

std::string repair_digits(std::string_view text, size_t length) {
  std::string out(text);
  for (char& c : out) {
    if (c == 'O' || c == 'D')
      c = '0';
    else if (c == 'I' || c == 'L')
      c = '1';
    else if (c == 'S')
      c = '5';
    else if (c == 'B')
      c = '8';
  }
  const bool all_digits = std::all_of(out.begin(), out.end(), [](char c) { return is_digit(c); });
  return all_digits && out.size() == length ? out : std::string(text);
}

}  // namespace extraction

bool gstin_checksum_ok(std::string_view gstin) {
  return gstin_shape_ok(gstin) && gstin_check_char(gstin.substr(0, 14)) == gstin[14];
}

std::string_view gst_state_name(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 39> kStates = {{
      {"01", "Jammu and Kashmir"},
      {"02", "Himachal Pradesh"},
      {"03", "Punjab"},
      {"04", "Chandigarh"},
      {"05", "Uttarakhand"},
      {"06", "Haryana"},
      {"07", "Delhi"},
      {"08", "Rajasthan"},
      {"09", "Uttar Pradesh"},
      {"10", "Bihar"},
      {"11", "Sikkim"},
      {"12", "Arunachal Pradesh"},
      {"13", "Nagaland"},
      {"14", "Manipur"},
      {"15", "Mizoram"},
      {"16", "Tripura"},
      {"17", "Meghalaya"},
      {"18", "Assam"},
      {"19", "West Bengal"},
      {"20", "Jharkhand"},
      {"21", "Odisha"},
      {"22", "Chhattisgarh"},
      {"23", "Madhya Pradesh"},
      {"24", "Gujarat"},
      {"25", "Daman and Diu"},
      {"26", "Dadra and Nagar Haveli and Daman and Diu"},
      {"27", "Maharashtra"},
      {"28", "Andhra Pradesh (before 2014)"},
      {"29", "Karnataka"},
      {"30", "Goa"},
      {"31", "Lakshadweep"},
      {"32", "Kerala"},
      {"33", "Tamil Nadu"},
      {"34", "Puducherry"},
      {"35", "Andaman and Nicobar Islands"},
      {"36", "Telangana"},
      {"37", "Andhra Pradesh"},
      {"38", "Ladakh"},
      {"97", "Other Territory"},
  }};
  if (code == "99") return "Centre Jurisdiction";
  for (auto [c, name] : kStates) {
    if (c == code) return name;
  }
  return {};
}

// ---- validate -----------------------------------------------------------------------------------

namespace {

struct Checker {
  Extraction& x;

  void add(std::string name, bool passed, std::string field, std::string detail) {
    x.checks.push_back(Check{std::move(name), passed, std::move(field), std::move(detail)});
  }

  const Field* number(std::string_view name) const {
    const Field* f = x.field(name);
    if (f == nullptr || f->value.type == TypedValue::Type::Text || f->value.type == TypedValue::Type::Date)
      return nullptr;
    return f;
  }

  static std::optional<double> cell(const LineItem& l, std::string_view name) {
    const Field* f = l.cell(name);
    if (f == nullptr || f->value.type == TypedValue::Type::Text) return std::nullopt;
    return f->value.number;
  }

  void gstins() {
    for (const Field& f : x.fields) {
      if (!f.name.ends_with("gstin")) continue;
      const std::string& g = f.value.text;
      const bool shape = gstin_shape_ok(g);
      add("gstin_checksum", shape && gstin_checksum_ok(g), f.name,
          !shape ? "'" + g + "' is not shaped like a GSTIN (15 characters: state code, PAN, entity, Z, check)"
          : gstin_checksum_ok(g)
              ? "the check character " + g.substr(14) + " matches"
              : "the check character should be " + std::string(1, gstin_check_char(g)) + ", not " + g.substr(14));
      if (g.size() >= 2) {
        const std::string_view state = gst_state_name(g.substr(0, 2));
        add("gstin_state", !state.empty(), f.name,
            state.empty() ? "state code " + g.substr(0, 2) + " is not a GST state"
                          : "state code " + g.substr(0, 2) + " is " + std::string(state));
        // The party's printed state should be the one its GSTIN was issued in.
        const std::string role = f.name.substr(0, f.name.size() - std::string_view("gstin").size());
        const Field* printed = role.empty() ? nullptr : x.field(role + "state");
        if (!state.empty() && printed != nullptr) {
          const bool same = extraction::normalize(printed->value.text) == extraction::normalize(state);
          add("gstin_state", same, printed->name,
              "the printed state " + printed->value.text + (same ? " matches" : " differs from") + " the GSTIN's " +
                  std::string(state));
        }
      }
    }
  }

  void ewaybill() {
    const Field* f = x.field("ewaybill_number");
    if (f == nullptr) return;
    const std::string& n = f->value.text;
    bool ok = n.size() == 12;
    for (char c : n) ok = ok && is_digit(c);
    add("ewaybill_format", ok, f->name, ok ? "12 digits" : "'" + n + "' is not 12 digits");
  }

  void dates() {
    for (const Field& f : x.fields) {
      if (!f.name.ends_with("_date") && f.name != "ewaybill_valid_until") continue;
      const bool ok = f.value.type == TypedValue::Type::Date;
      add("date_valid", ok, f.name, ok ? f.value.text : "'" + f.raw + "' is not a valid date");
    }
    const Field* from = x.field("ewaybill_date");
    const Field* until = x.field("ewaybill_valid_until");
    if (from && until && from->value.type == TypedValue::Type::Date && until->value.type == TypedValue::Type::Date) {
      const bool ok = until->value.text >= from->value.text;
      add("date_valid", ok, "ewaybill_valid_until",
          ok ? "valid until is not before generation" : "valid until is before the generation date");
    }
  }

  // Amounts agree when they differ by no more than rounding (half a rupee, or a paisa per line).
  static bool close(double a, double b, double tolerance) { return std::abs(a - b) <= tolerance + 1e-9; }

  void lines() {
    if (x.lines.empty()) return;
    const double tolerance = 0.5 + 0.01 * static_cast<double>(x.lines.size());
    for (const LineItem& l : x.lines) {
      const std::string where = "line " + std::to_string(l.number);
      auto taxable = cell(l, "taxable_value");
      auto qty = cell(l, "quantity");
      auto rate = cell(l, "rate");
      if (qty && rate) {
        const double expect = *qty * *rate - cell(l, "discount").value_or(0);
        auto base = taxable ? taxable : cell(l, "line_total");
        if (base && !l.cell("cgst_amount") && !l.cell("igst_amount")) {
          add("line_tax", close(expect, *base, 0.51), where,
              "quantity x rate - discount = " + money(expect) + ", printed " + money(*base));
        } else if (taxable) {
          add("line_tax", close(expect, *taxable, 0.51), where,
              "quantity x rate - discount = " + money(expect) + ", taxable value " + money(*taxable));
        }
      }
      if (!taxable) continue;
      for (std::string_view tax : {"cgst", "sgst", "igst"}) {
        auto r = cell(l, std::string(tax) + "_rate");
        auto a = cell(l, std::string(tax) + "_amount");
        if (!r || !a) continue;
        const double expect = *r * *taxable / 100;
        add("line_tax", close(expect, *a, 0.51), where,
            std::string(tax) + " " + money(*r) + "% of " + money(*taxable) + " = " + money(expect) + ", printed " +
                money(*a));
      }
    }
    // Line sums against the totals.
    auto sum = [&](std::string_view name) -> std::optional<double> {
      double s = 0;
      bool any = false;
      for (const LineItem& l : x.lines) {
        if (auto v = cell(l, name)) s += *v, any = true;
      }
      return any ? std::optional<double>(s) : std::nullopt;
    };
    if (auto s = sum("taxable_value")) {
      const Field* total = number("taxable_total");
      if (total == nullptr) total = number("subtotal");
      if (total != nullptr)
        add("line_sum", close(*s, total->value.number, tolerance), total->name,
            "lines' taxable values add up to " + money(*s) + ", printed " + money(total->value.number));
    } else if (auto t = sum("line_total")) {
      const Field* total = number("subtotal");
      if (total == nullptr) total = number("grand_total");
      if (total != nullptr)
        add("line_sum", close(*t, total->value.number, tolerance), total->name,
            "line totals add up to " + money(*t) + ", printed " + money(total->value.number));
    }
    for (std::string_view tax : {"cgst", "sgst", "igst"}) {
      auto s = sum(std::string(tax) + "_amount");
      const Field* total = number(std::string(tax) + "_total");
      if (s && total != nullptr)
        add("tax_total", close(*s, total->value.number, tolerance), total->name,
            std::string(tax) + " on the lines adds up to " + money(*s) + ", printed " + money(total->value.number));
    }
  }

  void totals() {
    const Field* c = number("cgst_total");
    const Field* s = number("sgst_total");
    if (c && s)
      add("tax_total", close(c->value.number, s->value.number, 0.01), "sgst_total",
          "CGST " + money(c->value.number) +
              (close(c->value.number, s->value.number, 0.01) ? " equals" : " differs from") + " SGST " +
              money(s->value.number));
    const Field* grand = number("grand_total");
    const Field* base = number("taxable_total");
    if (base == nullptr) base = number("subtotal");
    if (grand && base) {
      double expect = base->value.number;
      for (std::string_view n : {"cgst_total", "sgst_total", "igst_total", "cess_total", "round_off"}) {
        if (const Field* f = number(n)) expect += f->value.number;
      }
      add("grand_total", close(expect, grand->value.number, 0.5), "grand_total",
          "taxable value + taxes + round off = " + money(expect) + ", printed " + money(grand->value.number));
    }
    const Field* words = x.field("amount_in_words");
    if (words) {
      auto said = extraction::parse_amount_in_words(words->value.text);
      if (!said) {
        add("amount_in_words", false, "amount_in_words", "'" + words->raw + "' does not read as an amount");
      } else if (grand) {
        add("amount_in_words", close(*said, grand->value.number, 0.005), "amount_in_words",
            "the words say " + money(*said) + ", the grand total is " + money(grand->value.number));
      }
    }
  }
};

}  // namespace

void validate(Extraction& x) {
  x.checks.clear();
  Checker c{x};
  c.gstins();
  c.ewaybill();
  c.dates();
  c.lines();
  c.totals();
}

}  // namespace docent::engines
