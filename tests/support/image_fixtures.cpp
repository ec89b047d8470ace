#include "support/image_fixtures.h"

#include <cairo.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <leptonica/allheaders.h>

#include <array>
#include <fstream>

namespace docent::testing::images {

namespace {

RgbImage from_surface(cairo_surface_t* surface) {
  cairo_surface_flush(surface);
  RgbImage img;
  img.width = cairo_image_surface_get_width(surface);
  img.height = cairo_image_surface_get_height(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const unsigned char* data = cairo_image_surface_get_data(surface);
  img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
  for (int y = 0; y < img.height; ++y) {
    const auto* row = reinterpret_cast<const uint32_t*>(data + static_cast<ptrdiff_t>(y) * stride);
    for (int x = 0; x < img.width; ++x) {
      const uint32_t px = row[x];  // CAIRO_FORMAT_RGB24: 0x00RRGGBB
      uint8_t* out = &img.pixels[(static_cast<size_t>(y) * img.width + x) * 3];
      out[0] = static_cast<uint8_t>(px >> 16);
      out[1] = static_cast<uint8_t>(px >> 8);
      out[2] = static_cast<uint8_t>(px);
    }
  }
  return img;
}

cv::Mat to_bgr(const RgbImage& image) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}

std::string gif_bytes(const RgbImage& image) {
  PIX* pix = pixCreate(image.width, image.height, 32);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p = &image.pixels[(static_cast<size_t>(y) * image.width + x) * 3];
      pixSetRGBPixel(pix, x, y, p[0], p[1], p[2]);
    }
  }
  // GIF holds a palette: quantized to 8 bits (octree; leptonica's 2-bit GIFs do not read back right).
  setMsgSeverity(L_SEVERITY_ERROR);
  PIX* quantized = pixOctreeColorQuant(pix, 240, 0);
  pixDestroy(&pix);
  l_uint8* data = nullptr;
  size_t size = 0;
  const int failed = pixWriteMem(&data, &size, quantized, IFF_GIF);
  pixDestroy(&quantized);
  if (failed || data == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(data), size);
  lept_free(data);
  return out;
}

uint32_t crc32(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void be32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void chunk(std::string& out, const std::string& type, const std::string& data) {
  be32(out, static_cast<uint32_t>(data.size()));
  out += type;
  out += data;
  be32(out, crc32(type + data));
}

}  // namespace

RgbImage draw_card(int width, int height, const std::string& text, Rgb paper, Rgb ink) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, paper.r / 255.0, paper.g / 255.0, paper.b / 255.0);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, height / 4.0);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, text.c_str(), &ext);
  cairo_move_to(cr, (width - ext.width) / 2 - ext.x_bearing, (height - ext.height) / 2 - ext.y_bearing);
  cairo_set_source_rgb(cr, ink.r / 255.0, ink.g / 255.0, ink.b / 255.0);
  cairo_show_text(cr, text.c_str());
  cairo_destroy(cr);
  RgbImage img = from_surface(surface);
  cairo_surface_destroy(surface);
  return img;
}

RgbImage draw_halves(int width, int height, Rgb left, Rgb right) {
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, left.r / 255.0, left.g / 255.0, left.b / 255.0);
  cairo_rectangle(cr, 0, 0, width / 2.0, height);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, right.r / 255.0, right.g / 255.0, right.b / 255.0);
  cairo_rectangle(cr, width / 2.0, 0, width / 2.0, height);
  cairo_fill(cr);
  cairo_destroy(cr);
  RgbImage img = from_surface(surface);
  cairo_surface_destroy(surface);
  return img;
}

RgbImage blurred(const RgbImage& image, int radius) {
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data()));
  cv::Mat out;
  cv::blur(rgb, out, cv::Size(2 * radius + 1, 2 * radius + 1));
  RgbImage r{image.width, image.height, {}};
  r.pixels.assign(out.data, out.data + out.total() * 3);
  return r;
}

std::string encode_image(const RgbImage& image, const std::string& format) {
  if (format == "gif") return gif_bytes(image);
  std::string ext = format == "jpeg" ? ".jpg" : "." + format;
  std::vector<uint8_t> buf;
  if (!cv::imencode(ext, to_bgr(image), buf)) return {};
  return std::string(buf.begin(), buf.end());
}

bool write_image(const std::filesystem::path& path, const RgbImage& image, const std::string& format) {
  std::string bytes = encode_image(image, format);
  if (bytes.empty()) return false;
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string png_bomb(uint32_t width, uint32_t height) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  be32(ihdr, width);
  be32(ihdr, height);
  ihdr += std::string("\x08\x06\x00\x00\x00", 5);  // 8-bit RGBA, deflate, no filter, no interlace
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", std::string("\x78\x9c\x03\x00\x00\x00\x00\x01", 8));
  chunk(out, "IEND", "");
  return out;
}

std::string gif_bomb(uint16_t width, uint16_t height) {
  std::string out = "GIF89a";
  auto le16 = [&](uint16_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>(v >> 8));
  };
  le16(width);
  le16(height);
  out += std::string("\x80\x00\x00", 3);  // a 2-colour global table follows
  out += std::string("\x00\x00\x00\xff\xff\xff", 6);
  out.push_back(',');
  le16(0);
  le16(0);
  le16(width);
  le16(height);
  out.push_back('\0');
  out += std::string("\x02\x02\x4c\x01\x00", 5);  // LZW min code size 2, one tiny sub-block
  out.push_back(';');
  return out;
}

}  // namespace docent::testing::images
