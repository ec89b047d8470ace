#include "support/extraction_score.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace docent::business_docs {

namespace {

std::string canonical(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(u));
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == ',' || out.back() == '.')) out.pop_back();
  return out;
}

// `key` is the field or column name the counts are kept under; `name` says where, for messages.
void compare(const engines::Field* got, const std::string& key, const std::string& name, const std::string& truth,
             Score& s) {
  Counts& c = s.by_name[key];
  if (got == nullptr) {
    ++s.false_negative;
    ++c.false_negative;
    s.mismatches.push_back(name + ": missing (expected '" + truth + "')");
  } else if (same_value(*got, truth)) {
    ++s.true_positive;
    ++c.true_positive;
  } else {
    ++s.false_positive;
    ++s.false_negative;
    ++c.false_positive;
    ++c.false_negative;
    s.mismatches.push_back(name + ": expected '" + truth + "', got '" + value_text(*got) + "' (raw '" + got->raw +
                           "')");
  }
}

}  // namespace

void Score::add(const Score& o) {
  true_positive += o.true_positive;
  false_positive += o.false_positive;
  false_negative += o.false_negative;
  mismatches.insert(mismatches.end(), o.mismatches.begin(), o.mismatches.end());
  for (const auto& [name, c] : o.by_name) {
    Counts& mine = by_name[name];
    mine.true_positive += c.true_positive;
    mine.false_positive += c.false_positive;
    mine.false_negative += c.false_negative;
  }
}

double Score::precision() const {
  const int n = true_positive + false_positive;
  return n == 0 ? 1.0 : static_cast<double>(true_positive) / n;
}

double Score::recall() const {
  const int n = true_positive + false_negative;
  return n == 0 ? 1.0 : static_cast<double>(true_positive) / n;
}

double Score::f1() const {
  const double p = precision(), r = recall();
  return p + r == 0 ? 0 : 2 * p * r / (p + r);
}

std::string value_text(const engines::Field& f) {
  using T = engines::TypedValue::Type;
  if (f.value.type == T::Number || f.value.type == T::Amount || f.value.type == T::Percent) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.2f", f.value.number);
    return buf;
  }
  return f.value.text;
}

bool same_value(const engines::Field& f, const std::string& truth) {
  using T = engines::TypedValue::Type;
  if (f.value.type == T::Number || f.value.type == T::Amount || f.value.type == T::Percent) {
    char* end = nullptr;
    const double want = std::strtod(truth.c_str(), &end);
    return end != truth.c_str() && *end == '\0' && std::abs(want - f.value.number) < 0.006;
  }
  return canonical(f.value.text) == canonical(truth);
}

Score score_fields(const engines::Extraction& x, const Truth& truth) {
  Score s;
  for (const auto& [name, value] : truth.fields) compare(x.field(name), name, name, value, s);
  for (const engines::Field& f : x.fields) {
    if (!truth.fields.count(f.name)) {
      ++s.false_positive;
      ++s.by_name[f.name].false_positive;
      s.mismatches.push_back(f.name + ": not on the document, got '" + value_text(f) + "'");
    }
  }
  return s;
}

Score score_lines(const engines::Extraction& x, const Truth& truth) {
  Score s;
  for (size_t i = 0; i < truth.lines.size(); ++i) {
    const engines::LineItem* line = i < x.lines.size() ? &x.lines[i] : nullptr;
    for (const auto& [name, value] : truth.lines[i]) {
      compare(line ? line->cell(name) : nullptr, name, "line " + std::to_string(i + 1) + " " + name, value, s);
    }
    if (line == nullptr) continue;
    for (const engines::Field& f : line->cells) {
      if (!truth.lines[i].count(f.name)) {
        ++s.false_positive;
        ++s.by_name[f.name].false_positive;
        s.mismatches.push_back("line " + std::to_string(i + 1) + " " + f.name + ": not on the document, got '" +
                               value_text(f) + "'");
      }
    }
  }
  for (size_t i = truth.lines.size(); i < x.lines.size(); ++i) {
    s.false_positive += static_cast<int>(x.lines[i].cells.size());
    for (const engines::Field& f : x.lines[i].cells) ++s.by_name[f.name].false_positive;
    s.mismatches.push_back("line " + std::to_string(i + 1) + ": not on the document");
  }
  return s;
}

}  // namespace docent::business_docs
