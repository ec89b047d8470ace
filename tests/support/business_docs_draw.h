#pragma once
// Drawing for the business-document generator (business_docs.cpp): a page as a list of texts and
// rules, drawn with cairo onto a PDF page or, for a scan, onto a noisy image.

#include <cairo.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace docent::business_docs::draw {

struct Text {
  std::string s;
  double x, y, size;
  bool bold = false;
  int align = 0;  // 0 left, 1 right (x is the right edge), 2 centred
};
struct Rule {
  double x0, y0, x1, y1;
};
struct PageOps {
  std::vector<Text> texts;
  std::vector<Rule> rules;
};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

// Draws the page's rules and texts in `font` (black on whatever is there).
void draw(cairo_t* cr, const PageOps& page, const std::string& font);

// The page drawn at `dpi` in gray, shifted a little, blurred slightly and with noise, as an
// RGB24 image: a scan.
SurfacePtr scan(const PageOps& page, const std::string& font, int dpi, std::mt19937_64& random);

// Lays a document out page by page, measuring text as the PDF surface will draw it.
class Writer {
 public:
  explicit Writer(std::string font);
  double width(const std::string& s, double size, bool bold = false);
  // Greedy line breaking at `max_width`.
  std::vector<std::string> wrap(const std::string& text, double size, double max_width);
  // Adds text at the current baseline y.
  void text(const std::string& s, double x, double size, int align = 0, bool bold = false);
  void rule(double x0, double y0, double x1, double y1);
  void new_page();
  const std::string& font() const { return font_; }
  std::vector<PageOps>& pages() { return pages_; }

  double y = 50;  // the next baseline

 private:
  std::string font_;
  SurfacePtr measure_surface_;
  ContextPtr measure_;
  std::vector<PageOps> pages_;
};

}  // namespace docent::business_docs::draw
