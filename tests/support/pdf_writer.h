#pragma once
// Small PDFs with known text on known pages, written without any library, for integration tests.

#include <string>
#include <vector>

namespace docent::testing {

// A minimal PDF with one text line per entry on each page (Helvetica, uncompressed streams).
// Lines must not contain parentheses or backslashes.
std::string make_pdf(const std::vector<std::vector<std::string>>& pages);

}  // namespace docent::testing
