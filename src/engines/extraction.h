#pragma once
// Business-document extraction: invoices, purchase orders, delivery challans and e-way bills read
// field by field from positioned words (engines/layout.h), with every value's raw text, typed
// value, confidence and place on the page, and the checks an accountant would make.
//
//   auto pages = engines::words_isolated(exe, pdf, limits, options);   // layout.h
//   engines::Extraction x = engines::extract_fields(engines::DocKind::Invoice, *pages);
//
// Pure computation over words: no I/O, no model. services/extraction adds the optional model pass
// (which fills fields the rules missed and sets Field::origin = "model") and re-runs validate().

#include "engines/document.h"
#include "engines/layout.h"

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

enum class DocKind { Invoice, PurchaseOrder, DeliveryChallan, EwayBill };

// "invoice", "po", "dc", "ewaybill" (the spherechat paths' last segment and the CLI's --kind).
std::string_view kind_name(DocKind kind);
std::optional<DocKind> parse_kind(std::string_view name);
// "Invoice", "Purchase order", "Delivery challan", "E-way bill".
std::string_view kind_title(DocKind kind);

// A value as typed: numbers as numbers, dates as ISO 8601 (YYYY-MM-DD), amounts with their
// currency (ISO 4217, "INR" unless the document says otherwise), rates in percent (18 = 18 %).
struct TypedValue {
  enum class Type { Text, Number, Amount, Percent, Date };
  Type type = Type::Text;
  std::string text;      // Text: the cleaned text; Date: "2026-04-01"; otherwise the number as printed
  double number = 0;     // Number, Amount, Percent
  std::string currency;  // Amount only
};

// Where a value was read: 1-based page and its box in points (top-left origin). page == 0 means
// not located on a page (e.g. filled by the model pass).
struct SourceRef {
  int page = 0;
  Box box;
};

struct Field {
  std::string name;  // one of the names below (kFieldNames / kLineColumns / kTaxColumns)
  std::string raw;   // the text as printed
  TypedValue value;
  double confidence = 0;  // 0..1
  SourceRef source;
  std::string origin = "rules";  // "rules" or "model"
};

// A line-item row; cells keyed by kLineColumns names, only those present on the document.
struct LineItem {
  int number = 0;  // 1-based row number in document order (across pages)
  std::vector<Field> cells;
  const Field* cell(std::string_view name) const;
};

// One row of the tax summary (by HSN/SAC or by rate), cells keyed by kTaxColumns names.
struct TaxRow {
  std::vector<Field> cells;
  const Field* cell(std::string_view name) const;
};

// A validation: its name (below), whether it passed, and a sentence saying what was compared.
struct Check {
  std::string name;  // "gstin_checksum", "gstin_state" (also: printed state = GSTIN's), "ewaybill_format", "line_sum",
                     // "line_tax", "tax_total", "grand_total", "date_valid", "amount_in_words"
  bool passed = false;
  std::string field;  // the field (or "line N") it concerns
  std::string detail;
};

struct Extraction {
  DocKind kind = DocKind::Invoice;
  int pages = 0;
  bool ocr = false;  // some page was read by OCR
  std::vector<Field> fields;
  std::vector<LineItem> lines;
  std::vector<TaxRow> taxes;
  std::vector<Check> checks;
  // Human-readable notes, e.g. "no recognisable fields were found" (then fields is empty).
  std::vector<std::string> warnings;

  const Field* field(std::string_view name) const;
};

// Header-level field names, in the order the Summary sheet lists them. Not every kind has every
// field; a field not found is absent (never invented).
inline constexpr std::string_view kFieldNames[] = {
    "document_number",
    "document_date",
    "due_date",
    "seller_name",
    "seller_address",
    "seller_gstin",
    "seller_pan",
    "seller_state",
    "buyer_name",
    "buyer_address",
    "buyer_gstin",
    "buyer_pan",
    "buyer_state",
    "place_of_supply",
    "po_number",
    "po_date",
    "currency",
    "vehicle_number",
    "transporter_name",
    "transporter_id",
    "transport_doc_number",
    "transport_doc_date",
    "ewaybill_number",
    "ewaybill_date",
    "ewaybill_valid_until",
    "distance_km",
    "transport_mode",
    "subtotal",
    "discount_total",
    "taxable_total",
    "cgst_total",
    "sgst_total",
    "igst_total",
    "cess_total",
    "round_off",
    "grand_total",
    "amount_in_words",
};

// Line-item columns, in sheet order.
inline constexpr std::string_view kLineColumns[] = {
    "description", "hsn_sac",     "quantity",  "unit",        "rate",      "discount",    "taxable_value",
    "cgst_rate",   "cgst_amount", "sgst_rate", "sgst_amount", "igst_rate", "igst_amount", "line_total",
};

// Tax-summary columns, in sheet order.
inline constexpr std::string_view kTaxColumns[] = {
    "hsn_sac",     "taxable_value", "cgst_rate",   "cgst_amount", "sgst_rate",
    "sgst_amount", "igst_rate",     "igst_amount", "total_tax",
};

// A label for a field or column name as a person reads it ("seller_gstin" -> "Seller GSTIN").
std::string field_label(std::string_view name);

// Reads the document's fields, line items (header detection and column alignment, continuing
// across page breaks) and tax summary, then runs validate(). Confidence: how the value was found
// (label and value in one phrase 0.95, a table cell 0.93, right of its label 0.92, in a party
// block 0.88, below its label 0.85, by pattern alone 0.7), times 0.5 + 0.5 x the least OCR word
// confidence, halved when the text does not parse as the field's type; then a passed check
// moves it halfway to 1 and a failed one takes off 30 %. A document with no recognisable
// field gives an Extraction with empty fields and lines and a warning saying so.
Extraction extract_fields(DocKind kind, const std::vector<PageWords>& pages);

// (Re)computes x.checks from x's fields, lines and taxes: GSTIN check digit and state code, the
// e-way bill number's format, dates, line sums against totals, tax against rate x taxable value,
// the amount in words against the grand total. Safe to call again after fields change.
void validate(Extraction& x);

// GSTIN: 15 characters, 2-digit state code (01-38 or 97/99), PAN, entity digit, 'Z', and a
// base-36 check character. True when the check character matches.
bool gstin_checksum_ok(std::string_view gstin);
// The check character for a GSTIN's first 14 characters ('\0' when one is not base-36).
char gstin_check_char(std::string_view first14);
// The state name for a GST state code ("27" -> "Maharashtra"), empty when unknown.
std::string_view gst_state_name(std::string_view code);

// The Extraction as JSON:
//   {"kind": "invoice", "pages": 2, "ocr": false,
//    "fields": {"document_number": {"raw": "INV-1", "value": "INV-1", "type": "text",
//                                   "confidence": 0.97, "page": 1, "box": [x0, y0, x1, y1],
//                                   "origin": "rules"}, ...},
//    "lines": [{"number": 1, "description": {...same shape...}, "quantity": {...}}, ...],
//    "taxes": [{...}], "checks": [{"name", "passed", "field", "detail"}], "warnings": [...]}
// "value" is a JSON number for Number/Amount/Percent (with "currency" for Amount) and a string
// otherwise; "page"/"box" are omitted when the source page is 0.
boost::json::value to_json(const Extraction& x);
// The inverse of to_json (for stored extractions). Code::InvalidInput on a malformed document.
core::Result<Extraction> extraction_from_json(const boost::json::value& json);

}  // namespace docent::engines
