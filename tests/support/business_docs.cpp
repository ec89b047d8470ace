#include "support/business_docs.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <sstream>

#include "support/business_docs_draw.h"

namespace docent::business_docs {

namespace {

namespace fs = std::filesystem;
using draw::ContextPtr;
using draw::PageOps;
using draw::SurfacePtr;
using draw::Text;
using draw::Writer;

constexpr double kPageW = 595, kPageH = 842, kMargin = 36;

// ---- money, words, dates ------------------------------------------------------------------------

double round2(double v) { return std::round(v * 100) / 100; }

std::string fixed2(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string words_below_thousand(int n) {
  static const std::array<const char*, 20> kOnes = {"",        "One",     "Two",       "Three",    "Four",
                                                    "Five",    "Six",     "Seven",     "Eight",    "Nine",
                                                    "Ten",     "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                                                    "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
  static const std::array<const char*, 10> kTens = {"",      "",      "Twenty",  "Thirty", "Forty",
                                                    "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"};
  std::string out;
  if (n >= 100) {
    out = std::string(kOnes[n / 100]) + " Hundred";
    n %= 100;
    if (n) out += " ";
  }
  if (n >= 20) {
    out += kTens[n / 10];
    if (n % 10) out += std::string(" ") + kOnes[n % 10];
  } else if (n > 0) {
    out += kOnes[n];
  }
  return out;
}

// ---- the document's data ------------------------------------------------------------------------

struct City {
  const char* name;
  const char* state;
  const char* code;
  const char* pin;
};
constexpr std::array<City, 10> kCities = {{{"Mumbai", "Maharashtra", "27", "400069"},
                                           {"Pune", "Maharashtra", "27", "411001"},
                                           {"Bengaluru", "Karnataka", "29", "560038"},
                                           {"Chennai", "Tamil Nadu", "33", "600017"},
                                           {"Ahmedabad", "Gujarat", "24", "380009"},
                                           {"New Delhi", "Delhi", "07", "110020"},
                                           {"Hyderabad", "Telangana", "36", "500081"},
                                           {"Kolkata", "West Bengal", "19", "700091"},
                                           {"Jaipur", "Rajasthan", "08", "302001"},
                                           {"Lucknow", "Uttar Pradesh", "09", "226010"}}};

constexpr std::array<const char*, 12> kFirst = {"Shree Ganesh", "Kaveri",  "Sai Krishna", "Orient",
                                                "Bharat",       "Sunrise", "Mahalaxmi",   "Indus",
                                                "Everest",      "Trident", "Narmada",     "Vishwa"};
constexpr std::array<const char*, 10> kSecond = {"Traders",  "Steel Works", "Enterprises", "Polymers", "Electricals",
                                                 "Agencies", "Industries",  "Textiles",    "Hardware", "Pharma"};
constexpr std::array<const char*, 5> kSuffix = {"Pvt Ltd", "LLP", "", "Private Limited", "& Co"};
constexpr std::array<const char*, 10> kStreets = {"MG Road",         "Station Road", "Link Road",   "Nehru Nagar",
                                                  "Industrial Area", "Ring Road",    "Gandhi Marg", "Market Yard",
                                                  "MIDC Phase II",   "Anna Salai"};
struct Product {
  const char* name;
  const char* hsn;
  const char* unit;
  double low, high;  // rate range
  int gst;
};
constexpr std::array<Product, 16> kProducts = {{
    {"Mild Steel Angle 50x50x6 mm", "7216", "Kg", 55, 90, 18},
    {"PVC Pipe 4 inch Class B", "3917", "Mtr", 120, 380, 18},
    {"LED Panel Light 18W Square", "9405", "Nos", 240, 900, 12},
    {"Copper Wire 2.5 sq mm FR", "8544", "Mtr", 18, 45, 18},
    {"Ball Bearing 6205 ZZ", "8482", "Nos", 95, 420, 18},
    {"Cotton Fabric Grey 60 inch", "5208", "Mtr", 70, 160, 5},
    {"Paracetamol Tablets 500 mg Strip", "3004", "Box", 18, 60, 12},
    {"Cement OPC 53 Grade Bag", "2523", "Nos", 330, 420, 28},
    {"Hydraulic Oil ISO VG 68", "2710", "Ltr", 140, 260, 18},
    {"Corrugated Box 5 Ply 18x12x12", "4819", "Nos", 28, 75, 12},
    {"Annual Maintenance Service", "998719", "Nos", 2500, 24000, 18},
    {"Stainless Steel Sheet 304 2mm", "7219", "Kg", 190, 290, 18},
    {"Office Chair Ergonomic Mesh", "9401", "Nos", 3200, 9800, 18},
    {"Basmati Rice Premium 25 Kg Bag", "1006", "Nos", 1800, 2900, 5},
    {"Safety Helmet ISI Marked", "6506", "Nos", 150, 450, 18},
    {"Printing Paper A4 75 GSM Ream", "4802", "Box", 210, 320, 12},
}};

struct Party {
  std::string name, line1, line2, state, code, gstin, pan;
  std::string address() const { return line1 + ", " + line2; }
};

struct Item {
  std::string description, hsn, unit;
  double qty = 0, rate = 0, discount = 0, taxable = 0, gst = 0;
  double cgst = 0, sgst = 0, igst = 0, total = 0;
};

struct Data {
  Party seller, buyer;
  std::string number, po_number, vehicle, transporter, transporter_id, lr, ewb;
  int y = 2026, m = 4, d = 1;
  int date_format = 0;
  bool inter = false, discount = false, has_due = false, has_po_ref = false, has_pan = false, tax_summary = false;
  std::vector<Item> items;
  double taxable = 0, cgst = 0, sgst = 0, igst = 0, round_off = 0, grand = 0, distance = 0;
  std::string mode = "Road";
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed * 0x9E3779B97F4A7C15ull + 12345) {}
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(g_); }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(g_); }
  bool chance(double p) { return real(0, 1) < p; }
  template <typename C>
  const auto& pick(const C& c) {
    return c[static_cast<size_t>(range(0, static_cast<int>(std::size(c)) - 1))];
  }
  std::mt19937_64& engine() { return g_; }

