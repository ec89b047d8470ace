#pragma once
// The pieces extract_fields is made of, shared by extraction*.cpp and gst.cpp (internal to
// src/engines; tests include it for the value parsers).

#include "engines/extraction.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines::extraction {

// ---- values (extraction_values.cpp) ------------------------------------------------------------

// Lower-case ASCII words of `text`, every other character a separator: "E-Way Bill No.:" ->
// "e way bill no"; '%' is the token "pct" ("CGST %" -> "cgst pct").
std::string normalize(std::string_view text);

// A number as printed in India or elsewhere: "1,23,456.78", "₹ 1,234", "Rs. 99.5", "-0.40",
// "(12.00)", "18%". Nothing but the number, its sign, a currency mark and a percent sign may
// be present.
std::optional<double> parse_number(std::string_view text);
// dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy (two-digit years are 20yy), yyyy-mm-dd, 01-Apr-2026,
// 1 April 2026, April 1, 2026 -> "2026-04-01"; nullopt for anything else or an impossible date.
std::optional<std::string> parse_date(std::string_view text);
// An amount in Indian English words: "Rupees One Lakh Twenty Thousand Five Hundred and Paise
// Fifty Only" -> 120500.50. Crore, lakh, thousand, hundred; "and", "only", "rupees", "inr",
// "paise" are understood. nullopt when a word is not a number word or nothing is left.
std::optional<double> parse_amount_in_words(std::string_view text);
// The ISO 4217 code a currency mark or word stands for ("₹", "Rs", "INR" -> "INR", "$" -> "USD").
std::string currency_of(std::string_view text);

// OCR's usual confusions (O/0, I/1, S/5, B/8, Z/2, G/6) undone by position in a GSTIN, when
// that makes its check character match; the text unchanged otherwise (gst.cpp).
std::string repair_gstin(std::string_view text);
// Letters read for digits undone, when that leaves exactly `length` digits (e-way bill numbers).
std::string repair_digits(std::string_view text, size_t length);

// ---- layout (extraction_layout.cpp) ------------------------------------------------------------

// A run of words on one line with no wide gap inside: a label, a value, a table cell.
struct Segment {
  std::vector<const PositionedWord*> words;
  Box box;
  std::string text() const;
  double confidence() const;  // the least sure word's
};

struct Line {
  int page = 1;
  Box box;
  std::vector<Segment> segments;  // left to right
  bool used = false;              // taken by a table: field search skips it
  std::string text() const;
};

// The page's words as lines (top to bottom) of segments (left to right).
std::vector<Line> build_lines(const PageWords& page);

// ---- fields, tables (extraction_fields.cpp, extraction_tables.cpp) -----------------------------

// How a value was found, for its confidence.
enum class Found { SameSegment, RightOf, Below, Block, Table, Pattern };
double base_confidence(Found how);

// A value with its place: the words it was read from.
Field make_field(std::string name, const std::vector<const PositionedWord*>& words, int page, Found how);

void find_tables(std::vector<Line>& lines, Extraction& x);
void find_fields(DocKind kind, std::vector<Line>& lines, Extraction& x);

// Types f.value from f.raw by its name (dates, amounts, percents, numbers, text); a value that
// does not parse as its type keeps its text as Type::Text, and the result is false.
bool type_value(Field& f);

}  // namespace docent::engines::extraction
