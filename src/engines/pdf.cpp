#include "engines/pdf.h"

#include "engines/poppler_doc.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

namespace docent::engines {

namespace {

using poppler_doc::utf8;

// ---- text -------------------------------------------------------------------------------------

std::string trim(std::string s) {
  auto space = [](unsigned char c) { return c <= ' '; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

core::Error invalid(std::string message) { return core::Error(core::Code::InvalidFormat, std::move(message)); }

// ---- layout: words -> lines -> blocks -----------------------------------------------------------

// Positions are kept twice: on the page (Box, points, top-left origin) and in the word's reading
// frame, where text runs along +a and lines stack along +c whatever the text's rotation.
struct Frame {
  double a0 = 0, a1 = 0, c0 = 0, c1 = 0;
};

Frame to_frame(const Box& b, int rotation) {
  switch (rotation & 3) {
    case 1: return {b.y0, b.y1, -b.x1, -b.x0};    // text runs down the page, lines stack leftwards
    case 2: return {-b.x1, -b.x0, -b.y1, -b.y0};  // upside down
    case 3: return {-b.y1, -b.y0, b.x0, b.x1};    // text runs up the page, lines stack rightwards
    default: return {b.x0, b.x1, b.y0, b.y1};
  }
}

void extend(Box& box, const Box& other) {
  box.x0 = std::min(box.x0, other.x0);
  box.y0 = std::min(box.y0, other.y0);
  box.x1 = std::max(box.x1, other.x1);
  box.y1 = std::max(box.y1, other.y1);
}

void extend(Frame& f, const Frame& other) {
  f.a0 = std::min(f.a0, other.a0);
  f.a1 = std::max(f.a1, other.a1);
  f.c0 = std::min(f.c0, other.c0);
  f.c1 = std::max(f.c1, other.c1);
}

size_t codepoints(const std::string& utf8) {
  return static_cast<size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Font sizes are compared after rounding to half a point.
double round_size(double size) { return std::round(size * 2) / 2; }

struct Word {
  std::string text;
  Box box;
  Frame frame;
  int rotation = 0;
  double size = 0;  // font size in points, estimated from the box (see page_words)
  bool space_after = false;
};

struct Line {
  std::string text;
  Box box;
  Frame frame;
  int rotation = 0;
  double size = 0;                 // the size most of its characters are set in
  std::map<double, size_t> chars;  // rounded size -> characters
};

// A block on its way to becoming a Block: its font size decides heading or paragraph later,
// once the whole document's body size is known.
struct PendingBlock {
  Block block;
  double size = 0;
  int lines = 0;
};

struct PendingPage {
  Page page;
  std::vector<double> sizes;  // parallel to page.blocks; 0 for blocks without a font size
  std::vector<int> lines;
};

double height(const Frame& f) { return f.c1 - f.c0; }

bool continues_line(const Line& line, const Word& w) {
  if (w.rotation != line.rotation) return false;
  double h = std::min(height(line.frame), height(w.frame));
  double overlap = std::min(line.frame.c1, w.frame.c1) - std::max(line.frame.c0, w.frame.c0);
  if (overlap < 0.5 * h) return false;
  return w.frame.a0 >= line.frame.a1 - 0.5 * h;  // not running backwards along the line
}

void add_word(Line& line, const Word& w, bool space_before) {
  if (line.text.empty()) {
    line.box = w.box;
    line.frame = w.frame;
    line.rotation = w.rotation;
  } else {
    if (space_before) line.text += ' ';
    extend(line.box, w.box);
    extend(line.frame, w.frame);
  }
  line.text += w.text;
  line.chars[round_size(w.size)] += codepoints(w.text);
}

std::vector<Line> group_lines(const std::vector<Word>& words) {
  std::vector<Line> lines;
  const Word* prev = nullptr;
  for (const Word& w : words) {
    if (!lines.empty() && continues_line(lines.back(), w)) {
      // Poppler splits words at spaces; adjacent pieces without one (a font change inside a
      // word) are glued unless there is a visible gap.
      double gap = w.frame.a0 - lines.back().frame.a1;
      bool space = (prev && prev->space_after) || gap > 0.15 * height(w.frame);
      add_word(lines.back(), w, space);
    } else {
      lines.emplace_back();
      add_word(lines.back(), w, false);
    }
    prev = &w;
  }
  for (Line& line : lines) {
    size_t best = 0;
    for (auto [size, n] : line.chars) {
      if (n > best) best = n, line.size = size;
    }
    if (line.size <= 0) line.size = std::max(1.0, height(line.frame));
  }
  return lines;
}

bool same_size(double a, double b) { return std::max(a, b) <= 1.15 * std::min(a, b); }

// The page's usual baseline-to-baseline distance as a multiple of the font size: the median over
// neighbouring lines of one size, clamped to what text set solid to double-spaced looks like
// (a page of one-line paragraphs would otherwise teach us that paragraph gaps are normal).
double line_pitch(const std::vector<Line>& lines) {
  std::vector<double> ratios;
  for (size_t i = 1; i < lines.size(); ++i) {
    const Line& a = lines[i - 1];
    const Line& b = lines[i];
    if (a.rotation != b.rotation || !same_size(a.size, b.size)) continue;
    double ratio = (b.frame.c1 - a.frame.c1) / b.size;
    if (ratio > 0.8 && ratio < 3.0) ratios.push_back(ratio);
  }
  if (ratios.empty()) return 1.2;
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  return std::clamp(ratios[ratios.size() / 2], 1.0, 1.8);
}

bool starts_block(const PendingBlock& block, const Frame& block_frame, const Line& prev, const Line& line,
                  double pitch) {
  if (line.rotation != prev.rotation) return true;
  if (!same_size(line.size, block.size)) return true;
  const double size = line.size;
  const double delta = line.frame.c1 - prev.frame.c1;  // baseline to baseline
  if (delta < 0.5 * size) return true;                 // back up the page: a new column or a sidebar
  if (delta > 1.3 * pitch * size) return true;
  // Side by side with the block rather than under it: another column.
  if (line.frame.a0 > block_frame.a1 || line.frame.a1 < block_frame.a0) return true;
  // TeX-style paragraphs have no gap: the last line stops short and the next one is indented.
  const double indent = line.frame.a0 - block_frame.a0;
  return block.lines >= 2 && indent > 0.8 * size && indent < 6 * size && prev.frame.a1 < block_frame.a1 - 2 * size;
}

std::vector<PendingBlock> group_blocks(const std::vector<Line>& lines) {
  std::vector<PendingBlock> blocks;
  const double pitch = line_pitch(lines);
  Frame frame;
  for (size_t i = 0; i < lines.size(); ++i) {
    const Line& line = lines[i];
    if (blocks.empty() || starts_block(blocks.back(), frame, lines[i - 1], line, pitch)) {
      blocks.push_back(PendingBlock{.block = Block{.text = line.text, .box = line.box}, .size = line.size, .lines = 1});
      frame = line.frame;
      continue;
    }
    PendingBlock& b = blocks.back();
    b.block.text += '\n';
    b.block.text += line.text;
    extend(*b.block.box, line.box);
    extend(frame, line.frame);
    ++b.lines;
  }
  return blocks;
}

// Words come without font information: poppler-cpp gathers it by scanning every font of the
// page, embedded font programs included, which costs a third of the extraction time. A word's
// box spans its font's ascent to descent, which for text fonts is 1.1 to 1.35 times the font
// size; line grouping and heading detection compare sizes with each other, so the estimate's
// constant factor matters only to the absolute bounds of the line pitch.
constexpr double kBoxHeightPerPoint = 1.2;

std::vector<Word> page_words(const poppler::page& page) {
  std::vector<Word> words;
  for (const poppler::text_box& tb : page.text_list(0)) {
    std::string text = utf8(tb.text());
    if (trim(text).empty()) continue;
    poppler::rectf r = tb.bbox();
    Word w;
    w.text = std::move(text);
    w.box = Box{r.left(), r.top(), r.right(), r.bottom()};
    w.rotation = tb.rotation();
    w.frame = to_frame(w.box, w.rotation);
    w.size = height(w.frame) / kBoxHeightPerPoint;
    if (!(w.size > 0) || !std::isfinite(w.size)) w.size = 1;
    w.space_after = tb.has_space_after();
    words.push_back(std::move(w));
  }
  return words;
}

// When poppler finds no words but still has text for the page, keep its physical layout, split
// into paragraphs at blank lines (no boxes, no sizes).
std::vector<PendingBlock> physical_text_blocks(const poppler::page& page) {
  std::string text = utf8(page.text(poppler::rectf(), poppler::page::physical_layout));
  std::vector<PendingBlock> blocks;
  std::string paragraph;
  auto flush = [&] {
    std::string t = trim(std::move(paragraph));
    paragraph.clear();
    if (!t.empty()) blocks.push_back(PendingBlock{.block = Block{.text = std::move(t)}});
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) {
      flush();
    } else {
      if (!paragraph.empty()) paragraph += '\n';
      paragraph += line;
    }
    start = end + 1;
  }
  flush();
  return blocks;
}

// ---- scanned pages ----------------------------------------------------------------------------

core::Result<std::vector<Block>> ocr_page(const poppler::page& page, int dpi, Ocr& ocr) {
  auto rendered = poppler_doc::render_gray(page, dpi);
  if (!rendered) return std::move(rendered).error();
  const poppler::image& img = rendered->image;
  OcrOptions options{.dpi = rendered->dpi, .scale = 72.0 / rendered->dpi};
  return ocr.recognize(reinterpret_cast<const uint8_t*>(img.const_data()), img.width(), img.height(), 1,
                       img.bytes_per_row(), options);
}

// ---- headings -----------------------------------------------------------------------------------

// The body size is the size most characters of the document are set in.
double body_size(const std::vector<PendingPage>& pages) {
  std::map<double, size_t> chars;
  for (const PendingPage& p : pages) {
    for (size_t i = 0; i < p.page.blocks.size(); ++i) {
      if (p.sizes[i] > 0) chars[round_size(p.sizes[i])] += codepoints(p.page.blocks[i].text);
    }
  }
  double best_size = 0;
  size_t best = 0;
  for (auto [size, n] : chars) {
    if (n > best) best = n, best_size = size;
  }
  return best_size;
}

// A letter of any script, roughly: ASCII letters, and code points from U+00C0 up, less the
// multiplication and division signs and the punctuation, arrows, mathematical operators,
// technical symbols, shapes and dingbats of U+2000-U+2BFF.
bool is_letter(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return false;
  return cp < 0x2000 || cp > 0x2BFF;
}

// At least two letters, and letters are at least 60% of what is not white space: formulas set in
// large math fonts ("⇒", "−2", "∀x ∈ X") are not headings, whatever their size.
bool mostly_letters(std::string_view text) {
  size_t letters = 0, visible = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    char32_t cp = c;
    size_t n = 1;
    if (c >= 0xF0)
      cp = c & 0x07, n = 4;
    else if (c >= 0xE0)
      cp = c & 0x0F, n = 3;
    else if (c >= 0xC0)
      cp = c & 0x1F, n = 2;
    for (size_t k = 1; k < n && i + k < text.size(); ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += n;
    if (cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r' || cp == 0xA0) continue;
    ++visible;
    if (is_letter(cp)) ++letters;
  }
  return letters >= 2 && letters * 10 >= visible * 6;
}

bool looks_like_heading(const Block& block, double size, int lines, double body) {
  constexpr size_t kMaxHeadingChars = 200;
  constexpr int kMaxHeadingLines = 3;
  if (body <= 0 || size < body * 1.15 || size < body + 1) return false;
  if (codepoints(block.text) > kMaxHeadingChars || lines > kMaxHeadingLines) return false;
  return mostly_letters(block.text);
}

void mark_headings(std::vector<PendingPage>& pages) {
  const double body = body_size(pages);
  std::vector<double> sizes;  // distinct heading sizes, largest first
  for (const PendingPage& p : pages) {
    for (size_t i = 0; i < p.page.blocks.size(); ++i) {
      if (looks_like_heading(p.page.blocks[i], p.sizes[i], p.lines[i], body)) sizes.push_back(round_size(p.sizes[i]));
    }
  }
  std::sort(sizes.begin(), sizes.end(), std::greater<>());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  constexpr int kDeepestLevel = 6;
  for (PendingPage& p : pages) {
    for (size_t i = 0; i < p.page.blocks.size(); ++i) {
      Block& b = p.page.blocks[i];
      if (!looks_like_heading(b, p.sizes[i], p.lines[i], body)) continue;
      auto rank = std::find(sizes.begin(), sizes.end(), round_size(p.sizes[i])) - sizes.begin();
      b.heading = true;
      b.level = std::min(kDeepestLevel, static_cast<int>(rank) + 1);
    }
  }
}

core::Error too_much_text(uint64_t limit) {
  core::Error e = invalid("the PDF's text exceeds the limit of " + std::to_string(limit) + " bytes");
  e.details["max_text_bytes"] = limit;
  return e;
}

}  // namespace

core::Result<Document> extract_pdf(const std::filesystem::path& path, const ParseLimits& limits, Ocr* ocr) {
  auto opened = poppler_doc::open(path, limits);
  if (!opened) return std::move(opened).error();
  std::unique_ptr<poppler::document> doc = std::move(*opened);
  const int page_count = doc->pages();

  std::vector<PendingPage> pages;
  pages.reserve(page_count);
  uint64_t text_bytes = 0;
  for (int i = 0; i < page_count; ++i) {
    PendingPage& pending = pages.emplace_back();
    pending.page.number = i + 1;
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;  // a damaged page object: keep the numbering, skip its text

    std::vector<PendingBlock> blocks = group_blocks(group_lines(page_words(*page)));
    if (blocks.empty()) blocks = physical_text_blocks(*page);
    if (blocks.empty() && ocr != nullptr) {
      auto recognized = ocr_page(*page, limits.ocr_dpi, *ocr);
      if (!recognized) return std::move(recognized).error();
      for (Block& b : *recognized) blocks.push_back(PendingBlock{.block = std::move(b)});
      pending.page.ocr = true;
    }
    for (PendingBlock& b : blocks) {
      text_bytes += b.block.text.size();
      pending.page.blocks.push_back(std::move(b.block));
      pending.sizes.push_back(b.size);
      pending.lines.push_back(b.lines);
    }
    if (text_bytes > limits.max_text_bytes) return too_much_text(limits.max_text_bytes);
  }
  mark_headings(pages);

  Document out;
  out.mime = "application/pdf";
  out.title = trim(utf8(doc->info_key("Title")));
  out.pages.reserve(pages.size());
  for (PendingPage& p : pages) {
    if (out.title.empty()) {
      for (const Block& b : p.page.blocks) {
        if (b.heading) {
          out.title = b.text;
          std::replace(out.title.begin(), out.title.end(), '\n', ' ');
          break;
        }
      }
    }
    out.pages.push_back(std::move(p.page));
  }
  return out;
}

}  // namespace docent::engines
