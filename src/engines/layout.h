#pragma once
// Positioned words of a PDF, for reading forms and tables: every word with its box, from
// poppler's text layer or, on a scanned page, from tesseract's word boxes.
//
//   auto pages = engines::words_isolated(self_executable(), pdf, limits, {});
//
// Untrusted files are read in a child process (`docent __words`, the same bounds and exit
// statuses as isolate.h's extract_isolated); pdf_words is the in-process reader it runs.

#include "core/error.h"
#include "engines/document.h"
#include "engines/isolate.h"
#include "engines/ocr.h"

#include <boost/json/value.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

// PositionedWord (a word and its box) is in document.h, shared with ocr.h.

struct PageWords {
  int number = 1;                     // 1-based
  double width = 0, height = 0;       // the page's size in points
  bool ocr = false;                   // words came from OCR
  std::vector<PositionedWord> words;  // in poppler's (or tesseract's) reading order
};

// argv[1] of the docent binary that makes main() call words_worker_main.
inline constexpr std::string_view kWordsCommand = "__words";

// Reads the words of every page of a PDF. A page without a text layer is rendered at
// limits.ocr_dpi and OCR'd word by word when `ocr` is not null (PageWords::ocr = true); specks of
// noise (punctuation alone, or a short doubtful word standing apart) are left out.
// Errors as extract_pdf (pdf.h): Code::InvalidFormat "the PDF is password-protected", "not a
// readable PDF (...)", page/text bounds; Code::NotFound for a missing file.
core::Result<std::vector<PageWords>> pdf_words(const std::filesystem::path& path, const ParseLimits& limits, Ocr* ocr);

// pdf_words in a child process bounded by limits (see isolate.h for the error mapping).
core::Result<std::vector<PageWords>> words_isolated(const std::filesystem::path& docent_exe,
                                                    const std::filesystem::path& file, const ParseLimits& limits,
                                                    const IsolateOptions& options);

// main() of `docent __words --file F [--ocr 0|1] [--ocr-lang L] [--tessdata D] ...` (isolate.h's
// worker_arguments); prints to_json of the pages.
int words_worker_main(int argc, char** argv);

// JSON form: [{"number": 1, "width": 595, "height": 842, "ocr": false,
//              "words": [["text", x0, y0, x1, y1, confidence], ...]}]
boost::json::value to_json(const std::vector<PageWords>& pages);
core::Result<std::vector<PageWords>> page_words_from_json(const boost::json::value& json);

}  // namespace docent::engines