 private:
  std::mt19937_64 g_;
};

std::string letters(Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('A' + r.range(0, 25));
  return s;
}
std::string digits(Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += static_cast<char>('0' + r.range(0, 9));
  return s;
}

Party make_party(Rng& r, const City& city) {
  Party p;
  std::string suffix = r.pick(kSuffix);
  p.name = std::string(r.pick(kFirst)) + " " + r.pick(kSecond) + (suffix.empty() ? "" : " " + suffix);
  p.line1 = std::to_string(r.range(1, 240)) + ", " + r.pick(kStreets);
  p.line2 = std::string(city.name) + " - " + city.pin;
  p.state = city.state;
  p.code = city.code;
  const char type = r.chance(0.7) ? 'C' : (r.chance(0.5) ? 'F' : 'P');
  p.pan = letters(r, 3) + type + p.name[0] + digits(r, 4) + letters(r, 1);
  std::string first14 = p.code + p.pan + std::to_string(r.range(1, 3)) + "Z";
  p.gstin = first14 + gstin_check(first14);
  return p;
}

Data make_data(Rng& r, const Spec& spec, int items) {
  Data d;
  const City& a = r.pick(kCities);
  d.seller = make_party(r, a);
  d.inter = spec.inter_state.value_or(r.chance(0.5));
  const City* b = &r.pick(kCities);
  while ((std::string(b->code) != a.code) != d.inter) b = &r.pick(kCities);
  d.buyer = make_party(r, *b);
  d.m = r.range(1, 12);
  d.d = r.range(1, 28);
  d.date_format = r.range(0, 4);
  const std::string prefix = spec.kind == "po" ? "PO" : spec.kind == "dc" ? "DC" : "INV";
  d.number = prefix + "/" + std::to_string(r.range(25, 26)) + "-" + std::to_string(r.range(26, 27)) + "/" +
             std::to_string(r.range(1, 9999));
  d.po_number = "PO-" + digits(r, 5);
  d.vehicle = std::string(1, 'M') + "H" + std::to_string(r.range(10, 49)) + letters(r, 2) + digits(r, 4);
  d.transporter = std::string(r.pick(kFirst)) + " Roadways";
  d.transporter_id = d.seller.gstin.substr(0, 2) + letters(r, 5) + digits(r, 4) + letters(r, 1) + "1Z";
  d.transporter_id += gstin_check(d.transporter_id);
  d.lr = "LR" + digits(r, 6);
  d.ewb = std::to_string(r.range(1, 9)) + digits(r, 11);
  d.distance = r.range(8, 1900);
  d.discount = spec.kind != "dc" && spec.kind != "ewaybill" && r.chance(0.3);
  d.has_due = spec.kind != "dc" && spec.kind != "ewaybill" && r.chance(0.6);
  d.has_po_ref = spec.kind == "invoice" && r.chance(0.5);
  d.has_pan = r.chance(0.5);
  d.tax_summary = spec.kind == "invoice" && r.chance(0.5);
  const bool taxed = spec.kind != "dc";
  for (int i = 0; i < items; ++i) {
    const Product& p = r.pick(kProducts);
    Item it;
    it.description = p.name;
    it.hsn = p.hsn;
    it.unit = p.unit;
    it.qty = r.range(1, 120);
    it.rate = round2(r.real(p.low, p.high));
    if (d.discount && r.chance(0.5)) it.discount = round2(it.qty * it.rate * r.range(2, 10) / 100.0);
    it.taxable = round2(it.qty * it.rate - it.discount);
    it.gst = taxed ? p.gst : 0;
    if (d.inter)
      it.igst = round2(it.taxable * it.gst / 100);
    else
      it.cgst = it.sgst = round2(it.taxable * it.gst / 200);
    it.total = round2(it.taxable + it.cgst + it.sgst + it.igst);
    d.taxable += it.taxable;
    d.cgst += it.cgst;
    d.sgst += it.sgst;
    d.igst += it.igst;
    d.items.push_back(it);
  }
  d.taxable = round2(d.taxable);
  d.cgst = round2(d.cgst);
  d.sgst = round2(d.sgst);
  d.igst = round2(d.igst);
  const double exact = d.taxable + d.cgst + d.sgst + d.igst;
  d.grand = std::round(exact);
  d.round_off = round2(d.grand - exact);
  return d;
}

std::string date_text(int y, int m, int d, int format) {
  static const std::array<const char*, 12> kMon = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  static const std::array<const char*, 12> kMonth = {"January",   "February", "March",    "April",
                                                     "May",       "June",     "July",     "August",
                                                     "September", "October",  "November", "December"};
  char buf[40];
  switch (format) {
    case 0: std::snprintf(buf, sizeof buf, "%02d/%02d/%04d", d, m, y); break;
    case 1: std::snprintf(buf, sizeof buf, "%02d-%02d-%04d", d, m, y); break;
    case 2: std::snprintf(buf, sizeof buf, "%02d.%02d.%04d", d, m, y); break;
    case 3: std::snprintf(buf, sizeof buf, "%02d-%s-%04d", d, kMon[m - 1], y); break;
    default: std::snprintf(buf, sizeof buf, "%d %s %04d", d, kMonth[m - 1], y); break;
  }
  return buf;
}

std::string iso(int y, int m, int d) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

struct Col {
  std::string key;  // truth name; "sr" for the row number
  std::string header;
  bool numeric;
  double x0 = 0, x1 = 0;
};

std::vector<Col> columns_for(const Spec& spec, const Data& d) {
  std::vector<Col> c = {{"sr", "Sr", false}};
  c.push_back({"description",
               spec.kind == "ewaybill" ? "Product Name" : (d.seller.name.size() % 2 ? "Description" : "Particulars"),
               false});
  c.push_back({"hsn_sac", spec.kind == "ewaybill" ? "HSN Code" : "HSN/SAC", false});
  c.push_back({"quantity", "Qty", true});
  c.push_back({"unit", d.seller.pan[0] < 'N' ? "Unit" : "UOM", false});
  if (spec.kind != "ewaybill") c.push_back({"rate", "Rate", true});
  if (d.discount) c.push_back({"discount", "Disc", true});
  if (spec.kind == "dc") {
    c.push_back({"line_total", "Amount", true});
    return c;
  }
  c.push_back({"taxable_value", spec.kind == "ewaybill" ? "Taxable Amt" : "Taxable Value", true});
  if (d.inter) {
    c.push_back({"igst_rate", "IGST %", true});
    if (spec.kind != "ewaybill") c.push_back({"igst_amount", "IGST Amt", true});
  } else {
    c.push_back({"cgst_rate", "CGST %", true});
    if (spec.kind != "ewaybill") c.push_back({"cgst_amount", "CGST Amt", true});
    c.push_back({"sgst_rate", "SGST %", true});
    if (spec.kind != "ewaybill") c.push_back({"sgst_amount", "SGST Amt", true});
  }
  if (spec.kind != "ewaybill") c.push_back({"line_total", "Amount", true});
  return c;
}

std::string cell_text(const Col& c, const Item& it, int n) {
  if (c.key == "sr") return std::to_string(n);
  if (c.key == "description") return it.description;
  if (c.key == "hsn_sac") return it.hsn;
  if (c.key == "quantity") return number_text(it.qty);
  if (c.key == "unit") return it.unit;
  if (c.key == "rate") return indian_number(it.rate);
  if (c.key == "discount") return it.discount > 0 ? indian_number(it.discount) : "-";
  if (c.key == "taxable_value") return indian_number(it.taxable);
  if (c.key == "cgst_rate" || c.key == "sgst_rate") return number_text(it.gst / 2) + "%";
  if (c.key == "igst_rate") return number_text(it.gst) + "%";
  if (c.key == "cgst_amount") return indian_number(it.cgst);
  if (c.key == "sgst_amount") return indian_number(it.sgst);
  if (c.key == "igst_amount") return indian_number(it.igst);
  return indian_number(it.total);  // line_total
}

std::string cell_truth(const Col& c, const Item& it) {
  if (c.key == "description") return it.description;
  if (c.key == "hsn_sac") return it.hsn;
  if (c.key == "quantity") return number_text(it.qty);
  if (c.key == "unit") return it.unit;
  if (c.key == "rate") return fixed2(it.rate);
  if (c.key == "discount") return it.discount > 0 ? fixed2(it.discount) : "";
  if (c.key == "taxable_value") return fixed2(it.taxable);
  if (c.key == "cgst_rate" || c.key == "sgst_rate") return fixed2(it.gst / 2);
  if (c.key == "igst_rate") return fixed2(it.gst);
  if (c.key == "cgst_amount") return fixed2(it.cgst);
  if (c.key == "sgst_amount") return fixed2(it.sgst);
  if (c.key == "igst_amount") return fixed2(it.igst);
  return fixed2(it.total);
}

struct Builder {
  const Spec& spec;
  Data& d;
  Writer& w;
  Truth& t;
  double size;  // body text size
  bool ruled;
  std::function<void()> continued_heading;

