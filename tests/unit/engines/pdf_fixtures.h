#pragma once
// Test fixtures for the PDF, OCR and image engines, drawn with cairo so that every test knows
// exactly what text is where: text PDFs with headings, scanned (image-only) PDFs, PNGs.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace docent::engines::fixtures {

// Layout of write_text_pdf(), in points: A4 pages, the heading's baseline at kTopMargin, body
// lines kBodyPitch apart, paragraphs separated by one empty line.
inline constexpr double kPageWidth = 595, kPageHeight = 842;
inline constexpr double kLeftMargin = 72, kTopMargin = 96;
inline constexpr double kHeadingSize = 24, kSubheadingSize = 16, kBodySize = 11, kBodyPitch = 14;

struct FixturePage {
  std::string heading;  // set in kHeadingSize bold; none when empty
  // Set in kBodySize, wrapped at the right margin; one starting with "## " is a subheading set
  // in kSubheadingSize bold (without the marker).
  std::vector<std::string> paragraphs;
};

// Writes one PDF page per FixturePage with a real text layer (DejaVu Sans via cairo). `title`,
// when given, goes into the document's Title metadata. Returns false if cairo failed.
bool write_text_pdf(const std::filesystem::path& path, const std::vector<FixturePage>& pages,
                    const std::string& title = "");

// Writes a one-page PDF whose only content is a 300 dpi grayscale image of `text` (lines split
// at '\n') in 28 pt type on white: a scan, with no text layer.
bool write_scanned_pdf(const std::filesystem::path& path, const std::string& text);

// Writes a PNG of `text` (lines split at '\n') in large black type on white.
bool write_png(const std::filesystem::path& path, const std::string& text);

// `text` (lines split at '\n') drawn like write_scanned_pdf()'s scan: 28 pt type at 300 dpi,
// as 8-bit gray pixels, `width` * `height`, rows packed.
struct GrayImage {
  std::vector<uint8_t> pixels;
  int width = 0;
  int height = 0;
};
GrayImage render_text_gray(const std::string& text);

// Writes a PNG whose header claims width x height pixels but holds no image data: a file that
// must be refused from its header alone.
bool write_png_header_only(const std::filesystem::path& path, uint32_t width, uint32_t height);

// Writes bytes to a file (for truncated and random-garbage inputs).
bool write_bytes(const std::filesystem::path& path, const std::string& bytes);
std::string read_bytes(const std::filesystem::path& path);

// A fresh, empty directory under the system temp dir; remove it with std::filesystem::remove_all.
std::filesystem::path make_temp_dir(const std::string& prefix);

// The repository's tests/data: third-party sample files, each folder with its PROVENANCE.md and
// licence (tests/data/README.md). Always there, also in a bare clone.
std::filesystem::path test_data();

}  // namespace docent::engines::fixtures
