// Typed values as Indian business documents print them: numbers, dates, amounts in words.

#include "engines/extraction_internal.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace docent::engines::extraction {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in(normalize(text));
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<std::string> iso(int y, int m, int d) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 100) y += 2000;
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return std::nullopt;
  if (d > kDays[m - 1] + (m == 2 && leap(y) ? 1 : 0)) return std::nullopt;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return std::string(buf);
}

int month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() < 3) return 0;
  const std::string l = lower(name);
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (l.starts_with(kMonths[i])) {
      // "sept" and full names are fine; "marks" is not a month.
      static constexpr std::array<std::string_view, 12> kFull = {"january", "february", "march",     "april",
                                                                 "may",     "june",     "july",      "august",
                                                                 "september", "october", "november", "december"};
      if (l.size() == 3 || kFull[i].starts_with(l) || l == "sept") return static_cast<int>(i) + 1;
    }
  }
  return 0;
}

bool to_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string normalize(std::string_view text) {
  std::string out;
  bool space = false;
  for (unsigned char c : text) {
    if (c == '%') {  // a token of its own: "CGST %" is not "CGST"
      if (!out.empty()) out += ' ';
      out += "pct";
      space = true;
    } else if (std::isalnum(c)) {
      if (space && !out.empty()) out += ' ';
      out += static_cast<char>(std::tolower(c));
      space = false;
    } else {
      space = true;
    }
  }
  return out;
}

std::string currency_of(std::string_view text) {
  const std::string l = lower(text);
  if (l.find("\xe2\x82\xb9") != std::string::npos || l.find("inr") != std::string::npos ||
      l.find("rs") != std::string::npos || l.find("rupee") != std::string::npos)
    return "INR";
  if (l.find('$') != std::string::npos || l.find("usd") != std::string::npos) return "USD";
  if (l.find("\xe2\x82\xac") != std::string::npos || l.find("eur") != std::string::npos) return "EUR";
  return "";
}

std::optional<double> parse_number(std::string_view text) {
  std::string s(text);
  // Drop currency marks and words at either end.
  for (std::string_view mark : {"\xe2\x82\xb9", "INR", "Rs.", "Rs", "rs.", "USD", "$"}) {
    size_t at;
    while ((at = s.find(mark)) != std::string::npos) s.erase(at, mark.size());
  }
  // OCR reads "5,86,199.80" as "5, 86, 199.80".
  for (size_t at; (at = s.find(", ")) != std::string::npos;) s.erase(at + 1, 1);
  std::string digits;
  bool negative = false, seen_digit = false, seen_point = false, percent = false;
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == ':')) ++i;
  if (i < s.size() && (s[i] == '-' || s[i] == '(')) negative = true, ++i;
  else if (i < s.size() && s[i] == '+') ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c)) {
      digits += c;
      seen_digit = true;
    } else if (c == ',' && seen_digit && !seen_point && i + 1 < s.size() && is_digit(s[i + 1])) {
      continue;  // grouping, Indian (1,23,456) or not (123,456)
    } else if (c == '.' && !seen_point && i + 1 < s.size() && is_digit(s[i + 1])) {
      digits += '.';
      seen_point = true;
    } else if (c == '%' && seen_digit) {
      percent = true;
    } else if ((c == ')' && negative) || c == ' ' || (c == '/' && i + 1 == s.size() - 1 && s[i + 1] == '-')) {
      if (c == '/') break;  // "1,200/-"
      continue;
    } else {
      return std::nullopt;
    }
  }
  (void)percent;
  if (!seen_digit) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return negative ? -v : v;
}