  void field(const std::string& name, const std::string& value) { t.fields[name] = value; }

  // "Label:" at x, the value at value_x (or right after the label when value_x is 0).
  void labelled(const std::string& label, const std::string& value, double x, double value_x) {
    if (value_x <= 0) {
      w.text(label + ": " + value, x, size);
    } else {
      w.text(label + ":", x, size);
      w.text(value, value_x, size);
    }
  }

  void table() {
    std::vector<Col> cols = columns_for(spec, d);
    double tsize = size - 1;
    // Widths: the widest of header and cells, plus padding; the description takes the rest.
    for (;; tsize -= 0.5) {
      double fixed = 0;
      for (Col& c : cols) {
        if (c.key == "description") continue;
        double wmax = w.width(c.header, tsize, true);
        for (size_t i = 0; i < d.items.size(); ++i)
          wmax = std::max(wmax, w.width(cell_text(c, d.items[i], 1 + int(i)), tsize));
        c.x1 = wmax + 10;  // width for now
        fixed += c.x1;
      }
      if (kPageW - 2 * kMargin - fixed >= 110 || tsize <= 5.5) {
        double x = kMargin;
        for (Col& c : cols) {
          double width = c.key == "description" ? kPageW - 2 * kMargin - fixed : c.x1;
          c.x0 = x;
          c.x1 = x + width;
          x += width;
        }
        break;
      }
    }
    const double pitch = tsize * 1.45;
    auto header = [&] {
      if (ruled) w.rule(kMargin, w.y - tsize - 3, kPageW - kMargin, w.y - tsize - 3);
      for (const Col& c : cols) {
        if (c.numeric)
          w.text(c.header, c.x1 - 4, tsize, 1, true);
        else
          w.text(c.header, c.x0 + 4, tsize, 0, true);
      }
      if (ruled) w.rule(kMargin, w.y + 4, kPageW - kMargin, w.y + 4);
      w.y += pitch + 2;
    };
    header();
    double top = w.y - pitch - tsize - 5;
    auto verticals = [&](double y0, double y1) {
      if (!ruled) return;
      for (const Col& c : cols) w.rule(c.x0, y0, c.x0, y1);
      w.rule(kPageW - kMargin, y0, kPageW - kMargin, y1);
    };
    for (size_t i = 0; i < d.items.size(); ++i) {
      const Item& it = d.items[i];
      const Col& desc = *std::find_if(cols.begin(), cols.end(), [](const Col& c) { return c.key == "description"; });
      auto lines = w.wrap(it.description, tsize, desc.x1 - desc.x0 - 10);
      if (w.y + pitch * static_cast<double>(lines.size()) > kPageH - 70) {
        verticals(top, w.y - pitch + 4);
        if (ruled) w.rule(kMargin, w.y - pitch + 4, kPageW - kMargin, w.y - pitch + 4);
        w.new_page();
        continued_heading();
        top = w.y - tsize - 3;
        if (spec.repeat_header) header();
      }
      std::map<std::string, std::string> truth;
      for (const Col& c : cols) {
        if (c.key == "sr") {
          w.text(cell_text(c, it, static_cast<int>(i) + 1), c.x0 + 4, tsize);
          continue;
        }
        const std::string v = cell_truth(c, it);
        if (!v.empty()) truth[c.key] = v;
        if (c.key == "description") continue;
        if (c.numeric)
          w.text(cell_text(c, it, 0), c.x1 - 4, tsize, 1);
        else
          w.text(cell_text(c, it, 0), c.x0 + 4, tsize);
      }
      for (const std::string& l : lines) {
        w.text(l, desc.x0 + 4, tsize);
        w.y += pitch;
      }
      t.lines.push_back(std::move(truth));
    }
    verticals(top, w.y - pitch + 4);
    if (ruled) w.rule(kMargin, w.y - pitch + 4, kPageW - kMargin, w.y - pitch + 4);
    w.y += pitch;
  }

