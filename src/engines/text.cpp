#include "engines/text.h"

#include "core/text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <system_error>
#include <vector>

namespace docent::engines {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr size_t kBinaryProbeBytes = 8000;

using core::Code;
using core::Error;

// The length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 when it is
// ill-formed; `consumed` is then the length of its maximal ill-formed subpart (at least 1).
size_t sequence_length(std::string_view s, size_t i, size_t& consumed) {
  const auto c = static_cast<uint8_t>(s[i]);
  consumed = 1;
  if (c < 0x80) return 1;
  size_t len = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3, lo = 0xA0;  // no overlongs
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3, hi = 0x9F;  // no surrogates
  } else if (c == 0xF0) {
    len = 4, lo = 0x90;  // no overlongs
  } else if (c >= 0xF1 && c <= 0xF3) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4, hi = 0x8F;  // nothing beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + 1 >= s.size()) return 0;
  const auto c1 = static_cast<uint8_t>(s[i + 1]);
  if (c1 < lo || c1 > hi) return 0;
  size_t j = 2;
  while (j < len && i + j < s.size()) {
    const auto cj = static_cast<uint8_t>(s[i + j]);
    if (cj < 0x80 || cj > 0xBF) break;
    ++j;
  }
  consumed = j;
  return j == len ? len : 0;
}

// UTF-16 (after its byte order mark) to UTF-8; unpaired surrogates and an odd last byte
// become U+FFFD.
std::string utf16_to_utf8(std::string_view bytes, bool little_endian) {
  std::string out;
  out.reserve(bytes.size());
  auto unit = [&](size_t i) -> uint32_t {
    const auto a = static_cast<uint8_t>(bytes[i]);
    const auto b = static_cast<uint8_t>(bytes[i + 1]);
    return little_endian ? (a | (b << 8)) : ((a << 8) | b);
  };
  size_t i = 0;
  while (i + 1 < bytes.size()) {
    uint32_t u = unit(i);
    i += 2;
    if (u >= 0xD800 && u <= 0xDBFF) {
      if (i + 1 < bytes.size()) {
        uint32_t low = unit(i);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          i += 2;
          core::append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00));
          continue;
        }
      }
      out += kReplacement;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      out += kReplacement;
    } else {
      core::append_utf8(out, u);
    }
  }
  if (i < bytes.size()) out += kReplacement;
  return out;
}

// Raw bytes to clean UTF-8 text with \n line ends and no NULs, or InvalidFormat if binary.
core::Result<std::string> decode(std::string_view bytes) {
  std::string text;
  if (bytes.size() >= 2 && bytes[0] == '\xFF' && bytes[1] == '\xFE') {
    text = utf16_to_utf8(bytes.substr(2), true);
  } else if (bytes.size() >= 2 && bytes[0] == '\xFE' && bytes[1] == '\xFF') {
    text = utf16_to_utf8(bytes.substr(2), false);
  } else {
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    if (looks_binary(bytes)) return Error(Code::InvalidFormat, "the file is binary, not text");
    text = repair_utf8(bytes);
  }
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c != '\0') {
      out += c;
    }
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view rtrim(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view line) { return trim(line).empty(); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
}

Block paragraph(std::string text) { return Block{std::move(text), false, 0, std::nullopt}; }
Block heading(std::string text, int level) { return Block{std::move(text), true, level, std::nullopt}; }

// Collects the lines of one paragraph; flush() turns them into a block.
class Paragraph {
 public:
  explicit Paragraph(std::vector<Block>& out) : out_(out) {}
  void add(std::string_view line) { lines_.push_back(rtrim(line)); }
  bool empty() const { return lines_.empty(); }
  std::string joined(std::string_view sep) const {
    std::string s;
    for (auto line : lines_) {
      if (!s.empty()) s += sep;
      s += line;
    }
    return std::string(trim(s));
  }
  void flush() {
    if (lines_.empty()) return;
    std::string text = joined("\n");
    lines_.clear();
    if (!text.empty()) out_.push_back(paragraph(std::move(text)));
  }
  void clear() { lines_.clear(); }

