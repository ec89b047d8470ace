#include "support/business_docs_draw.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

namespace docent::business_docs::draw {

namespace {

constexpr double kPageW = 595, kPageH = 842;

void set_font(cairo_t* cr, const std::string& font, double size, bool bold) {
  cairo_select_font_face(cr, font.c_str(), CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

}  // namespace

void draw(cairo_t* cr, const PageOps& page, const std::string& font) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_set_line_width(cr, 0.6);
  for (const Rule& r : page.rules) {
    cairo_move_to(cr, r.x0, r.y0);
    cairo_line_to(cr, r.x1, r.y1);
    cairo_stroke(cr);
  }
  for (const Text& t : page.texts) {
    set_font(cr, font, t.size, t.bold);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, t.s.c_str(), &ext);
    double x = t.x;
    if (t.align == 1) x -= ext.x_advance;
    if (t.align == 2) x -= ext.x_advance / 2;
    cairo_move_to(cr, x, t.y);
    cairo_show_text(cr, t.s.c_str());
  }
}

Writer::Writer(std::string font) : font_(std::move(font)) {
  measure_surface_.reset(cairo_image_surface_create(CAIRO_FORMAT_A8, 4, 4));
  measure_.reset(cairo_create(measure_surface_.get()));
  // Measure as the PDF surface draws: unhinted metrics.
  cairo_font_options_t* options = cairo_font_options_create();
  cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE);
  cairo_set_font_options(measure_.get(), options);
  cairo_font_options_destroy(options);
  pages_.emplace_back();
}

double Writer::width(const std::string& s, double size, bool bold) {
  set_font(measure_.get(), font_, size, bold);
  cairo_text_extents_t ext;
  cairo_text_extents(measure_.get(), s.c_str(), &ext);
  return ext.x_advance;
}

std::vector<std::string> Writer::wrap(const std::string& text, double size, double max_width) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  for (std::string w; in >> w;) {
    std::string candidate = line.empty() ? w : line + " " + w;
    if (!line.empty() && width(candidate, size) > max_width) {
      lines.push_back(line);
      line = w;
    } else {
      line = candidate;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

void Writer::text(const std::string& s, double x, double size, int align, bool bold) {
  pages_.back().texts.push_back(Text{s, x, y, size, bold, align});
}

void Writer::rule(double x0, double y0, double x1, double y1) { pages_.back().rules.push_back(Rule{x0, y0, x1, y1}); }

void Writer::new_page() {
  pages_.emplace_back();
  y = 60;
}

SurfacePtr scan(const PageOps& page, const std::string& font, int dpi, std::mt19937_64& random) {
  const double scale = dpi / 72.0;
  const int wpx = static_cast<int>(kPageW * scale), hpx = static_cast<int>(kPageH * scale);
  SurfacePtr img(cairo_image_surface_create(CAIRO_FORMAT_RGB24, wpx, hpx));
  {
    ContextPtr cr(cairo_create(img.get()));
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_scale(cr.get(), scale, scale);
    // A scanner never feeds a page perfectly straight.
    std::uniform_real_distribution<double> shift(-2, 2);
    cairo_translate(cr.get(), shift(random), shift(random));
    draw(cr.get(), page, font);
  }
  cairo_surface_flush(img.get());
  const int stride = cairo_image_surface_get_stride(img.get());
  unsigned char* data = cairo_image_surface_get_data(img.get());
  std::vector<int> gray(static_cast<size_t>(wpx) * hpx);
  for (int y = 0; y < hpx; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < wpx; ++x) gray[static_cast<size_t>(y) * wpx + x] = static_cast<int>(row[x] & 0xff);
  }
  std::normal_distribution<double> noise(0, 14);
  for (int y = 0; y < hpx; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < wpx; ++x) {
      // 3x3 binomial blur, then noise and the odd speck.
      int acc = 0, weight = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = std::clamp(y + dy, 0, hpx - 1), xx = std::clamp(x + dx, 0, wpx - 1);
          const int k = (dx == 0 ? 2 : 1) * (dy == 0 ? 2 : 1);
          acc += k * gray[static_cast<size_t>(yy) * wpx + xx];
          weight += k;
        }
      }
      double v = static_cast<double>(acc) / weight + noise(random);
      if (random() % 4000 == 0) v = 60;
      const auto g = static_cast<uint32_t>(std::clamp(v, 0.0, 255.0));
      row[x] = (g << 16) | (g << 8) | g;
    }
  }
  cairo_surface_mark_dirty(img.get());
  return img;
}

}  // namespace docent::business_docs::draw