  void totals() {
    const double lx = 340, vx = kPageW - kMargin - 4;
    auto row = [&](const std::string& label, double v, const std::string& name) {
      if (w.y > kPageH - 60) w.new_page();
      w.text(label, lx, size);
      w.text(indian_number(v), vx, size, 1);
      field(name, fixed2(v));
      w.y += size * 1.5;
    };
    if (spec.kind == "dc") {
      row("Total Value", d.taxable, "grand_total");
    } else {
      row(spec.kind == "po" ? "Sub Total" : "Total Taxable Value", d.taxable,
          spec.kind == "po" ? "subtotal" : "taxable_total");
      if (d.inter) {
        row("IGST", d.igst, "igst_total");
      } else {
        row("CGST", d.cgst, "cgst_total");
        row("SGST", d.sgst, "sgst_total");
      }
      if (std::abs(d.round_off) > 0.001) row("Round Off", d.round_off, "round_off");
      row(spec.kind == "po" ? "Total PO Value" : "Grand Total", d.grand, "grand_total");
    }
    const double amount = spec.kind == "dc" ? d.taxable : d.grand;
    const std::string words = amount_in_words(amount);
    w.y += size * 0.5;
    auto lines = w.wrap("Amount in Words: " + words, size, kPageW - 2 * kMargin - 60);
    if (w.y + size * 1.4 * static_cast<double>(lines.size()) > kPageH - 50) w.new_page();
    for (const std::string& l : lines) {
      w.text(l, kMargin, size);
      w.y += size * 1.4;
    }
    field("amount_in_words", words);
  }

