#pragma once
// Images for the image-analysis tests, drawn with cairo so that every test knows what is in them:
// known words in known colours at a known size, written in each format the nexus seed accepts
// (PNG, JPEG, BMP and WEBP through OpenCV, GIF through leptonica), and hostile variants
// (truncated files, a decompression bomb that declares huge dimensions in a tiny file).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace docent::testing::images {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

// An 8-bit RGB image, rows packed (3 bytes a pixel).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// `text` in large bold sans-serif type of colour `ink`, centred on a `paper` background.
RgbImage draw_card(int width, int height, const std::string& text, Rgb paper, Rgb ink);
// The left half `left`, the right half `right` (no text).
RgbImage draw_halves(int width, int height, Rgb left, Rgb right);
// The image blurred with a box filter of the given radius (a soft photo of it).
RgbImage blurred(const RgbImage& image, int radius);

// "png", "jpeg", "bmp", "webp" or "gif". Returns false when the encoder failed.
bool write_image(const std::filesystem::path& path, const RgbImage& image, const std::string& format);
// The encoded bytes of `image` in `format` (empty on failure).
std::string encode_image(const RgbImage& image, const std::string& format);

// A valid PNG signature and IHDR chunk declaring width x height, then a tiny IDAT and IEND: a
// file of a few dozen bytes that would need width * height * 4 bytes decoded.
std::string png_bomb(uint32_t width, uint32_t height);
// The same for GIF: a screen and an image descriptor of width x height, a few bytes of data.
std::string gif_bomb(uint16_t width, uint16_t height);

}  // namespace docent::testing::images
