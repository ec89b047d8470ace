#pragma once
// Image files (PNG, JPEG, TIFF, GIF, WEBP, BMP, ...) as documents: one page of OCR'd text.

#include "core/error.h"
#include "engines/document.h"
#include "engines/ocr.h"

#include <filesystem>
#include <string>

namespace docent::engines {

// What an image file says about itself, read without decoding its pixels.
struct ImageHeader {
  std::string mime;  // e.g. "image/png"
  int width = 0;
  int height = 0;
  int64_t pixels = 0;  // width * height; for an animated GIF, the sum over its frames
};

// Reads the header of an image file. Code::InvalidFormat when it is not an image format
// leptonica can decode or the header is damaged; Code::NotFound when the file does not exist.
// Never decodes pixel data (leptonica's own pixReadHeader does for GIF and BMP; this does not).
core::Result<ImageHeader> read_image_header(const std::filesystem::path& path);

// OCRs an image file into a Document of exactly one page with ocr = true (blocks may be empty
// when the image holds no text). Boxes are in image pixels, taken as points (one pixel, one
// point). Code::InvalidFormat for files leptonica cannot decode and for images over
// kMaxImagePixels (checked from the header, before decoding); Code::InvalidFormat when the text
// exceeds limits.max_text_bytes.
core::Result<Document> extract_image(const std::filesystem::path& path, Ocr& ocr, const ParseLimits& limits);

}  // namespace docent::engines
