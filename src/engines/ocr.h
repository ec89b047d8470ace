#pragma once
// Optical character recognition with tesseract: pixels in, text blocks with boxes out.
// Leptonica and tesseract stay behind this header; callers hand over raw pixels or a file path.

#include "core/error.h"
#include "engines/document.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace tesseract {
class TessBaseAPI;
}

namespace docent::engines {

// How to read one image.
struct OcrOptions {
  // The image's resolution in pixels per inch, when known. It tells tesseract how large the text
  // is; 0 means unknown (a file's own resolution is used when it has a plausible one).
  int dpi = 0;
  // Block boxes are pixel coordinates multiplied by this (72.0 / dpi turns pixels into points).
  double scale = 1.0;
  // Words tesseract is less sure of than this (0..100) are left out of the text.
  float min_word_confidence = 0;
  // Paragraphs whose mean word confidence (weighted by length) is below this are dropped: a
  // photograph read as text gives gibberish tesseract itself doubts (means of 20-30), while
  // printed text, even a poor scan, scores 80-95.
  float min_block_confidence = 40;
};

// The largest image, in pixels, that recognize() and recognize_file() accept. Above it a file is
// refused from its header alone, before anything is decoded (decompression bombs).
inline constexpr int64_t kMaxImagePixels = 100'000'000;

// One tesseract engine. Loading a language model takes a while and the engine keeps state
// between calls, so an Ocr is made once and reused; it is NOT thread-safe: keep one per worker
// thread (or guard it with a mutex). Not copyable; destroying it frees the engine.
class Ocr {
 public:
  // Loads `language` (tesseract's name, e.g. "eng" or "eng+deu") from `tessdata_dir`, or from
  // tesseract's default location (TESSDATA_PREFIX, else the packaged path) when it is empty.
  // Fails with Code::ServiceUnavailable naming the language pack when it cannot be loaded.
  static core::Result<std::unique_ptr<Ocr>> create(std::string language = "eng", std::string tessdata_dir = "");

  ~Ocr();
  Ocr(const Ocr&) = delete;
  Ocr& operator=(const Ocr&) = delete;

  // Recognizes text in an image held in memory: `height` rows of `bytes_per_line` bytes, each
  // pixel `bytes_per_pixel` bytes (1 = 8-bit gray, 3 = RGB, 4 = RGBA). Returns one Block per
  // paragraph tesseract finds, in its reading order, words separated by single spaces and lines
  // by '\n', each with the box of its words (see OcrOptions::scale); paragraphs and words below
  // the OcrOptions confidence floors are left out. No text gives no blocks.
  // Fails with Code::InvalidInput for impossible geometry or an image over kMaxImagePixels, and
  // Code::ProcessingError when tesseract fails.
  core::Result<std::vector<Block>> recognize(const uint8_t* pixels, int width, int height, int bytes_per_pixel,
                                             int bytes_per_line, const OcrOptions& options = {});

  // Recognizes text in an image file (PNG, JPEG, TIFF (first page), GIF, WEBP, BMP, PNM, JP2).
  // The header is checked before decoding: Code::InvalidFormat when leptonica cannot read the
  // file or it is larger than kMaxImagePixels. Transparent pixels are read as white.
  core::Result<std::vector<Block>> recognize_file(const std::filesystem::path& path, const OcrOptions& options = {});

  // Recognizes the words of an image held in memory (arguments as recognize()): every word
  // tesseract finds, in its reading order, with its box (times OcrOptions::scale) and its
  // confidence as 0..1. Words below OcrOptions::min_word_confidence are left out; the block
  // floor does not apply. Same errors as recognize().
  core::Result<std::vector<PositionedWord>> recognize_words(const uint8_t* pixels, int width, int height,
                                                            int bytes_per_pixel, int bytes_per_line,
                                                            const OcrOptions& options = {});

  const std::string& language() const { return language_; }

 private:
  Ocr(std::unique_ptr<tesseract::TessBaseAPI> api, std::string language);
  core::Result<std::vector<Block>> read_blocks(const OcrOptions& options);
  core::Status set_image(const uint8_t* pixels, int width, int height, int bytes_per_pixel, int bytes_per_line,
                         const OcrOptions& options);

  std::unique_ptr<tesseract::TessBaseAPI> api_;
  std::string language_;
};

}  // namespace docent::engines