  void tax_summary() {
    if (!d.tax_summary || spec.kind != "invoice") return;
    // One row per HSN and rate.
    std::vector<Item> rows;
    for (const Item& it : d.items) {
      auto at = std::find_if(rows.begin(), rows.end(),
                             [&](const Item& r) { return r.hsn == it.hsn && r.gst == it.gst; });
      if (at == rows.end()) {
        rows.push_back(it);
      } else {
        at->taxable = round2(at->taxable + it.taxable);
        at->cgst = round2(at->cgst + it.cgst);
        at->sgst = round2(at->sgst + it.sgst);
        at->igst = round2(at->igst + it.igst);
      }
    }
    const double tsize = size - 1, pitch = tsize * 1.5;
    if (w.y + pitch * static_cast<double>(rows.size() + 3) > kPageH - 50) w.new_page();
    w.y += pitch;
    std::vector<std::pair<std::string, double>> heads = {{"HSN/SAC", kMargin + 4}};
    std::vector<std::string> keys = {"hsn_sac", "taxable_value"};
    heads.push_back({"Taxable Value", 200});
    if (d.inter) {
      heads.push_back({"IGST %", 260});
      heads.push_back({"IGST Amt", 330});
      keys.insert(keys.end(), {"igst_rate", "igst_amount"});
    } else {
      heads.push_back({"CGST %", 250});
      heads.push_back({"CGST Amt", 320});
      heads.push_back({"SGST %", 370});
      heads.push_back({"SGST Amt", 440});
      keys.insert(keys.end(), {"cgst_rate", "cgst_amount", "sgst_rate", "sgst_amount"});
    }
    heads.push_back({"Total Tax", kPageW - kMargin - 4});
    keys.push_back("total_tax");
    for (size_t k = 0; k < heads.size(); ++k) w.text(heads[k].first, heads[k].second, tsize, k == 0 ? 0 : 1, true);
    w.y += pitch;
    for (const Item& r : rows) {
      std::map<std::string, std::string> truth;
      const double tax = round2(r.cgst + r.sgst + r.igst);
      std::vector<std::pair<std::string, std::string>> cells = {{r.hsn, r.hsn},
                                                                {indian_number(r.taxable), fixed2(r.taxable)}};
      if (d.inter) {
        cells.push_back({number_text(r.gst) + "%", fixed2(r.gst)});
        cells.push_back({indian_number(r.igst), fixed2(r.igst)});
      } else {
        cells.push_back({number_text(r.gst / 2) + "%", fixed2(r.gst / 2)});
        cells.push_back({indian_number(r.cgst), fixed2(r.cgst)});
        cells.push_back({number_text(r.gst / 2) + "%", fixed2(r.gst / 2)});
        cells.push_back({indian_number(r.sgst), fixed2(r.sgst)});
      }
      cells.push_back({indian_number(tax), fixed2(tax)});
      for (size_t k = 0; k < cells.size(); ++k) {
        w.text(cells[k].first, heads[k].second, tsize, k == 0 ? 0 : 1);
        truth[keys[k]] = cells[k].second;
      }
      t.taxes.push_back(std::move(truth));
      w.y += pitch;
    }
    w.text("Total", kMargin + 4, tsize, 0, true);
    w.y += pitch;
  }
};

// ---- layouts ----------------------------------------------------------------------------------------

struct Names {
  std::string title, number, date, seller, buyer;
};

Names names_for(const std::string& kind) {
  if (kind == "po") return {"PURCHASE ORDER", "PO No", "PO Date", "Vendor", "Buyer"};
  if (kind == "dc") return {"DELIVERY CHALLAN", "Challan No", "Challan Date", "Consignor", "Consignee"};
  return {"TAX INVOICE", "Invoice No", "Invoice Date", "Seller", "Buyer"};
}

void party_truth(Builder& b, const std::string& role, const Party& p, bool pan, bool state) {
  b.field(role + "_name", p.name);
  b.field(role + "_address", p.address());
  b.field(role + "_gstin", p.gstin);
  if (pan) b.field(role + "_pan", p.pan);
  if (state) b.field(role + "_state", p.state);
}

void common_header_fields(Builder& b, Rng& r, const Names& n,
                          const std::function<void(const std::string&, const std::string&)>& put) {
  Data& d = b.d;
  put(n.number, d.number);
  b.field("document_number", d.number);
  put(n.date, date_text(d.y, d.m, d.d, d.date_format));
  b.field("document_date", iso(d.y, d.m, d.d));
  if (d.has_due) {
    const int dm = d.m == 12 ? 12 : d.m + 1;
    put(b.spec.kind == "po" ? "Delivery Date" : "Due Date", date_text(d.y, dm, d.d, d.date_format));
    b.field("due_date", iso(d.y, dm, d.d));
  }
  if (d.has_po_ref) {
    put("PO No", d.po_number);
    b.field("po_number", d.po_number);
  }
  if (b.spec.kind == "invoice" && r.chance(0.7)) {
    put("Place of Supply", d.buyer.state);
    b.field("place_of_supply", d.buyer.state);
  }
  if (b.spec.kind == "dc") {
    put("Vehicle No", d.vehicle);
    b.field("vehicle_number", d.vehicle);
    put("Transporter", d.transporter);
    b.field("transporter_name", d.transporter);
    put("LR No", d.lr);
    b.field("transport_doc_number", d.lr);
  }
}

void layout_left(Builder& b, Rng& r) {
  Writer& w = b.w;
  Data& d = b.d;
  const Names n = names_for(b.spec.kind);
  w.text(n.title, kPageW / 2, b.size + 5, 2, true);
  w.y += b.size * 3;
  const double lx = kMargin, vx = 170;
  auto put = [&](const std::string& label, const std::string& value) {
    b.labelled(label, value, lx, vx);
    w.y += b.size * 1.55;
  };
  common_header_fields(b, r, n, put);
  w.y += b.size * 0.6;
  const std::string s = n.seller, bu = n.buyer;
  put(s + " Name", d.seller.name);
  put(s + " Address", d.seller.address());
  put(s + " GSTIN", d.seller.gstin);
  put(s + " State", d.seller.state);
  w.y += b.size * 0.6;
  put(bu + " Name", d.buyer.name);
  put(bu + " Address", d.buyer.address());
  put(bu + " GSTIN", d.buyer.gstin);
  put(bu + " State", d.buyer.state);
  party_truth(b, "seller", d.seller, false, true);
  party_truth(b, "buyer", d.buyer, false, true);
  w.y += b.size * 1.5;
  b.continued_heading = [&] {
    w.text(n.title + " " + d.number + " (continued)", kMargin, b.size);
    w.y += b.size * 2.5;
  };
  b.table();
  b.totals();
  b.tax_summary();
}

void layout_boxes(Builder& b, Rng& r) {
  Writer& w = b.w;
  Data& d = b.d;
  const Names n = names_for(b.spec.kind);
  w.text(n.title, kPageW / 2, b.size + 5, 2, true);
  w.y += b.size * 2.6;
  // The document's own facts in a right-hand column, label and value together.
  const double rx = 330;
  auto put = [&](const std::string& label, const std::string& value) {
    b.labelled(label, value, rx, 0);
    w.y += b.size * 1.5;
  };
  common_header_fields(b, r, n, put);
  w.y += b.size;
  // Seller and buyer side by side.
  const double top = w.y - b.size - 4;
  w.rule(kMargin, top, kPageW - kMargin, top);
  const std::string sh = r.chance(0.5) ? n.seller : (b.spec.kind == "invoice" ? "Supplier" : n.seller);
  const std::string bh = r.chance(0.5) ? n.buyer : (b.spec.kind == "dc" ? "Consignee" : "Bill To");
  const double col2 = kPageW / 2 + 6;
  w.text(sh, kMargin + 4, b.size, 0, true);
  w.text(bh, col2, b.size, 0, true);
  w.y += b.size * 1.45;
  const bool pan = d.has_pan;
  auto party_lines = [&](const Party& p) {
    std::vector<std::string> l = {p.name, p.line1, p.line2, "GSTIN: " + p.gstin};
    if (pan) l.push_back("PAN: " + p.pan);
    l.push_back("State: " + p.state + " (" + p.code + ")");
    return l;
  };
  auto left = party_lines(d.seller), right = party_lines(d.buyer);
  for (size_t i = 0; i < left.size(); ++i) {
    w.text(left[i], kMargin + 4, b.size, 0, i == 0);
    w.text(right[i], col2, b.size, 0, i == 0);
    w.y += b.size * 1.45;
  }
  w.rule(kMargin, w.y - b.size, kPageW - kMargin, w.y - b.size);
  w.rule(col2 - 6, top, col2 - 6, w.y - b.size);
  party_truth(b, "seller", d.seller, pan, true);
  party_truth(b, "buyer", d.buyer, pan, true);
  w.y += b.size * 1.8;
  b.continued_heading = [&] {
    w.text(n.number + ": " + d.number + " (continued)", kMargin, b.size);
    w.y += b.size * 2.5;
  };
  b.table();
  b.totals();
  b.tax_summary();
}

void layout_ewaybill(Builder& b, Rng& r) {
  Writer& w = b.w;
  Data& d = b.d;
  w.text("e-Way Bill", kPageW / 2, b.size + 5, 2, true);
  w.y += b.size * 3;
  const double lx = kMargin, vx = 200;
  auto put =
      [&](const std::string& label, const std::string& value, const std::string& name, const std::string& truth) {
    b.labelled(label, value, lx, vx);
    if (!name.empty()) b.field(name, truth);
    w.y += b.size * 1.55;
  };
  const std::string spaced = d.ewb.substr(0, 4) + " " + d.ewb.substr(4, 4) + " " + d.ewb.substr(8);
  put("E-Way Bill No", spaced, "ewaybill_number", d.ewb);
  const int hour = r.range(1, 11), minute = r.range(0, 59);
  char time[16];
  std::snprintf(time, sizeof time, " %02d:%02d %s", hour, minute, r.chance(0.5) ? "AM" : "PM");
  put("Generated Date", date_text(d.y, d.m, d.d, 0) + time, "ewaybill_date", iso(d.y, d.m, d.d));
  const int days = 1 + static_cast<int>(d.distance) / 200;
  const int vd = std::min(28, d.d + days);
  put("Valid Upto", date_text(d.y, d.m, vd, 0) + " 11:59 PM", "ewaybill_valid_until", iso(d.y, d.m, vd));
  w.y += b.size * 0.5;
  w.text("Part - A", lx, b.size + 1, 0, true);
  w.y += b.size * 1.8;
  put("GSTIN of Supplier", d.seller.gstin, "seller_gstin", d.seller.gstin);
  put("Place of Dispatch", d.seller.address(), "seller_address", d.seller.address());
  put("GSTIN of Recipient", d.buyer.gstin, "buyer_gstin", d.buyer.gstin);
  put("Place of Delivery", d.buyer.address(), "buyer_address", d.buyer.address());
  put("Document No", d.number, "document_number", d.number);
  put("Document Date", date_text(d.y, d.m, d.d, d.date_format), "document_date", iso(d.y, d.m, d.d));
  put("Value of Goods", indian_number(d.grand), "grand_total", fixed2(d.grand));
  put("Reason for Transportation", "Supply", "", "");
  put("Transporter ID", d.transporter_id, "transporter_id", d.transporter_id);
  put("Transporter Name", d.transporter, "transporter_name", d.transporter);
  put("Approx Distance", number_text(d.distance) + " km", "distance_km", number_text(d.distance));
  w.y += b.size;
  b.continued_heading = [&] {
    w.text("e-Way Bill " + spaced + " (continued)", kMargin, b.size);
    w.y += b.size * 2.5;
  };
  b.table();
  w.y += b.size * 2;
  if (w.y > kPageH - 120) w.new_page();
  w.text("Part - B", lx, b.size + 1, 0, true);
  w.y += b.size * 1.8;
  put("Mode", d.mode, "transport_mode", d.mode);
  put("Vehicle No", d.vehicle, "vehicle_number", d.vehicle);
  put("Transporter Doc No", d.lr, "transport_doc_number", d.lr);
  put("Transporter Doc Date", date_text(d.y, d.m, d.d, 0), "transport_doc_date", iso(d.y, d.m, d.d));
}

}  // namespace

