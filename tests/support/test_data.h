#pragma once
// The third-party files the tests read, carried in the repository under tests/data (each folder with
// its PROVENANCE.md and licence), so that a bare clone finds them. Needs DOCENT_SOURCE_DIR, which
// tests/CMakeLists.txt defines for every test binary that reads data.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace docent::testing {

// tests/data/<relative>, e.g. test_data("pdf-sample-files/001-trivial/minimal-document.pdf").
inline std::filesystem::path test_data(const std::string& relative = "") {
  const auto dir = std::filesystem::path(DOCENT_SOURCE_DIR) / "tests" / "data";
  return relative.empty() ? dir : dir / relative;
}

// The bytes of tests/data/<relative>; empty when it cannot be read (callers assert they are not).
inline std::string read_test_data(const std::string& relative) {
  std::ifstream in(test_data(relative), std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace docent::testing
