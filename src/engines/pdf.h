#pragma once
// PDF text extraction with poppler: text in reading order, grouped into headings and paragraphs
// with their boxes; pages without a text layer (scans) are rendered and OCR'd.

#include "core/error.h"
#include "engines/document.h"
#include "engines/ocr.h"

#include <filesystem>

namespace docent::engines {

// Extracts a PDF into pages of blocks, numbered from 1, boxes in points from the page's
// top-left corner (as displayed, i.e. after the page's /Rotate).
//
// Per page, the words poppler finds are grouped into lines (a shared baseline) and lines into
// blocks (split at a vertical gap clearly wider than the page's usual line pitch, a change of
// font size, or a jump back up the page such as a new column). A short block set clearly larger
// than the document's body text is a heading; levels rank the heading sizes, largest = 1.
// A page with no text layer is rendered at limits.ocr_dpi and OCR'd when `ocr` is not null
// (page.ocr = true), and left without blocks otherwise. The title is the document's Title
// metadata, else the first heading's text.
//
// Fails with Code::InvalidFormat: "the PDF is password-protected" for an encrypted file that
// needs a password to open; "not a readable PDF (...)" for a damaged or non-PDF file; and when
// the file has more than limits.max_pages pages or more than limits.max_text_bytes of text.
// Code::NotFound when the file does not exist. Code::ProcessingError when OCR of a page fails
// (Code::ServiceUnavailable if this poppler build cannot render pages at all).
//
// Thread-safety: safe to call concurrently with different `ocr` engines (or none).
core::Result<Document> extract_pdf(const std::filesystem::path& path, const ParseLimits& limits, Ocr* ocr);

}  // namespace docent::engines
