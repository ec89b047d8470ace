#pragma once
// Built-in image analysis (docs/MEDIA.md, "Image analysis"): every figure is measured from the
// pixels, none is guessed. The format is told by the file's bytes; the declared dimensions are
// checked before anything is decoded (decompression bombs); decoding and analysis run in a child
// process (`docent __image`, the isolation of engines/isolate.h), so a hostile file costs its job.
//
//   auto header = check_image(path, max_pixels);        // cheap, in the server: format and size
//   auto report = analyse_image_isolated(exe, path, limits);  // decode + analyse in a child
//
// The report (JSON, see analyse_image) holds: format, width, height; text_content (tesseract);
// dominant_colors (k-means over the pixels, named from a fixed palette); measures (sharpness as
// the variance of the Laplacian, mean luminance, clipped fractions, contrast as the luminance
// standard deviation) and the quality suggestions they lead to; faces (OpenCV's frontal-face Haar
// cascade from Debian's opencv-data); an auto-levelled JPEG as a data URL.

#include "core/error.h"
#include "engines/document.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace docent::engines {

// The formats image analysis accepts (the nexus seed's list).
enum class ImageFormat { Png, Jpeg, Gif, Bmp, Webp };

// "png", "jpeg", "gif", "bmp", "webp".
std::string_view image_format_name(ImageFormat format);
// "image/png", ...
std::string_view image_format_mime(ImageFormat format);

// The format the first bytes of a file announce (at least 32 bytes should be given); nullopt for
// anything else. The file's name plays no part.
std::optional<ImageFormat> sniff_image_format(std::string_view head);

// argv[1] of the docent binary that makes main() call image_worker_main.
inline constexpr std::string_view kImageCommand = "__image";

// Where Debian's opencv-data puts the Haar cascades.
inline constexpr const char* kHaarCascadeDir = "/usr/share/opencv4/haarcascades";

struct CheckedImage {
  ImageFormat format = ImageFormat::Png;
  int width = 0;
  int height = 0;
  int64_t pixels = 0;  // width * height (for a GIF: summed over its frames)
};

// Reads the file's format and declared dimensions without decoding any pixels.
// Code::InvalidFormat when the bytes are not one of ImageFormat, or the header is damaged or
// truncated; Code::PayloadTooLarge (details.max_pixels, details.pixels) when the declared size
// exceeds max_pixels.
core::Result<CheckedImage> check_image(const std::filesystem::path& path, int64_t max_pixels);

struct ImageAnalysisOptions {
  int64_t max_pixels = 40'000'000;  // checked again in the child, before decoding
  bool ocr = true;
  std::string ocr_language = "eng";
  std::string tessdata_dir;
  std::string cascade_dir = kHaarCascadeDir;  // empty: no face detection
  int enhanced_max_side = 1600;               // the enhanced JPEG is scaled down to fit this
};

// Decodes and analyses the image in this process (the child's work; tests and benchmarks call
// it directly). Returns the report described at the top of this file:
//   {"format","width","height","text_content","dominant_colors":[names],"colors":[{name,hex,share}],
//    "measures":{"sharpness","mean_luminance","dark_fraction","bright_fraction","contrast"},
//    "suggestions":[...],"faces":[{x,y,width,height}],"objects":["person"]|[],
//    "enhanced_image_base64":"data:image/jpeg;base64,...","decode_seconds","analysis_seconds"}
// Code::InvalidFormat for a file that does not decode (truncated, damaged, not an image),
// Code::PayloadTooLarge for one over max_pixels.
core::Result<boost::json::value> analyse_image(const std::filesystem::path& path, const ImageAnalysisOptions& options);

// Just the decode (no analysis), for benchmarks: returns width * height.
core::Result<int64_t> decode_image_only(const std::filesystem::path& path, int64_t max_pixels);

// analyse_image in a child process made from `docent_exe` (kImageCommand), bounded by
// limits.timeout and limits.max_memory_bytes as extract_isolated is. limits.max_uncompressed_bytes
// carries the pixel budget to the child (4 bytes a pixel). Errors: the child's own, or the
// ProcessingError forms of run_isolated_worker (crash, timeout, out of memory).
core::Result<boost::json::value> analyse_image_isolated(const std::filesystem::path& docent_exe,
                                                        const std::filesystem::path& path, const ParseLimits& limits,
                                                        bool ocr = true);

// The child's main (argv[0] is kImageCommand, then worker_arguments' options).
int image_worker_main(int argc, char** argv);

}  // namespace docent::engines
