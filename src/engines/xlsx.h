#pragma once
// Extractions as an Excel workbook (libxlsxwriter), typed so that a spreadsheet can add them up:
// numbers as numbers, dates as Excel dates, amounts in their currency's format, rates in percent.
//
//   engines::write_workbook(out, {{"invoice-7.pdf", &x}});
//
// One document makes the sheets
//   Summary     Field, Value, Confidence, Page, Printed as, Origin — one row per field found
//   Line Items  Line, then the kLineColumns the document has; frozen header row, autofilter and
//               a Total row of SUM formulas (with their values cached, so readers that do not
//               calculate see the sums too)
//   Taxes       Row, then the kTaxColumns the document has, with a Total row the same way
//   Checks      Check, Passed, Field, Detail, then the extraction's warnings as notes
// Several documents make one workbook of
//   Documents   one row per document: file, kind, pages, its key fields, lines, failed checks
//   Fields      Summary's rows for every document, a Document column first
//   Line Items, Taxes, Checks   as above for every document, a Document column first
// where "Document" is the document's number as printed, or its file name when it has none.
//
// Text from documents is always written as a string cell, never as a formula, so a document
// carrying "=HYPERLINK(...)" or "=cmd|..." cannot make the workbook run anything.

#include "core/error.h"
#include "engines/extraction.h"

#include <filesystem>
#include <string>
#include <vector>

namespace docent::engines {

struct WorkbookDocument {
  std::string name;                        // the source file's name, e.g. "invoice-7.pdf"
  const Extraction* extraction = nullptr;  // not null; must outlive the write_workbook call
};

// Writes the workbook for `docs` (at least one) to `out`: to a temporary file in out's folder,
// renamed into place when complete, so `out` is never a partial workbook. Code::InvalidInput for
// an empty list, Code::Internal when libxlsxwriter or the file system fails.
core::Status write_workbook(const std::filesystem::path& out, const std::vector<WorkbookDocument>& docs);

// The MIME type of what write_workbook writes.
inline constexpr std::string_view kXlsxMime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

}  // namespace docent::engines
