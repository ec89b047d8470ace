#include "unit/engines/pdf_fixtures.h"

#include <cairo-pdf.h>
#include <cairo.h>

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <sstream>

namespace docent::engines::fixtures {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFont = "DejaVu Sans";

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* cr) const { cairo_destroy(cr); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using ContextPtr = std::unique_ptr<cairo_t, ContextDeleter>;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Greedy line breaking with the current font.
std::vector<std::string> wrap(cairo_t* cr, const std::string& text, double width) {
  std::vector<std::string> lines;
  std::string line;
  for (const std::string& word : split_words(text)) {
    std::string candidate = line.empty() ? word : line + " " + word;
    cairo_text_extents_t ext;
    cairo_text_extents(cr, candidate.c_str(), &ext);
    if (!line.empty() && ext.x_advance > width) {
      lines.push_back(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// Draws `text` in 28 pt type on a white grayscale image at 300 dpi; the image is `width_pt`
// points wide and as tall as the lines need.
constexpr double kScanDpi = 300, kScanFontSize = 28, kScanPitch = 40, kScanMargin = 36;

SurfacePtr render_text_image(const std::string& text, double width_pt, double* height_pt) {
  const auto lines = split_lines(text);
  *height_pt = 2 * kScanMargin + kScanPitch * static_cast<double>(lines.size());
  const double scale = kScanDpi / 72.0;
  SurfacePtr image(cairo_image_surface_create(CAIRO_FORMAT_RGB24, static_cast<int>(width_pt * scale),
                                              static_cast<int>(*height_pt * scale)));
  ContextPtr cr(cairo_create(image.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_scale(cr.get(), scale, scale);
  cairo_set_source_rgb(cr.get(), 0, 0, 0);
  cairo_select_font_face(cr.get(), kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr.get(), kScanFontSize);
  double y = kScanMargin + kScanFontSize;
  for (const std::string& line : lines) {
    cairo_move_to(cr.get(), kScanMargin, y);
    cairo_show_text(cr.get(), line.c_str());
    y += kScanPitch;
  }
  cairo_surface_flush(image.get());
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) return nullptr;
  return image;
}

uint32_t crc32(const unsigned char* data, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void put_chunk(std::string& out, const char type[4], const std::string& data) {
  put_be32(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  out += body;
  put_be32(out, crc32(reinterpret_cast<const unsigned char*>(body.data()), body.size()));
}

}  // namespace

bool write_text_pdf(const fs::path& path, const std::vector<FixturePage>& pages, const std::string& title) {
  SurfacePtr surface(cairo_pdf_surface_create(path.c_str(), kPageWidth, kPageHeight));
  if (!title.empty()) cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  ContextPtr cr(cairo_create(surface.get()));
  const double text_width = kPageWidth - 2 * kLeftMargin;
  for (const FixturePage& page : pages) {
    double y = kTopMargin;
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    if (!page.heading.empty()) {
      cairo_select_font_face(cr.get(), kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
      cairo_set_font_size(cr.get(), kHeadingSize);
      cairo_move_to(cr.get(), kLeftMargin, y);
      cairo_show_text(cr.get(), page.heading.c_str());
      y += kHeadingSize * 1.75;
    }
    for (const std::string& paragraph : page.paragraphs) {
      if (paragraph.rfind("## ", 0) == 0) {
        cairo_select_font_face(cr.get(), kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr.get(), kSubheadingSize);
        y += kSubheadingSize * 0.5;
        cairo_move_to(cr.get(), kLeftMargin, y);
        cairo_show_text(cr.get(), paragraph.c_str() + 3);
        y += kSubheadingSize * 1.75;
        continue;
      }
      cairo_select_font_face(cr.get(), kFont, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
      cairo_set_font_size(cr.get(), kBodySize);
      for (const std::string& line : wrap(cr.get(), paragraph, text_width)) {
        cairo_move_to(cr.get(), kLeftMargin, y);
        cairo_show_text(cr.get(), line.c_str());
        y += kBodyPitch;
      }
      y += kBodyPitch;  // an empty line between paragraphs
    }
    cairo_show_page(cr.get());
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  return cairo_surface_status(surface.get()) == CAIRO_STATUS_SUCCESS;
}

bool write_scanned_pdf(const fs::path& path, const std::string& text) {
  constexpr double kWidth = 612;  // US letter width; the height fits the text
  double height = 0;
  SurfacePtr image = render_text_image(text, kWidth, &height);
  if (!image) return false;
  SurfacePtr surface(cairo_pdf_surface_create(path.c_str(), kWidth, height));
  ContextPtr cr(cairo_create(surface.get()));
  cairo_scale(cr.get(), 72.0 / kScanDpi, 72.0 / kScanDpi);
  cairo_set_source_surface(cr.get(), image.get(), 0, 0);
  cairo_paint(cr.get());
  cairo_show_page(cr.get());
  cr.reset();
  cairo_surface_finish(surface.get());
  return cairo_surface_status(surface.get()) == CAIRO_STATUS_SUCCESS;
}

bool write_png(const fs::path& path, const std::string& text) {
  constexpr double kWidth = 432;  // 6 inches: 1800 pixels at 300 dpi
  double height = 0;
  SurfacePtr image = render_text_image(text, kWidth, &height);
  return image && cairo_surface_write_to_png(image.get(), path.c_str()) == CAIRO_STATUS_SUCCESS;
}

GrayImage render_text_gray(const std::string& text) {
  constexpr double kWidth = 432;
  double height = 0;
  SurfacePtr image = render_text_image(text, kWidth, &height);
  GrayImage out;
  if (!image) return out;
  out.width = cairo_image_surface_get_width(image.get());
  out.height = cairo_image_surface_get_height(image.get());
  const int stride = cairo_image_surface_get_stride(image.get());
  const unsigned char* data = cairo_image_surface_get_data(image.get());
  out.pixels.resize(static_cast<size_t>(out.width) * out.height);
  for (int y = 0; y < out.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < out.width; ++x) {
      uint32_t px = row[x];  // 0x00RRGGBB
      out.pixels[static_cast<size_t>(y) * out.width + x] = static_cast<uint8_t>(
          (((px >> 16) & 0xff) + ((px >> 8) & 0xff) + (px & 0xff)) / 3);
    }
  }
  return out;
}

bool write_png_header_only(const fs::path& path, uint32_t width, uint32_t height) {
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IEND", "");
  return write_bytes(path, png);
}

bool write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

fs::path make_temp_dir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / (prefix + "_" + std::to_string(::getpid()) + "_" +
                                              std::to_string(counter++) + "_" + std::to_string(rd()));
  fs::create_directories(dir);
  return dir;
}

fs::path test_data() { return fs::path(DOCENT_SOURCE_DIR) / "tests" / "data"; }

}  // namespace docent::engines::fixtures
