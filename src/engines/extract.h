#pragma once
// One entry point for every document format: sniff the bytes, pick the parser, parse.
// And the Document's JSON form, which is how an isolated parser (isolate.h) hands its result
// back to the server.
//
// extract_file runs the parser in the calling process: for untrusted uploads the server calls
// extract_isolated (isolate.h), which runs this in a child process with time and memory bounds.

#include "core/error.h"
#include "engines/document.h"
#include "engines/ocr.h"

#include <boost/json/value.hpp>

#include <filesystem>
#include <string_view>

namespace docent::engines {

// Extracts `file`, whatever its format, choosing the parser from its sniffed MIME type
// (sniff.h); `filename` is the client's name for it, which only tells Markdown and CSV from
// plain text. `ocr` reads scanned PDF pages and images; may be null (scans then yield no text,
// and images fail). The Document's mime is the sniffed type; its title falls back to the first
// heading.
//
// Errors: Code::InvalidFormat "the file is empty" for 0 bytes, "unsupported file type <mime>"
// for anything not PDF, DOCX, HTML, text, Markdown, CSV or an image, and whatever the chosen
// parser reports; Code::ServiceUnavailable for an image when `ocr` is null; Code::NotFound
// when `file` does not exist.
core::Result<Document> extract_file(const std::filesystem::path& file, std::string_view filename,
                                    const ParseLimits& limits, Ocr* ocr);

// The Document as JSON:
//   {"mime": "...", "title": "...",
//    "pages": [{"number": 1, "ocr": false,
//               "blocks": [{"text": "...", "heading": true, "level": 1, "box": [x0, y0, x1, y1]}]}]}
// "heading" and "level" appear only for headings, "box" only when known. Text that is not valid
// UTF-8 is repaired (U+FFFD), so the output always parses.
boost::json::value to_json(const Document& doc);

// The inverse of to_json. Errors: Code::InvalidInput naming the first member that is missing or
// of the wrong type.
core::Result<Document> document_from_json(const boost::json::value& json);

}  // namespace docent::engines