 private:
  std::vector<Block>& out_;
  std::vector<std::string_view> lines_;
};

std::vector<Block> plain_blocks(std::string_view page) {
  std::vector<Block> blocks;
  Paragraph para(blocks);
  for (auto line : split(page, '\n')) {
    if (is_blank(line)) {
      para.flush();
    } else {
      para.add(line);
    }
  }
  para.flush();
  return blocks;
}

// --- Markdown -------------------------------------------------------------------------------

// Up to three spaces of indentation, as CommonMark allows before block markers; -1 if more.
int indentation(std::string_view line) {
  int n = 0;
  while (n < static_cast<int>(line.size()) && line[n] == ' ') ++n;
  return n <= 3 ? n : -1;
}

bool atx_heading(std::string_view line, int& level, std::string& text) {
  int indent = indentation(line);
  if (indent < 0) return false;
  line.remove_prefix(indent);
  int hashes = 0;
  while (hashes < static_cast<int>(line.size()) && line[hashes] == '#') ++hashes;
  if (hashes < 1 || hashes > 6) return false;
  if (hashes < static_cast<int>(line.size()) && line[hashes] != ' ' && line[hashes] != '\t') return false;
  std::string_view rest = trim(line.substr(hashes));
  // An optional closing run of #s, preceded by a space (or making up the whole rest).
  size_t end = rest.size();
  while (end > 0 && rest[end - 1] == '#') --end;
  if (end == 0) {
    rest = {};
  } else if (end < rest.size() && (rest[end - 1] == ' ' || rest[end - 1] == '\t')) {
    rest = trim(rest.substr(0, end));
  }
  level = hashes;
  text = std::string(rest);
  return true;
}

// "===" (level 1) or "---" (level 2) under a paragraph line.
bool setext_underline(std::string_view line, int& level) {
  int indent = indentation(line);
  if (indent < 0) return false;
  line = trim(line);
  if (line.empty() || (line[0] != '=' && line[0] != '-')) return false;
  if (line.find_first_not_of(line[0]) != std::string_view::npos) return false;
  level = line[0] == '=' ? 1 : 2;
  return true;
}

// ***, --- or ___ (three or more, spaces allowed between).
bool thematic_break(std::string_view line) {
  if (indentation(line) < 0) return false;
  line = trim(line);
  if (line.empty() || (line[0] != '*' && line[0] != '-' && line[0] != '_')) return false;
  int count = 0;
  for (char c : line) {
    if (c == line[0]) {
      ++count;
    } else if (c != ' ' && c != '\t') {
      return false;
    }
  }
  return count >= 3;
}

struct Fence {
  char marker = 0;
  size_t length = 0;
  int indent = 0;
};

bool fence_open(std::string_view line, Fence& fence) {
  int indent = indentation(line);
  if (indent < 0) return false;
  line.remove_prefix(indent);
  if (line.empty() || (line[0] != '`' && line[0] != '~')) return false;
  size_t n = line.find_first_not_of(line[0]);
  if (n == std::string_view::npos) n = line.size();
  if (n < 3) return false;
  if (line[0] == '`' && line.substr(n).find('`') != std::string_view::npos) return false;
  fence = Fence{line[0], n, indent};
  return true;
}

bool fence_close(std::string_view line, const Fence& fence) {
  int indent = indentation(line);
  if (indent < 0) return false;
  line = trim(line);
  if (line.size() < fence.length || line[0] != fence.marker) return false;
  return line.find_first_not_of(fence.marker) == std::string_view::npos;
}