std::optional<std::string> parse_date(std::string_view text) {
  std::string s(text);
  while (!s.empty() && (s.back() == ' ' || s.back() == ',' || s.back() == '.')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  // Split into parts at separators, keeping what kind each part is.
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == '/' || c == '-' || c == '.' || c == ' ' || c == ',') {
      if (!cur.empty()) parts.push_back(cur), cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) parts.push_back(cur);
  if (parts.size() != 3) return std::nullopt;
  int a = 0, b = 0, c = 0;
  const bool a_num = to_int(parts[0], a), b_num = to_int(parts[1], b), c_num = to_int(parts[2], c);
  if (a_num && b_num && c_num) {
    if (parts[0].size() == 4) return iso(a, b, c);                                   // 2026-04-01
    if (parts[2].size() == 4 || parts[2].size() == 2) return iso(c, b, a);           // 01/04/2026
    return std::nullopt;
  }
  if (a_num && !b_num && c_num) {  // 01-Apr-2026, 1 April 2026
    const int m = month_number(parts[1]);
    if (m == 0 || (parts[2].size() != 4 && parts[2].size() != 2)) return std::nullopt;
    return iso(c, m, a);
  }
  if (!a_num && b_num && c_num) {  // April 1, 2026
    const int m = month_number(parts[0]);
    if (m == 0 || parts[2].size() != 4) return std::nullopt;
    return iso(c, m, b);
  }
  return std::nullopt;
}

std::optional<double> parse_amount_in_words(std::string_view text) {
  static const std::vector<std::pair<std::string_view, int>> kUnits = {
      {"zero", 0},      {"one", 1},       {"two", 2},        {"three", 3},     {"four", 4},
      {"five", 5},      {"six", 6},       {"seven", 7},      {"eight", 8},     {"nine", 9},
      {"ten", 10},      {"eleven", 11},   {"twelve", 12},    {"thirteen", 13}, {"fourteen", 14},
      {"fifteen", 15},  {"sixteen", 16},  {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19},
      {"twenty", 20},   {"thirty", 30},   {"forty", 40},     {"fourty", 40},   {"fifty", 50},
      {"sixty", 60},    {"seventy", 70},  {"eighty", 80},    {"ninety", 90},
  };
  double rupees = 0, paise = 0;
  double* target = &rupees;
  double group = 0;  // below a thousand, being built
  double total = 0;  // the part above, for the current target
  double group_at_and = 0;
  bool any = false;
  auto flush = [&] {
    *target += total + group;
    total = group = 0;
  };
  const std::vector<std::string> words = tokens(text);
  auto number_word_after = [&](size_t i) {
    for (size_t k = i + 1; k < words.size(); ++k) {
      for (auto [word, value] : kUnits) {
        if (words[k] == word) return true;
      }
    }
    return false;
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& t = words[i];
    if (t == "and") {
      group_at_and = group;
      continue;
    }
    if (t == "only" || t == "rupees" || t == "rupee" || t == "inr" || t == "rs" || t == "amount" ||
        t == "in" || t == "words" || t == "indian")
      continue;
    if (t == "paise" || t == "paisa") {
      if (target != &rupees) return std::nullopt;
      if (number_word_after(i)) {  // "... and Paise Fifty"
        flush();
        target = &paise;
      } else {  // "... and Fifty Paise": what came after "and" is the paise
        paise = group - group_at_and;
        group = group_at_and;
        flush();
        target = nullptr;
      }
      continue;
    }
    if (target == nullptr) return std::nullopt;
    bool matched = false;
    for (auto [word, value] : kUnits) {
      if (t == word) {
        group += value;
        matched = any = true;
        break;
      }
    }
    if (matched) continue;
    if (t == "hundred") {
      group = (group == 0 ? 1 : group) * 100;
    } else if (t == "thousand") {
      total += (group == 0 ? 1 : group) * 1000, group = 0;
    } else if (t == "lakh" || t == "lakhs" || t == "lac" || t == "lacs") {
      total += (group == 0 ? 1 : group) * 100000, group = 0;
    } else if (t == "crore" || t == "crores") {
      total = (total + (group == 0 ? 1 : group)) * 10000000, group = 0;
    } else if (t == "million") {
      total += (group == 0 ? 1 : group) * 1000000, group = 0;
    } else {
      return std::nullopt;
    }
    any = true;
  }
  if (!any) return std::nullopt;
  if (target != nullptr) flush();
  if (paise >= 100) return std::nullopt;
  return rupees + paise / 100.0;
}

}  // namespace docent::engines::extraction
