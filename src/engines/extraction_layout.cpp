// Lines and segments rebuilt from word boxes.

#include "engines/extraction_internal.h"

#include <algorithm>
#include <cmath>

namespace docent::engines::extraction {

namespace {

double height(const Box& b) { return b.y1 - b.y0; }
double center_y(const Box& b) { return (b.y0 + b.y1) / 2; }

void extend(Box& box, const Box& other) {
  box.x0 = std::min(box.x0, other.x0);
  box.y0 = std::min(box.y0, other.y0);
  box.x1 = std::max(box.x1, other.x1);
  box.y1 = std::max(box.y1, other.y1);
}

// A word belongs to a line when its middle lies within the line's band.
bool on_line(const Box& line, const Box& w) {
  const double c = center_y(w);
  const double h = std::min(height(line), height(w));
  return c > line.y0 + 0.1 * h && c < line.y1 - 0.1 * h && std::abs(center_y(line) - c) < 0.45 * std::max(height(line), height(w));
}

}  // namespace

std::string Segment::text() const {
  std::string out;
  for (const PositionedWord* w : words) {
    if (!out.empty()) out += ' ';
    out += w->text;
  }
  return out;
}

double Segment::confidence() const {
  double c = 1;
  for (const PositionedWord* w : words) c = std::min(c, w->confidence);
  return c;
}

std::string Line::text() const {
  std::string out;
  for (const Segment& s : segments) {
    if (!out.empty()) out += "  ";
    out += s.text();
  }
  return out;
}

std::vector<Line> build_lines(const PageWords& page) {
  std::vector<const PositionedWord*> words;
  std::vector<double> all_heights;
  for (const PositionedWord& w : page.words) {
    if (height(w.box) > 0 && w.box.x1 > w.box.x0) words.push_back(&w), all_heights.push_back(height(w.box));
  }
  if (words.empty()) return {};
  // OCR sometimes returns a "word" as tall as several rows (a smudge, a rule): it would join
  // them into one line.
  std::nth_element(all_heights.begin(), all_heights.begin() + all_heights.size() / 2, all_heights.end());
  const double usual = all_heights[all_heights.size() / 2];
  if (page.ocr) std::erase_if(words, [&](const PositionedWord* w) { return height(w->box) > 2.5 * usual; });
  std::sort(words.begin(), words.end(), [](const PositionedWord* a, const PositionedWord* b) {
    return center_y(a->box) < center_y(b->box);
  });

  struct Pending {
    Box box;
    std::vector<const PositionedWord*> words;
  };
  std::vector<Pending> pending;
  for (const PositionedWord* w : words) {
    // Words come sorted by their middle, so a word's line, if any, is one of the last few.
    bool placed = false;
    for (size_t k = pending.size(); k-- > 0 && k + 4 >= pending.size();) {
      if (on_line(pending[k].box, w->box)) {
        pending[k].words.push_back(w);
        extend(pending[k].box, w->box);
        placed = true;
        break;
      }
    }
    if (!placed) pending.push_back(Pending{w->box, {w}});
  }
  std::sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) { return a.box.y0 < b.box.y0; });

  std::vector<Line> lines;
  for (Pending& p : pending) {
    std::sort(p.words.begin(), p.words.end(),
              [](const PositionedWord* a, const PositionedWord* b) { return a->box.x0 < b->box.x0; });
    Line line{.page = page.number, .box = p.box};
    // Between words of a phrase is one space (a third of the font size, about a quarter of the
    // box height); a column gap is several.
    std::vector<double> heights;
    for (const PositionedWord* w : p.words) heights.push_back(height(w->box));
    std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
    // OCR boxes hug the glyphs (cap height, not the font's ascent to descent), so the same
    // space is a larger share of their height.
    const double gap_limit = (page.ocr ? 1.25 : 0.75) * heights[heights.size() / 2];
    for (const PositionedWord* w : p.words) {
      if (line.segments.empty() || w->box.x0 - line.segments.back().box.x1 > gap_limit) {
        line.segments.push_back(Segment{.words = {w}, .box = w->box});
      } else {
        line.segments.back().words.push_back(w);
        extend(line.segments.back().box, w->box);
      }
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace docent::engines::extraction