// YAML front matter ("---" first line, up to "---" or "..."): skipped; its title: kept.
size_t front_matter(const std::vector<std::string_view>& lines, std::string& title) {
  if (lines.empty() || rtrim(lines[0]) != "---") return 0;
  for (size_t i = 1; i < lines.size() && i < 200; ++i) {
    std::string_view line = rtrim(lines[i]);
    if (line == "---" || line == "...") {
      for (size_t j = 1; j < i; ++j) {
        std::string_view l = lines[j];
        if (l.substr(0, 6) == "title:") {
          std::string_view t = trim(l.substr(6));
          if (t.size() >= 2 && (t.front() == '"' || t.front() == '\'') && t.back() == t.front()) {
            t = t.substr(1, t.size() - 2);
          }
          title = std::string(t);
        }
      }
      return i + 1;
    }
  }
  return 0;
}

std::vector<Block> markdown_blocks(std::string_view page, bool first_page, std::string& title) {
  std::vector<Block> blocks;
  Paragraph para(blocks);
  std::vector<std::string_view> lines = split(page, '\n');
  size_t i = first_page ? front_matter(lines, title) : 0;
  for (; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    Fence fence;
    int level = 0;
    std::string text;
    if (fence_open(line, fence)) {
      para.flush();
      std::string code;
      for (++i; i < lines.size() && !fence_close(lines[i], fence); ++i) {
        std::string_view l = lines[i];
        int strip = 0;
        while (strip < fence.indent && strip < static_cast<int>(l.size()) && l[strip] == ' ') ++strip;
        code += rtrim(l.substr(strip));
        code += '\n';
      }
      while (!code.empty() && code.back() == '\n') code.pop_back();
      if (!trim(code).empty()) blocks.push_back(paragraph(std::move(code)));
    } else if (is_blank(line)) {
      para.flush();
    } else if (atx_heading(line, level, text)) {
      para.flush();
      if (!text.empty()) blocks.push_back(heading(std::move(text), level));
    } else if (!para.empty() && setext_underline(line, level)) {
      std::string heading_text = para.joined(" ");
      para.clear();
      blocks.push_back(heading(std::move(heading_text), level));
    } else if (thematic_break(line)) {
      para.flush();
    } else {
      para.add(line);
    }
  }
  para.flush();
  return blocks;
}

// --- CSV ------------------------------------------------------------------------------------

// The delimiter the header line uses most among , ; and tab (outside quotes); ',' by default.
char detect_delimiter(std::string_view text) {
  std::array<std::pair<char, int>, 3> counts{{{',', 0}, {';', 0}, {'\t', 0}}};
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n') break;
    for (auto& [d, n] : counts) {
      if (c == d) ++n;
    }
  }
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return best->second > 0 ? best->first : ',';
}

// RFC 4180 records, leniently: a quote inside an unquoted field is literal, and text after a
// closing quote is kept.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

  bool next(std::vector<std::string>& fields) {
    fields.clear();
    if (pos_ >= text_.size()) return false;
    std::string field;
    while (true) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        ++pos_;
        while (pos_ < text_.size()) {
          char c = text_[pos_++];
          if (c == '"') {
            if (pos_ < text_.size() && text_[pos_] == '"') {
              field += '"';
              ++pos_;
            } else {
              break;
            }
          } else {
            field += c;
          }
        }
      }
      while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '\n') field += text_[pos_++];
      fields.push_back(std::move(field));
      field.clear();
      if (pos_ >= text_.size()) return true;
      if (text_[pos_++] == '\n') return true;
    }
  }

 private:
  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
};

