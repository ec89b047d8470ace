#pragma once
// Poppler plumbing shared by the PDF readers (pdf.cpp's blocks, layout.cpp's words): opening a
// file with the errors users see, UTF-16 to UTF-8, and rendering a page for OCR. Internal to
// src/engines; poppler's headers stay out of every public header.

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/error.h"
#include "engines/document.h"

namespace docent::engines::poppler_doc {

// poppler's UTF-16 text as UTF-8 (unpaired surrogates become U+FFFD, NULs are dropped).
std::string utf8(const poppler::ustring& s);

// Opens a PDF. Code::NotFound for a missing file; Code::InvalidFormat "not a readable PDF (...)",
// "the PDF is password-protected", and over limits.max_pages.
core::Result<std::unique_ptr<poppler::document>> open(const std::filesystem::path& path, const ParseLimits& limits);

// A page rendered to 8-bit gray for OCR; dpi may be lower than asked when the page is huge.
struct Rendered {
  poppler::image image;
  int dpi = 0;
};
// Code::ServiceUnavailable when this poppler cannot render; Code::ProcessingError on failure.
core::Result<Rendered> render_gray(const poppler::page& page, int dpi);

}  // namespace docent::engines::poppler_doc
