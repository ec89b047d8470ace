#pragma once
// Scoring an Extraction against a generated document's ground truth (business_docs.h): per
// value, whether the engine found it and found it right. Used by the extraction tests and by
// bench/extract, which micro-averages precision and recall over header fields and line cells.

#include <map>
#include <string>
#include <vector>

#include "engines/extraction.h"
#include "support/business_docs.h"

namespace docent::business_docs {

struct Counts {
  int true_positive = 0, false_positive = 0, false_negative = 0;
};

struct Score {
  int true_positive = 0;                // extracted and equal to the truth
  int false_positive = 0;               // extracted but wrong, or not in the truth
  int false_negative = 0;               // in the truth but missing or wrong
  std::vector<std::string> mismatches;  // "field: expected 'X', got 'Y'"
  // The same counts by field name (header fields) or column name (line cells).
  std::map<std::string, Counts> by_name;

  void add(const Score& other);
  double precision() const;
  double recall() const;
  double f1() const;
};

// Whether an extracted value equals a truth value: numbers within half a paisa, dates as ISO
// text, text ignoring case, runs of spaces and trailing punctuation.
bool same_value(const engines::Field& field, const std::string& truth);

// The extracted value as text, for messages.
std::string value_text(const engines::Field& field);

Score score_fields(const engines::Extraction& x, const Truth& truth);
Score score_lines(const engines::Extraction& x, const Truth& truth);

}  // namespace docent::business_docs