char gstin_check(const std::string& first14) {
  static const std::string kChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  int total = 0;
  for (size_t i = 0; i < 14 && i < first14.size(); ++i) {
    const int value = static_cast<int>(kChars.find(first14[i]));
    const int weighted = value * (i % 2 ? 2 : 1);
    total += weighted / 36 + weighted % 36;
  }
  return kChars[static_cast<size_t>((36 - total % 36) % 36)];
}

std::string indian_number(double amount) {
  const bool negative = amount < 0;
  const long long paise = std::llround(std::abs(amount) * 100);
  std::string whole = std::to_string(paise / 100);
  std::string out;
  // The last three digits, then groups of two: 12,34,567.
  int n = static_cast<int>(whole.size());
  for (int i = 0; i < n; ++i) {
    out += whole[i];
    const int left = n - 1 - i;
    if (left > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0))) out += ',';
  }
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%02lld", paise % 100);
  return (negative ? "-" : "") + out + frac;
}

std::string amount_in_words(double amount) {
  const long long paise_total = std::llround(amount * 100);
  long long rupees = paise_total / 100;
  const int paise = static_cast<int>(paise_total % 100);
  std::string out;
  auto part = [&](long long unit, const char* name) {
    const long long n = rupees / unit;
    rupees %= unit;
    if (n == 0) return;
    if (!out.empty()) out += " ";
    out += words_below_thousand(static_cast<int>(n)) + " " + name;
  };
  part(10000000, "Crore");
  part(100000, "Lakh");
  part(1000, "Thousand");
  if (rupees > 0) out += (out.empty() ? "" : " ") + words_below_thousand(static_cast<int>(rupees));
  if (out.empty()) out = "Zero";
  out = "Rupees " + out;
  if (paise > 0) out += " and Paise " + words_below_thousand(paise);
  return out + " Only";
}

