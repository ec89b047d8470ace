#pragma once
// Generated Indian business documents with known ground truth, for the extraction engine's
// tests, the extraction API's integration tests and bench/extract.
//
//   auto doc = business_docs::write_document("/tmp/x.pdf", {.kind = "invoice", .seed = 7});
//   // doc->fields["grand_total"] == "123456.78", doc->lines[0]["quantity"] == "12", ...
//
// Invoices, purchase orders, delivery challans and e-way bills in several layouts (label:value
// in a left column; two-column seller/buyer boxes with a ruled table; the e-way bill's
// Part-A/Part-B form), fonts (DejaVu Sans, Serif, Sans Mono) and sizes, one page or many
// (tables cross pages, with or without a repeated header), CGST+SGST (intra-state) or IGST
// (inter-state), GSTINs with correct check characters; and SCANNED variants: each page drawn
// to a noisy, slightly blurred image and embedded alone, so the PDF has no text layer.
// Everything is decided by the seed.

#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace docent::business_docs {

struct Spec {
  std::string kind = "invoice";  // "invoice", "po", "dc", "ewaybill"
  std::string layout;            // "left", "boxes" (e-way bills: "form"); empty: chosen by the seed
  std::string font;              // "DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"; empty: by the seed
  int items = 0;                 // line items; 0: 2-8 by the seed (more than ~25 crosses a page)
  bool scanned = false;
  int scan_dpi = 200;
  std::optional<bool> inter_state;  // IGST; unset: by the seed
  bool repeat_header = true;        // on pages a table continues onto
  uint64_t seed = 1;
};

// What the document says, in extraction.h's names. Values as the engine should type them:
// amounts and numbers as "%.2f" (quantities and distances "%g"), dates ISO 8601, text as printed.
struct Truth {
  std::string kind;
  std::string layout;
  std::string font;
  bool scanned = false;
  int pages = 1;
  std::map<std::string, std::string> fields;
  std::vector<std::map<std::string, std::string>> lines;
  std::vector<std::map<std::string, std::string>> taxes;
};

// Writes the PDF and returns its truth; nullopt when cairo failed.
std::optional<Truth> write_document(const std::filesystem::path& pdf, const Spec& spec);

boost::json::value to_json(const Truth& truth);

// `text` documents and `scanned` ones over every kind and layout, seeds from `seed`.
std::vector<Spec> corpus(int text, int scanned, uint64_t seed);

// The check character of a GSTIN's first 14 characters, computed here independently of the
// engine so a test compares two implementations.
char gstin_check(const std::string& first14);

// The amount in Indian English words, as printed on invoices: "Rupees One Lakh Twenty Thousand
// Five Hundred and Paise Fifty Only".
std::string amount_in_words(double amount);

// "1,23,456.78".
std::string indian_number(double amount);

}  // namespace docent::business_docs
