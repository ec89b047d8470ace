#pragma once
// What every document parser produces: pages of text in reading order, split into blocks
// (headings and paragraphs) with their position, so that chunks can keep page and section.

#include "core/error.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace docent::engines {

// A box on a page in points from the top-left corner (PDF user space flipped), when known.
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// A word with its box, as read from a PDF text layer or by OCR (layout.h).
struct PositionedWord {
  std::string text;
  Box box;                  // points, top-left origin, after the page's /Rotate
  double confidence = 1.0;  // 0..1; 1 for a text layer, tesseract's word confidence for OCR
};

struct Block {
  std::string text;
  bool heading = false;
  int level = 0;           // heading level (1 = top); 0 for paragraphs
  std::optional<Box> box;  // where on the page, when the format has positions
};

struct Page {
  int number = 1;  // 1-based
  std::vector<Block> blocks;
  bool ocr = false;  // text came from OCR (scanned page or image)
  // The page's text: blocks joined by blank lines.
  std::string text() const;
};

struct Document {
  std::string mime;   // the sniffed type that chose the parser
  std::string title;  // from metadata or the first heading; may be empty
  std::vector<Page> pages;
  size_t text_bytes() const;
};

// Bounds for parsing one untrusted file. A parser that would pass one fails with
// Code::InvalidFormat or Code::ProcessingError and a message saying which bound.
struct ParseLimits {
  int max_pages = 5000;
  uint64_t max_text_bytes = 64ull << 20;           // extracted text
  uint64_t max_uncompressed_bytes = 256ull << 20;  // DOCX/zip members, decompressed
  int ocr_dpi = 300;
  std::chrono::seconds timeout{120};       // the isolated parser's wall clock
  uint64_t max_memory_bytes = 2ull << 30;  // the isolated parser's address space
};

}  // namespace docent::engines