core::Result<std::vector<Block>> csv_blocks(std::string_view text) {
  std::vector<Block> blocks;
  CsvReader reader(text, detect_delimiter(text));
  std::vector<std::string> fields;
  std::vector<std::string> header;
  auto column = [&header](size_t j) {
    return j < header.size() && !header[j].empty() ? header[j] : "column " + std::to_string(j + 1);
  };
  auto all_empty = [](const std::vector<std::string>& f) {
    return std::all_of(f.begin(), f.end(), [](const std::string& s) { return trim(s).empty(); });
  };
  while (reader.next(fields)) {
    if (!all_empty(fields)) break;
  }
  if (fields.empty() || all_empty(fields)) return blocks;
  for (auto& f : fields) header.emplace_back(trim(f));
  std::string names;
  for (size_t j = 0; j < header.size(); ++j) {
    if (!names.empty()) names += " | ";
    names += column(j);
  }
  blocks.push_back(paragraph(std::move(names)));
  int rows = 0;
  while (reader.next(fields)) {
    if (all_empty(fields)) continue;
    if (++rows > kMaxCsvRows) {
      return Error(Code::InvalidFormat, "the CSV has more than " + std::to_string(kMaxCsvRows) + " rows");
    }
    std::string row;
    for (size_t j = 0; j < fields.size(); ++j) {
      std::string_view value = trim(fields[j]);
      if (value.empty()) continue;
      if (!row.empty()) row += "; ";
      row += column(j);
      row += ": ";
      row += value;
    }
    blocks.push_back(paragraph(std::move(row)));
  }
  return blocks;
}

std::string first_heading(const Document& doc) {
  for (const auto& page : doc.pages) {
    for (const auto& block : page.blocks) {
      if (block.heading) return block.text;
    }
  }
  return {};
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  size_t consumed = 0;
  for (size_t i = 0; i < bytes.size();) {
    if (static_cast<uint8_t>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t len = sequence_length(bytes, i, consumed);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string repair_utf8(std::string_view bytes) {
  if (is_valid_utf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  size_t consumed = 0;
  for (size_t i = 0; i < bytes.size();) {
    size_t len = sequence_length(bytes, i, consumed);
    if (len > 0) {
      out.append(bytes.substr(i, len));
      i += len;
    } else {
      out += kReplacement;
      i += consumed;
    }
  }
  return out;
}

bool looks_binary(std::string_view bytes) {
  if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') || (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
    return false;
  }
  return bytes.substr(0, kBinaryProbeBytes).find('\0') != std::string_view::npos;
}

core::Result<Document> extract_text(std::string_view bytes, TextKind kind, const ParseLimits& limits) {
  auto decoded = decode(bytes);
  if (!decoded) return std::move(decoded).error();
  const std::string& text = *decoded;

  Document doc;
  doc.mime = kind == TextKind::Markdown ? "text/markdown" : kind == TextKind::Csv ? "text/csv" : "text/plain";
  if (kind == TextKind::Csv) {
    auto blocks = csv_blocks(text);
    if (!blocks) return std::move(blocks).error();
    doc.pages.push_back(Page{1, std::move(*blocks), false});
  } else {
    std::vector<std::string_view> pages = split(text, '\f');
    while (pages.size() > 1 && is_blank(pages.back())) pages.pop_back();
    if (static_cast<int64_t>(pages.size()) > limits.max_pages) {
      return Error(Code::InvalidFormat, "the document has more than " + std::to_string(limits.max_pages) + " pages");
    }
    for (size_t i = 0; i < pages.size(); ++i) {
      Page page;
      page.number = static_cast<int>(i) + 1;
      page.blocks = kind == TextKind::Markdown ? markdown_blocks(pages[i], i == 0, doc.title) : plain_blocks(pages[i]);
      doc.pages.push_back(std::move(page));
    }
  }
  if (doc.text_bytes() > limits.max_text_bytes) {
    return Error(Code::InvalidFormat,
                 "the document's text exceeds " + std::to_string(limits.max_text_bytes) + " bytes");
  }
  if (doc.title.empty()) doc.title = first_heading(doc);
  return doc;
}

core::Result<Document> extract_text_file(const std::filesystem::path& file, TextKind kind, const ParseLimits& limits) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return Error(Code::Internal, "cannot read the file: " + ec.message());
  if (size > limits.max_text_bytes) {
    return Error(Code::InvalidFormat, "the text is larger than " + std::to_string(limits.max_text_bytes) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Error(Code::Internal, "cannot read the file");
  }
  return extract_text(bytes, kind, limits);
}

}  // namespace docent::engines
