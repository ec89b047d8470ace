#include "engines/chunker.h"

#include <algorithm>
#include <string_view>
#include <utility>

namespace docent::engines {
namespace {

constexpr size_t kMinTarget = 16;  // room for a few code points, so splitting always progresses

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The nearest code point start at or before pos (pos itself when it is one or is the end).
// Looks back at most 3 bytes: past that the bytes are not valid UTF-8 and any cut will do.
size_t floor_boundary(std::string_view s, size_t pos) {
  const size_t start = std::min(pos, s.size());
  size_t p = start;
  for (int i = 0; i < 3 && p > 0 && p < s.size() && is_continuation(s[p]); ++i) --p;
  return (p < s.size() && is_continuation(s[p])) ? start : p;
}

// The nearest code point start at or after pos (likewise at most 3 bytes on).
size_t ceil_boundary(std::string_view s, size_t pos) {
  const size_t start = std::min(pos, s.size());
  size_t p = start;
  for (int i = 0; i < 3 && p < s.size() && is_continuation(s[p]); ++i) ++p;
  return (p < s.size() && is_continuation(s[p])) ? start : p;
}

bool ends_with_at(std::string_view s, size_t end, std::string_view suffix) {
  return end >= suffix.size() && s.substr(end - suffix.size(), suffix.size()) == suffix;
}

// Whether a sentence starts at s[p]: p holds a non-space character that follows a line break,
// or [.!?] (plus closing quotes or brackets) and whitespace, or a CJK full stop, !, ?.
bool is_sentence_start(std::string_view s, size_t p) {
  if (p == 0 || p >= s.size() || is_space(s[p]) || is_continuation(s[p])) return false;
  if (ends_with_at(s, p, "\u3002") || ends_with_at(s, p, "\uFF01") || ends_with_at(s, p, "\uFF1F")) return true;
  size_t q = p;
  bool newline = false;
  while (q > 0 && is_space(s[q - 1])) {
    newline = newline || s[q - 1] == '\n';
    --q;
  }
  if (q == p) return false;  // no whitespace before p
  if (newline) return true;
  for (;;) {
    if (q > 0 && (s[q - 1] == ')' || s[q - 1] == ']' || s[q - 1] == '"' || s[q - 1] == '\'')) {
      --q;
    } else if (ends_with_at(s, q, "\u201D") || ends_with_at(s, q, "\u2019")) {  // ” ’
      q -= 3;
    } else {
      break;
    }
  }
  return q > 0 && (s[q - 1] == '.' || s[q - 1] == '!' || s[q - 1] == '?');
}

bool is_word_start(std::string_view s, size_t p) {
  return p > 0 && p < s.size() && !is_space(s[p]) && is_space(s[p - 1]);
}

// Splits an over-long paragraph into trimmed pieces of at most limit bytes: at the last sentence
// start that keeps a piece at least a quarter full, else at the last word start, else at a code
// point boundary.
std::vector<std::string_view> split_long(std::string_view s, size_t limit) {
  std::vector<std::string_view> pieces;
  s = trim(s);
  size_t pos = 0;
  while (s.size() - pos > limit) {
    const size_t end = pos + limit;
    size_t cut = 0;
    for (size_t p = end; p > pos + limit / 4; --p) {
      if (is_sentence_start(s, p)) {
        cut = p;
        break;
      }
    }
    if (cut == 0) {
      for (size_t p = end; p > pos; --p) {
        if (is_word_start(s, p)) {
          cut = p;
          break;
        }
      }
    }
    if (cut == 0) {
      cut = floor_boundary(s, end);
      if (cut <= pos) cut = ceil_boundary(s, pos + 1);  // invalid UTF-8: never stall
    }
    const auto piece = trim(s.substr(pos, cut - pos));
    if (!piece.empty()) pieces.push_back(piece);
    pos = cut;
    while (pos < s.size() && is_space(s[pos])) ++pos;
  }
  if (pos < s.size()) pieces.push_back(trim(s.substr(pos)));
  return pieces;
}

// Where the overlap taken from the end of text starts: a tail of at most max_tail bytes, from
// the earliest sentence start that gives at least a third of max_tail, else the earliest word
// start, else a code point boundary. Returns text.size() for no overlap.
size_t overlap_start(std::string_view text, size_t max_tail) {
  if (max_tail == 0 || text.empty()) return text.size();
  const size_t lo = text.size() > max_tail ? text.size() - max_tail : 0;
  const size_t sentence_limit = text.size() - std::min(text.size(), max_tail / 3);
  for (size_t p = std::max<size_t>(lo, 1); p <= sentence_limit && p < text.size(); ++p) {
    if (is_sentence_start(text, p)) return p;
  }
  for (size_t p = std::max<size_t>(lo, 1); p < text.size(); ++p) {
    if (is_word_start(text, p)) return p;
  }
  size_t p = ceil_boundary(text, lo);
  while (p < text.size() && is_space(text[p])) ++p;
  return p;
}

// Section names read on one line.
std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (is_space(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Accumulates the chunks of one document. One chunk is open at a time; it belongs to the
// current page and section.
class Builder {
 public:
  Builder(const ChunkOptions& options, std::vector<Chunk>& out) : options_(options), out_(out) {}

  void begin_page(int number) {
    emit();
    page_ = number;
  }

  void heading(std::string_view text, int level, int block) {
    if (has_body_) emit();
    level = std::max(level, 1);
    while (!headings_.empty() && headings_.back().first >= level) headings_.pop_back();
    headings_.emplace_back(level, one_line(text));
    section_.clear();
    for (const auto& h : headings_) {
      if (h.second.empty()) continue;
      if (!section_.empty()) section_ += " > ";
      section_ += h.second;
    }
    auto pieces = text.size() > options_.max_chars ? split_long(text, options_.target_chars)
                                                   : std::vector<std::string_view>{text};
    for (auto piece : pieces) {
      if (!text_.empty() && text_.size() + 2 + piece.size() > options_.max_chars) emit();
      append(piece, block, "\n\n");
    }
  }

  void paragraph(std::string_view text, int block) {
    if (text.size() <= options_.max_chars) {
      place(text, block, "\n\n");
      return;
    }
    bool first = true;
    for (auto piece : split_long(text, options_.target_chars)) {
      place(piece, block, first ? "\n\n" : " ");
      first = false;
    }
  }

  void finish() { emit(); }

 private:
  struct Segment {
    size_t offset;  // where the block's text starts in text_
    int block;
  };

  void place(std::string_view piece, int block, std::string_view sep) {
    if (!has_body_) {  // empty, or headings only: the piece joins them if it fits at all
      if (!text_.empty() && text_.size() + sep.size() + piece.size() > options_.max_chars) emit();
      append(piece, block, sep);
      has_body_ = true;
      return;
    }
    if (text_.size() + sep.size() + piece.size() <= options_.target_chars) {
      append(piece, block, sep);
      return;
    }
    roll_over(piece, block, sep);
  }

  // Emits the open chunk and starts the next with the previous one's tail and piece.
  void roll_over(std::string_view piece, int block, std::string_view sep) {
    const size_t start = overlap_start(text_, std::min(options_.overlap_chars, text_.size() / 2));
    std::string carry = text_.substr(start);
    std::vector<Segment> carry_segments{{0, block_at(start)}};
    for (const auto& seg : segments_) {
      if (seg.offset > start) carry_segments.push_back({seg.offset - start, seg.block});
    }
    emit();
    const size_t room = sep.size() + piece.size() < options_.max_chars ? options_.max_chars - sep.size() - piece.size()
                                                                       : 0;
    if (carry.size() > room) {
      // Keep a shorter tail; drop it when too little would remain to be useful.
      const size_t shift = room >= std::max<size_t>(options_.overlap_chars / 4, 1) ? overlap_start(carry, room)
                                                                                   : carry.size();
      carry.erase(0, shift);
      std::vector<Segment> kept;
      for (const auto& seg : carry_segments) {
        if (seg.offset <= shift) {
          if (kept.empty())
            kept.push_back({0, seg.block});
          else
            kept.front().block = seg.block;
        } else {
          kept.push_back({seg.offset - shift, seg.block});
        }
      }
      carry_segments = std::move(kept);
    }
    if (!carry.empty()) {
      text_ = std::move(carry);
      segments_ = std::move(carry_segments);
      has_body_ = true;
    }
    append(piece, block, sep);
    has_body_ = true;
  }

  void append(std::string_view piece, int block, std::string_view sep) {
    if (!text_.empty()) text_ += sep;
    if (segments_.empty() || segments_.back().block != block) segments_.push_back({text_.size(), block});
    text_ += piece;
  }

  int block_at(size_t offset) const {
    int block = segments_.empty() ? 0 : segments_.front().block;
    for (const auto& seg : segments_) {
      if (seg.offset > offset) break;
      block = seg.block;
    }
    return block;
  }

  void emit() {
    if (!text_.empty()) {
      Chunk c;
      c.text = std::move(text_);
      c.page = page_;
      c.section = section_;
      c.position = static_cast<int>(out_.size());
      c.start_block = segments_.front().block;
      c.end_block = segments_.back().block;
      out_.push_back(std::move(c));
    }
    text_.clear();
    segments_.clear();
    has_body_ = false;
  }

  const ChunkOptions& options_;
  std::vector<Chunk>& out_;
  int page_ = 1;
  std::vector<std::pair<int, std::string>> headings_;  // open headings: level, one-line text
  std::string section_;
  std::string text_;               // the open chunk
  std::vector<Segment> segments_;  // its blocks, in order
  bool has_body_ = false;          // text_ holds more than headings
};

}  // namespace

std::vector<Chunk> chunk_document(const Document& doc, const ChunkOptions& options) {
  ChunkOptions o = options;
  o.target_chars = std::max(o.target_chars, kMinTarget);
  o.max_chars = std::max(o.max_chars, o.target_chars);
  o.overlap_chars = std::min(o.overlap_chars, o.target_chars / 2);

  std::vector<Chunk> out;
  Builder builder(o, out);
  for (const auto& page : doc.pages) {
    builder.begin_page(page.number);
    for (size_t i = 0; i < page.blocks.size(); ++i) {
      const auto& block = page.blocks[i];
      const auto text = trim(block.text);
      if (text.empty()) continue;
      if (block.heading) {
        builder.heading(text, block.level, static_cast<int>(i));
      } else {
        builder.paragraph(text, static_cast<int>(i));
      }
    }
  }
  builder.finish();
  return out;
}

}  // namespace docent::engines
