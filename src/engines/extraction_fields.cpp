// Labelled header fields: a label from the vocabulary, then its value in the same segment, to
// the right on the same line, or below; seller and buyer blocks for names and addresses.

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "engines/extraction_internal.h"

namespace docent::engines::extraction {

namespace {

constexpr unsigned kInv = 1, kPo = 2, kDc = 4, kEwb = 8, kAll = 15;

unsigned kind_bit(DocKind kind) {
  switch (kind) {
    case DocKind::Invoice: return kInv;
    case DocKind::PurchaseOrder: return kPo;
    case DocKind::DeliveryChallan: return kDc;
    case DocKind::EwayBill: return kEwb;
  }
  return kInv;
}

struct LabelSpec {
  std::string_view field;
  unsigned kinds;
  std::vector<std::string_view> labels;  // normalized (see normalize())
};

// The label vocabulary. Where one label means different fields in different kinds ("PO No" is
// the document number of a purchase order but a reference on an invoice), the kinds say which.
const std::vector<LabelSpec>& label_specs() {
  static const std::vector<LabelSpec> kSpecs = {
      {"document_number", kInv, {"invoice no", "invoice number", "inv no", "bill no"}},
      {"document_number", kPo, {"po no", "po number", "purchase order no", "purchase order number", "order no"}},
      {"document_number", kDc, {"challan no", "dc no", "delivery challan no", "challan number"}},
      {"document_number", kEwb, {"document no", "doc no", "document number"}},
      {"document_date", kInv, {"invoice date", "date", "bill date", "dated"}},
      {"document_date", kPo, {"po date", "order date", "date"}},
      {"document_date", kDc, {"challan date", "dc date", "date"}},
      {"document_date", kEwb, {"document date", "doc date"}},
      {"due_date", kInv | kPo, {"due date", "payment due", "due on", "delivery date"}},
      {"po_number", kInv | kDc, {"po no", "po number", "purchase order no", "order no", "po ref", "buyers order no"}},
      {"po_date", kInv | kDc, {"po date", "order date", "purchase order date"}},
      {"seller_name", kAll, {"seller name", "supplier name", "vendor name", "consignor name", "from name"}},
      {"seller_address",
       kAll,
       {"seller address", "supplier address", "vendor address", "consignor address", "place of dispatch",
        "dispatch from"}},
      {"seller_gstin",
       kAll,
       {"seller gstin", "supplier gstin", "gstin of supplier", "vendor gstin", "consignor gstin", "our gstin"}},
      {"seller_pan", kAll, {"seller pan", "supplier pan", "vendor pan"}},
      {"seller_state",
       kAll,
       {"seller state", "supplier state", "state of supplier", "vendor state", "consignor state"}},
      {"buyer_name", kAll, {"buyer name", "customer name", "consignee name", "recipient name"}},
      {"buyer_address",
       kAll,
       {"buyer address", "customer address", "consignee address", "recipient address", "place of delivery",
        "ship to address"}},
      {"buyer_gstin",
       kAll,
       {"buyer gstin", "customer gstin", "gstin of recipient", "recipient gstin", "consignee gstin"}},
      {"buyer_pan", kAll, {"buyer pan", "customer pan"}},
      {"buyer_state", kAll, {"buyer state", "customer state", "state of recipient", "consignee state"}},
      {"place_of_supply", kAll, {"place of supply"}},
      {"currency", kAll, {"currency"}},
      {"vehicle_number", kAll, {"vehicle no", "vehicle number", "vehicle"}},
      {"transporter_name", kAll, {"transporter", "transporter name", "transport name", "carrier"}},
      {"transporter_id", kAll, {"transporter id", "transporter gstin"}},
      {"transport_doc_number",
       kAll,
       {"lr no", "lr number", "transport doc no", "transporter doc no", "trans doc no", "lr rr no", "gr no",
        "docket no"}},
      {"transport_doc_date", kAll, {"lr date", "transport doc date", "transporter doc date", "trans doc date"}},
      {"ewaybill_number", kAll, {"e way bill no", "eway bill no", "ewb no", "e way bill number", "ewaybill no"}},
      {"ewaybill_date", kAll, {"generated date", "ewb date", "e way bill date", "generated on"}},
      {"ewaybill_valid_until", kAll, {"valid upto", "valid until", "valid up to", "validity"}},
      {"distance_km", kAll, {"approx distance", "distance", "distance km", "approximate distance"}},
      {"transport_mode", kAll, {"mode", "transport mode", "mode of transport"}},
      {"subtotal", kAll, {"sub total", "subtotal"}},
      {"discount_total", kAll, {"discount", "total discount", "less discount"}},
      {"taxable_total", kAll, {"taxable value", "total taxable value", "taxable amount", "total taxable amount"}},
      {"cgst_total", kAll, {"cgst", "total cgst", "add cgst", "cgst amount"}},
      {"sgst_total", kAll, {"sgst", "total sgst", "add sgst", "sgst amount", "utgst"}},
      {"igst_total", kAll, {"igst", "total igst", "add igst", "igst amount"}},
      {"cess_total", kAll, {"cess", "total cess"}},
      {"round_off", kAll, {"round off", "rounding off", "rounded off"}},
      {"grand_total",
       kAll,
       {"grand total", "total amount", "invoice total", "total invoice value", "net amount", "amount payable",
        "total po value", "po total", "total value", "net payable", "value of goods"}},
      {"amount_in_words", kAll, {"amount in words", "amount chargeable in words", "total in words", "in words"}},
  };
  return kSpecs;
}

// Block headings: what follows underneath is a party's name, address, GSTIN.
enum class Role { Seller, Buyer, Other };
struct BlockHeading {
  std::string_view text;
  Role role;
};
const std::vector<BlockHeading>& block_headings() {
  static const std::vector<BlockHeading> kHeadings = {
      {"seller", Role::Seller},           {"supplier", Role::Seller},
      {"bill from", Role::Seller},        {"from", Role::Seller},
      {"consignor", Role::Seller},        {"vendor", Role::Seller},
      {"sold by", Role::Seller},          {"seller details", Role::Seller},
      {"supplier details", Role::Seller}, {"details of supplier", Role::Seller},
      {"vendor details", Role::Seller},   {"buyer", Role::Buyer},
      {"bill to", Role::Buyer},           {"billed to", Role::Buyer},
      {"customer", Role::Buyer},          {"to", Role::Buyer},
      {"consignee", Role::Buyer},         {"buyer details", Role::Buyer},
      {"recipient", Role::Buyer},         {"details of recipient", Role::Buyer},
      {"customer details", Role::Buyer},  {"ship to", Role::Other},
      {"shipped to", Role::Other},        {"delivery address", Role::Other},
      {"deliver to", Role::Other},
  };
  return kHeadings;
}

// Labels inside a party block.
struct SubLabel {
  std::string_view suffix;  // appended to "seller_" / "buyer_"
  std::vector<std::string_view> labels;
};
const std::vector<SubLabel>& block_labels() {
  static const std::vector<SubLabel> kLabels = {
      {"gstin", {"gstin", "gstin uin", "gst no", "gstin no", "gst number", "gst"}},
      {"pan", {"pan", "pan no", "pan number"}},
      {"state", {"state", "state name"}},
      {"", {"state code", "code", "phone", "ph", "mobile", "email", "e mail", "contact", "tel"}},  // read, not kept
  };
  return kLabels;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// A segment's tokens, each with the index of the word it came from.
struct Tokens {
  std::vector<std::string> tokens;
  std::vector<size_t> word;
};
Tokens tokenize(const Segment& s) {
  Tokens t;
  for (size_t i = 0; i < s.words.size(); ++i) {
    for (std::string& tok : split(normalize(s.words[i]->text))) {
      t.tokens.push_back(std::move(tok));
      t.word.push_back(i);
    }
  }
  return t;
}

// How many words of the segment `label` covers from its start (0 when it does not match, or
// stops inside a word's alphanumerics).
size_t match_words(const Tokens& t, std::string_view label) {
  const std::vector<std::string> want = split(std::string(label));
  if (want.empty() || want.size() > t.tokens.size()) return 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (t.tokens[i] != want[i]) return 0;
  }
  const size_t last_word = t.word[want.size() - 1];
  if (want.size() < t.tokens.size() && t.word[want.size()] == last_word) return 0;  // "No.12" is not "No"
  return last_word + 1;
}

struct LabelHit {
  const std::string_view* field = nullptr;
  size_t words = 0;   // words the label covers
  size_t tokens = 0;  // its length, for longest-match
};

LabelHit match_label(const Segment& s, unsigned kind) {
  const Tokens t = tokenize(s);
  LabelHit best;
  for (const LabelSpec& spec : label_specs()) {
    if ((spec.kinds & kind) == 0) continue;
    for (std::string_view label : spec.labels) {
      const size_t n = match_words(t, label);
      const size_t len = split(std::string(label)).size();
      if (n > 0 && len > best.tokens) best = LabelHit{&spec.field, n, len};
    }
  }
  return best;
}

std::optional<Role> block_role(const Segment& s) {
  std::string text = normalize(s.text());
  for (const BlockHeading& h : block_headings()) {
    if (text == h.text) return h.role;
  }
  return std::nullopt;
}

bool is_label(const Segment& s, unsigned kind) {
  if (match_label(s, kind).field != nullptr) return true;
  return block_role(s).has_value();
}

// Value words: what follows the label, without the ':' or '-' between them, nor a "No." or
// "Number" the vocabulary's label did not include ("Customer GSTIN No.: ...").
std::vector<const PositionedWord*> value_words(const Segment& s, size_t from) {
  std::vector<const PositionedWord*> out;
  if (from + 1 < s.words.size()) {
    const std::string n = normalize(s.words[from]->text);
    if (n == "no" || n == "number" || n == "num") ++from;
  }
  for (size_t i = from; i < s.words.size(); ++i) {
    if (out.empty() && normalize(s.words[i]->text).empty() &&
        s.words[i]->text.find_first_of("0123456789") == std::string::npos)
      continue;  // ":" "-" "#"
    out.push_back(s.words[i]);
  }
  return out;
}

double overlap(double a0, double a1, double b0, double b1) { return std::min(a1, b1) - std::max(a0, b0); }

// The segment under `s` (on the next line or the one after), overlapping it horizontally.
const Segment* segment_below(const std::vector<Line>& lines, size_t line_index, const Segment& s) {
  const double h = s.box.y1 - s.box.y0;
  for (size_t k = line_index + 1; k < lines.size() && k <= line_index + 2; ++k) {
    const Line& l = lines[k];
    if (l.used || l.box.y0 - s.box.y1 > 2.5 * h) break;
    const Segment* best = nullptr;
    double best_overlap = 0;
    for (const Segment& c : l.segments) {
      const double o = overlap(s.box.x0 - 2, std::max(s.box.x1, s.box.x0 + 4 * h), c.box.x0, c.box.x1);
      if (o > best_overlap) best = &c, best_overlap = o;
    }
    if (best != nullptr) return best;
  }
  return nullptr;
}

// A date field's value may carry a time ("15/04/2026 11:59 PM"): keep the words a date parses from.
bool is_typed(std::string_view name) {
  return name.ends_with("_date") || name == "ewaybill_valid_until" || name.ends_with("_total") || name == "subtotal" ||
         name == "round_off" || name == "distance_km";
}

// Trims a date value to the words that parse as a date.
std::vector<const PositionedWord*> date_prefix(const std::vector<const PositionedWord*>& words) {
  for (size_t n = std::min<size_t>(words.size(), 3); n > 0; --n) {
    std::string raw;
    for (size_t i = 0; i < n; ++i) raw += (i ? " " : "") + words[i]->text;
    if (parse_date(raw)) return {words.begin(), words.begin() + static_cast<long>(n)};
  }
  return words;
}

bool types_cleanly(const std::string& name, const std::vector<const PositionedWord*>& words) {
  if (words.empty()) return false;
  const auto typed = name.ends_with("_date") || name == "ewaybill_valid_until" ? date_prefix(words) : words;
  Field f;
  f.name = name;
  for (const PositionedWord* w : typed) f.raw += (f.raw.empty() ? "" : " ") + w->text;
  return type_value(f);
}

void add_field(Extraction& x, std::set<std::string>& found, const std::string& name,
               std::vector<const PositionedWord*> words, int page, Found how) {
  if (words.empty() || found.count(name)) return;
  if (name.ends_with("_date") || name == "ewaybill_valid_until") words = date_prefix(words);
  x.fields.push_back(make_field(name, words, page, how));
  found.insert(name);
}

// ---- party blocks ---------------------------------------------------------------------------------

void read_block(std::vector<Line>& lines, size_t line_index, const Segment& heading, double column_end, Role role,
                unsigned kind, Extraction& x, std::set<std::string>& found) {
  const std::string prefix = role == Role::Seller ? "seller_" : "buyer_";
  const double h = heading.box.y1 - heading.box.y0;
  std::vector<std::vector<const PositionedWord*>> text_lines;
  int page = lines[line_index].page;
  double last_y = heading.box.y1;
  bool labels_started = false;
  for (size_t k = line_index + 1; k < lines.size(); ++k) {
    Line& l = lines[k];
    if (l.used || l.page != page || l.box.y0 - last_y > 1.6 * h) break;
    std::vector<const Segment*> inside;
    for (const Segment& s : l.segments) {
      if (s.box.x0 >= heading.box.x0 - 3 && s.box.x0 < column_end - 3) inside.push_back(&s);
    }
    if (inside.empty()) break;
    if (block_role(*inside.front())) break;
    last_y = l.box.y1;
    // "GSTIN: 27..." and friends.
    const Tokens t = tokenize(*inside.front());
    const SubLabel* sub = nullptr;
    size_t covered = 0, longest = 0;
    for (const SubLabel& sl : block_labels()) {
      for (std::string_view label : sl.labels) {
        const size_t n = match_words(t, label);
        const size_t len = split(std::string(label)).size();
        if (n > 0 && len > longest) sub = &sl, covered = n, longest = len;
      }
    }
    if (sub != nullptr) {
      labels_started = true;
      if (sub->suffix.empty()) continue;
      auto words = value_words(*inside.front(), covered);
      if (words.empty() && inside.size() > 1) words = inside[1]->words;
      if (sub->suffix == "state") {
        // "Maharashtra (27)", "Maharashtra, Code: 27": the name alone.
        std::vector<const PositionedWord*> name;
        for (const PositionedWord* w : words) {
          if (w->text.find_first_of("(0123456789") == 0 || normalize(w->text) == "code") break;
          name.push_back(w);
          if (w->text.back() == ',') break;
        }
        words = name;
      }
      add_field(x, found, prefix + std::string(sub->suffix), words, page, Found::Block);
      continue;
    }
    if (labels_started || match_label(*inside.front(), kind).field != nullptr) break;
    std::vector<const PositionedWord*> words;
    for (const Segment* s : inside) words.insert(words.end(), s->words.begin(), s->words.end());
    text_lines.push_back(std::move(words));
  }
  if (role == Role::Other || text_lines.empty()) return;
  add_field(x, found, prefix + "name", text_lines.front(), page, Found::Block);
  std::vector<const PositionedWord*> address;
  for (size_t i = 1; i < text_lines.size(); ++i)
    address.insert(address.end(), text_lines[i].begin(), text_lines[i].end());
  if (!address.empty() && !found.count(prefix + "address")) {
    Field f = make_field(prefix + "address", address, page, Found::Block);
    // Lines of an address read as one, comma-separated.
    std::string raw;
    for (size_t i = 1; i < text_lines.size(); ++i) {
      std::string line;
      for (const PositionedWord* w : text_lines[i]) line += (line.empty() ? "" : " ") + w->text;
      if (!raw.empty() && raw.back() != ',') raw += ',';
      raw += (raw.empty() ? "" : " ") + line;
    }
    f.raw = raw;
    f.value.text = raw;
    x.fields.push_back(std::move(f));
    found.insert(prefix + "address");
  }
}

// The amount in words may run onto the next line; it ends at "Only".
std::vector<const PositionedWord*> words_to_only(const std::vector<Line>& lines, size_t line_index,
                                                 std::vector<const PositionedWord*> words) {
  auto ends = [](const std::vector<const PositionedWord*>& w) {
    return !w.empty() && normalize(w.back()->text) == "only";
  };
  for (size_t k = line_index + 1; k < lines.size() && k <= line_index + 2 && !ends(words); ++k) {
    if (lines[k].segments.empty() || lines[k].page != lines[line_index].page) break;
    const Segment& s = lines[k].segments.front();
    if (std::abs(s.box.x0 - lines[line_index].segments.front().box.x0) > 40) break;
    words.insert(words.end(), s.words.begin(), s.words.end());
  }
  return words;
}

}  // namespace

void find_fields(DocKind kind, std::vector<Line>& lines, Extraction& x) {
  const unsigned bit = kind_bit(kind);
  std::set<std::string> found;
  for (const Field& f : x.fields) found.insert(f.name);

  // Party blocks first: their GSTIN lines would otherwise read as unassigned labels.
  std::vector<bool> in_block(lines.size(), false);
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    if (line.used) continue;
    for (size_t si = 0; si < line.segments.size(); ++si) {
      const Segment& s = line.segments[si];
      auto role = block_role(s);
      if (!role) continue;
      // A heading stands alone: nothing to its right but another heading.
      if (si + 1 < line.segments.size() && !block_role(line.segments[si + 1])) continue;
      const double column_end = si + 1 < line.segments.size() ? line.segments[si + 1].box.x0 : 1e9;
      read_block(lines, i, s, column_end, *role, bit, x, found);
      in_block[i] = true;
    }
  }

  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    if (line.used || in_block[i]) continue;
    for (size_t si = 0; si < line.segments.size(); ++si) {
      const Segment& s = line.segments[si];
      const LabelHit hit = match_label(s, bit);
      if (hit.field == nullptr) continue;
      const std::string name(*hit.field);
      if (found.count(name)) continue;
      if (name == "amount_in_words") {
        auto words = value_words(s, hit.words);
        if (words.empty() && si + 1 < line.segments.size()) words = line.segments[si + 1].words;
        if (!words.empty()) add_field(x, found, name, words_to_only(lines, i, words), line.page, Found::SameSegment);
        continue;
      }
      auto same = value_words(s, hit.words);
      if (!same.empty() && (!is_typed(name) || types_cleanly(name, same))) {
        add_field(x, found, name, same, line.page, Found::SameSegment);
        continue;
      }
      if (si + 1 < line.segments.size() && !is_label(line.segments[si + 1], bit)) {
        const Segment& right = line.segments[si + 1];
        if (!is_typed(name) || types_cleanly(name, right.words)) {
          add_field(x, found, name, right.words, line.page, Found::RightOf);
          ++si;
          continue;
        }
      }
      if (same.empty()) {
        const Segment* below = segment_below(lines, i, s);
        if (below != nullptr && !is_label(*below, bit) && (!is_typed(name) || types_cleanly(name, below->words)))
          add_field(x, found, name, below->words, line.page, Found::Below);
      }
    }
  }

  // A bare "GSTIN: ..." outside any party block: the first belongs to whoever issued the
  // document (printed under its name at the top), the next to the other party. Then any
  // GSTIN-shaped word whose check character matches and that no field holds yet.
  for (std::string_view role : {"seller_gstin", "buyer_gstin"}) {
    if (found.count(std::string(role))) continue;
    bool taken = false;
    for (size_t i = 0; i < lines.size() && !taken; ++i) {
      if (lines[i].used || in_block[i]) continue;
      for (const Segment& s : lines[i].segments) {
        const Tokens t = tokenize(s);
        size_t covered = 0;
        for (std::string_view label : {"gstin", "gstin uin", "gstin no", "gst no"})
          covered = std::max(covered, match_words(t, label));
        if (covered == 0) continue;
        auto words = value_words(s, covered);
        if (words.empty()) continue;
        Field candidate = make_field(std::string(role), words, lines[i].page, Found::SameSegment);
        const bool held = std::any_of(x.fields.begin(), x.fields.end(),
                                      [&](const Field& f) { return f.value.text == candidate.value.text; });
        if (held) continue;
        x.fields.push_back(std::move(candidate));
        found.insert(std::string(role));
        taken = true;
        break;
      }
    }
    for (size_t i = 0; i < lines.size() && !taken; ++i) {
      if (lines[i].used) continue;
      for (const Segment& s : lines[i].segments) {
        for (const PositionedWord* w : s.words) {
          const std::string g = repair_gstin(w->text);
          if (!gstin_checksum_ok(g)) continue;
          const bool held = std::any_of(x.fields.begin(), x.fields.end(),
                                        [&](const Field& f) { return f.value.text == g; });
          if (held) continue;
          x.fields.push_back(make_field(std::string(role), {w}, lines[i].page, Found::Pattern));
          found.insert(std::string(role));
          taken = true;
          break;
        }
        if (taken) break;
      }
    }
  }

  // "Rupees ... Only" without a label.
  if (!found.count("amount_in_words")) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].used || lines[i].segments.empty()) continue;
      const Segment& s = lines[i].segments.front();
      const std::string n = normalize(s.text());
      if ((n.starts_with("rupees ") || n.starts_with("inr ")) && parse_amount_in_words(n)) {
        add_field(x, found, "amount_in_words", words_to_only(lines, i, s.words), lines[i].page, Found::Pattern);
        break;
      }
    }
  }
}

}  // namespace docent::engines::extraction
