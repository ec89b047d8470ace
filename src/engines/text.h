#pragma once
// Plain text, Markdown and CSV into a Document.
//
// Text has no pages, so the result is one page, unless the text holds form feeds (\f), which
// start new pages (plain and Markdown only; in a CSV a form feed is just data). Bytes that are
// not UTF-8 are repaired (each bad sequence becomes U+FFFD); a UTF-8 or UTF-16 byte order mark is
// honoured; a file with NUL bytes near its start is binary, not text, and is refused.

#include "core/error.h"
#include "engines/document.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace docent::engines {

enum class TextKind {
  Plain,     // paragraphs split on blank lines
  Markdown,  // ATX (#) and setext headings, paragraphs, fenced code kept as one block
  Csv,       // RFC 4180; the first record names the columns; one block per row
};

// The most data rows a CSV may have; more is Code::InvalidFormat.
inline constexpr int kMaxCsvRows = 200'000;

// Parses `text` as `kind`. Errors: Code::InvalidFormat when the text is binary (NULs), has more
// pages than limits.max_pages, more text than limits.max_text_bytes, or (CSV) more than
// kMaxCsvRows rows.
core::Result<Document> extract_text(std::string_view text, TextKind kind, const ParseLimits& limits);

// Reads `file` and parses it as extract_text does. Errors as extract_text, plus Code::Internal
// when the file cannot be read and Code::InvalidFormat when it is larger than
// limits.max_text_bytes.
core::Result<Document> extract_text_file(const std::filesystem::path& file, TextKind kind, const ParseLimits& limits);

// `bytes` with every ill-formed UTF-8 sequence (overlong, surrogate, beyond U+10FFFF, truncated,
// stray continuation byte) replaced by U+FFFD, one per maximal ill-formed subpart as Unicode
// recommends. Valid input comes back unchanged.
std::string repair_utf8(std::string_view bytes);

// Whether `bytes` is valid UTF-8.
bool is_valid_utf8(std::string_view bytes);

// Whether `bytes` looks binary rather than text: a NUL byte within its first 8 KiB (the test
// git and diff use). UTF-16 with a byte order mark is text.
bool looks_binary(std::string_view bytes);

}  // namespace docent::engines