std::optional<Truth> write_document(const fs::path& pdf, const Spec& spec) {
  Rng r(spec.seed);
  Truth t;
  t.kind = spec.kind;
  t.scanned = spec.scanned;
  static const std::array<const char*, 3> kFonts = {"DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"};
  t.font = spec.font.empty() ? std::string(r.pick(kFonts)) : spec.font;
  t.layout = spec.kind == "ewaybill" ? "form"
                                     : (spec.layout.empty() ? (r.chance(0.5) ? "left" : "boxes") : spec.layout);
  const int items = spec.items > 0 ? spec.items : r.range(2, 8);
  Data d = make_data(r, spec, items);
  Writer w(t.font);
  const double size = t.font == "DejaVu Sans Mono" ? r.real(7.5, 8.5) : r.real(8.5, 10);
  Builder b{spec, d, w, t, size, t.layout == "boxes", [] {}};
  if (t.layout == "form")
    layout_ewaybill(b, r);
  else if (t.layout == "boxes")
    layout_boxes(b, r);
  else
    layout_left(b, r);

  auto& pages = w.pages();
  t.pages = static_cast<int>(pages.size());
  if (pages.size() > 1) {
    for (size_t i = 0; i < pages.size(); ++i) {
      pages[i].texts.push_back(Text{"Page " + std::to_string(i + 1) + " of " + std::to_string(pages.size()), kPageW / 2,
                                    kPageH - 30, 7, false, 2});
    }
  }
  SurfacePtr surface(cairo_pdf_surface_create(pdf.c_str(), kPageW, kPageH));
  ContextPtr cr(cairo_create(surface.get()));
  for (const PageOps& page : pages) {
    if (spec.scanned) {
      SurfacePtr img = draw::scan(page, t.font, spec.scan_dpi, r.engine());
      cairo_save(cr.get());
      cairo_scale(cr.get(), 72.0 / spec.scan_dpi, 72.0 / spec.scan_dpi);
      cairo_set_source_surface(cr.get(), img.get(), 0, 0);
      cairo_paint(cr.get());
      cairo_restore(cr.get());
    } else {
      draw::draw(cr.get(), page, t.font);
    }
    cairo_show_page(cr.get());
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return std::nullopt;
  return t;
}

boost::json::value to_json(const Truth& t) {
  namespace json = boost::json;
  auto obj = [](const std::map<std::string, std::string>& m) {
    json::object o;
    for (const auto& [k, v] : m) o[k] = v;
    return o;
  };
  json::array lines, taxes;
  for (const auto& l : t.lines) lines.push_back(obj(l));
  for (const auto& l : t.taxes) taxes.push_back(obj(l));
  return json::object{{"kind", t.kind},
                      {"layout", t.layout},
                      {"font", t.font},
                      {"scanned", t.scanned},
                      {"pages", t.pages},
                      {"fields", obj(t.fields)},
                      {"lines", std::move(lines)},
                      {"taxes", std::move(taxes)}};
}

std::vector<Spec> corpus(int text, int scanned, uint64_t seed) {
  static const std::array<const char*, 4> kKinds = {"invoice", "po", "dc", "ewaybill"};
  static const std::array<const char*, 3> kFonts = {"DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"};
  std::vector<Spec> out;
  for (int i = 0; i < text + scanned; ++i) {
    Spec s;
    s.kind = kKinds[static_cast<size_t>(i) % kKinds.size()];
    s.layout = s.kind == "ewaybill" ? "" : ((i / 4) % 2 ? "boxes" : "left");
    s.font = kFonts[static_cast<size_t>(i / 2) % kFonts.size()];
    s.seed = seed + static_cast<uint64_t>(i) * 7919;
    s.inter_state = (i / 3) % 2 == 0;
    s.scanned = i >= text;
    // Every fifth text document runs to two or three pages, half of them without a repeated header.
    if (!s.scanned && i % 5 == 4) {
      s.items = 50 + (i % 3) * 15;
      s.repeat_header = (i / 5) % 2 == 0;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace docent::business_docs
