#pragma once
// HTML into a Document, with gumbo (a full HTML5 parser, so any tag soup parses).
//
// One page. The title is the <title> element (else the first heading). h1..h6 become headings
// with their level; the text of p, li, pre, blockquote, div and similar block elements becomes
// paragraphs, whitespace collapsed (kept as written inside pre); each table row becomes one
// paragraph, its cells joined by " | "; <br> is a line break. script, style, noscript, template,
// iframe and the head (apart from its title) are skipped. Entities are decoded; bytes that are
// not UTF-8 become U+FFFD.

#include "core/error.h"
#include "engines/document.h"

#include <filesystem>
#include <string_view>

namespace docent::engines {

// Parses `html`. Errors: Code::InvalidFormat when the text exceeds limits.max_text_bytes.
core::Result<Document> extract_html(std::string_view html, const ParseLimits& limits);

// Reads `file` and parses it as extract_html does (a separate name, so a string literal is never
// ambiguous between the two). Errors as extract_html, plus Code::Internal when the file cannot be
// read and Code::InvalidFormat when it is larger than limits.max_uncompressed_bytes.
core::Result<Document> extract_html_file(const std::filesystem::path& file, const ParseLimits& limits);

}  // namespace docent::engines
