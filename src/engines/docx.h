#pragma once
// DOCX (Office Open XML word processing) into a Document, with libzip and pugixml.
//
// Reads word/document.xml (and word/styles.xml, docProps/core.xml when present):
//  * each paragraph (w:p) is a block of its runs' text; w:tab is \t, w:br and w:cr are \n;
//    deleted text and field codes are left out;
//  * a paragraph is a heading when its style is a heading: style ids Heading1..Heading9 and
//    Title, or (through word/styles.xml, for localized ids) a style named "heading N" or
//    "Title", a style with an outline level, or one based on such a style;
//  * each table row (w:tr) is one block, its cells' text joined by " | ";
//  * hard page breaks (w:br w:type="page", w:pageBreakBefore) and the breaks Word recorded when it
//    last laid the document out (w:lastRenderedPageBreak) start a new page;
//  * the title is docProps/core.xml's dc:title, else the first heading.
//
// The archive is untrusted: before a member is inflated its declared size and compression ratio
// are checked, and the bytes actually inflated are counted against one cap for the whole file
// (limits.max_uncompressed_bytes), so a zip bomb fails fast whatever its headers claim.

#include "core/error.h"
#include "engines/document.h"

#include <filesystem>

namespace docent::engines {

// A member larger than this that inflates more than kMaxCompressionRatio times is refused: real
// XML compresses 5-20 times, a zip bomb hundreds or a thousand times.
inline constexpr uint64_t kCompressionRatioFloorBytes = 1ull << 20;
inline constexpr uint64_t kMaxCompressionRatio = 100;

// Errors, all Code::InvalidFormat unless said otherwise:
//  "not a DOCX file" (not a zip, or no word/document.xml);
//  "the DOCX expands beyond N bytes" (N = limits.max_uncompressed_bytes);
//  "the DOCX looks like a zip bomb ..." (compression ratio);
//  malformed XML, nesting deeper than 256 elements, more pages than limits.max_pages or more text
//  than limits.max_text_bytes; Code::Internal when the file cannot be opened.
core::Result<Document> extract_docx(const std::filesystem::path& file, const ParseLimits& limits);

}  // namespace docent::engines
