#include "engines/image_analysis.h"

#include "core/crypto.h"
#include "engines/image.h"
#include "engines/isolate.h"
#include "engines/ocr.h"

#include <boost/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <leptonica/allheaders.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>

namespace docent::engines {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

Error broken(std::string_view format, std::string why) {
  return Error(Code::InvalidFormat, "the " + std::string(format) + " image cannot be decoded (" + std::move(why) + ")");
}

Error too_many_pixels(int64_t pixels, int64_t max_pixels, int width, int height) {
  Error e(Code::PayloadTooLarge, "the image declares " + std::to_string(width) + " x " + std::to_string(height) +
                                     " pixels, more than the limit of " + std::to_string(max_pixels) +
                                     " (media.image_max_pixels)");
  e.details["pixels"] = pixels;
  e.details["max_pixels"] = max_pixels;
  return e;
}

std::string read_head(const std::filesystem::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return head;
}

std::string read_tail(const std::filesystem::path& path, size_t n) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  const auto size = static_cast<size_t>(std::max<std::streamoff>(0, in.tellg()));
  const size_t take = std::min(n, size);
  in.seekg(static_cast<std::streamoff>(size - take));
  std::string tail(take, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(take));
  return tail;
}

uint32_t le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}

// Truncation that decoders forgive (libjpeg pads a cut JPEG with gray and only warns; BMP and
// GIF decoders stop early) is caught from the file's structure before decoding.
core::Status check_complete(const std::filesystem::path& path, ImageFormat format, const CheckedImage& header) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Error(Code::InvalidFormat, "the image cannot be read");
  switch (format) {
    case ImageFormat::Jpeg: {
      // The end-of-image marker, allowing for trailing bytes some cameras append.
      std::string tail = read_tail(path, 64 * 1024);
      if (tail.find("\xFF\xD9") == std::string::npos) return broken("jpeg", "truncated: no end-of-image marker");
      return {};
    }
    case ImageFormat::Gif: {
      std::string tail = read_tail(path, 1);
      if (tail != ";") return broken("gif", "truncated: no trailer");
      return {};
    }
    case ImageFormat::Bmp: {
      std::string head = read_head(path, 54);
      if (head.size() < 30) return broken("bmp", "truncated header");
      const uint32_t offset = le32(head, 10);
      const uint32_t dib = le32(head, 14);
      if (dib < 40) return {};  // OS/2 headers: left to the decoder
      const uint16_t bpp = static_cast<uint16_t>(static_cast<uint8_t>(head[28]) |
                                                 (static_cast<uint8_t>(head[29]) << 8));
      const uint32_t compression = head.size() >= 34 ? le32(head, 30) : 0;
      if (compression != 0 && compression != 3) return {};  // RLE: the length is not implied
      const uint64_t row = ((static_cast<uint64_t>(header.width) * bpp + 31) / 32) * 4;
      if (size < offset + row * static_cast<uint64_t>(header.height)) return broken("bmp", "truncated pixel data");
      return {};
    }
    case ImageFormat::Png:
    case ImageFormat::Webp: return {};  // libpng and libwebp refuse truncated data themselves
  }
  return {};
}

// --- decoding ---------------------------------------------------------------------------------

// OpenCV 4.6 reads no GIF; leptonica (already here for tesseract, built with giflib) does. The
// first frame, as 8-bit BGR.
core::Result<cv::Mat> decode_gif(const std::filesystem::path& path) {
  PIX* raw = pixRead(path.c_str());
  if (raw == nullptr) return broken("gif", "giflib could not read it");
  PIX* rgb = pixConvertTo32(raw);
  pixDestroy(&raw);
  if (rgb == nullptr) return broken("gif", "no colour conversion");
  const int w = static_cast<int>(pixGetWidth(rgb)), h = static_cast<int>(pixGetHeight(rgb));
  const l_uint32* data = pixGetData(rgb);
  const int wpl = pixGetWpl(rgb);
  cv::Mat out(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y) {
    const l_uint32* line = data + static_cast<ptrdiff_t>(y) * wpl;
    auto* dst = out.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      const l_uint32 px = line[x];  // 0xRRGGBBAA
      dst[3 * x + 0] = static_cast<uint8_t>((px >> 8) & 0xff);
      dst[3 * x + 1] = static_cast<uint8_t>((px >> 16) & 0xff);
      dst[3 * x + 2] = static_cast<uint8_t>((px >> 24) & 0xff);
    }
  }
  pixDestroy(&rgb);
  return out;
}

core::Result<cv::Mat> decode(const std::filesystem::path& path, const CheckedImage& header) {
  if (header.format == ImageFormat::Gif) return decode_gif(path);
  cv::Mat img;
  try {
    img = cv::imread(path.string(), cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return broken(image_format_name(header.format), e.what());
  }
  if (img.empty()) return broken(image_format_name(header.format), "the decoder refused it");
  return img;
}

// --- analysis ---------------------------------------------------------------------------------

// A copy whose longer side is at most `side` (measures, clustering and face detection run on it:
// their cost then does not grow with the camera's resolution).
cv::Mat fit(const cv::Mat& img, int side) {
  const int longer = std::max(img.cols, img.rows);
  if (longer <= side) return img;
  const double f = static_cast<double>(side) / longer;
  cv::Mat out;
  cv::resize(img, out, cv::Size(), f, f, cv::INTER_AREA);
  return out;
}

struct NamedColor {
  const char* name;
  uint8_t r, g, b;
};
// The palette dominant colours are named from (nearest in CIE Lab).
constexpr std::array<NamedColor, 16> kPalette{{
    {"black", 0, 0, 0},
    {"white", 255, 255, 255},
    {"gray", 128, 128, 128},
    {"silver", 192, 192, 192},
    {"red", 220, 30, 30},
    {"maroon", 128, 0, 0},
    {"orange", 255, 140, 0},
    {"yellow", 255, 220, 0},
    {"brown", 139, 90, 43},
    {"olive", 128, 128, 0},
    {"green", 30, 160, 30},
    {"teal", 0, 128, 128},
    {"cyan", 0, 220, 220},
    {"blue", 30, 60, 220},
    {"navy", 0, 0, 128},
    {"purple", 128, 0, 128},
}};

cv::Vec3f to_lab(uint8_t r, uint8_t g, uint8_t b) {
  cv::Mat px(1, 1, CV_32FC3, cv::Scalar(b / 255.0, g / 255.0, r / 255.0));
  cv::Mat lab;
  cv::cvtColor(px, lab, cv::COLOR_BGR2Lab);
  return lab.at<cv::Vec3f>(0, 0);
}

const char* color_name(const cv::Vec3f& bgr) {
  static const std::vector<cv::Vec3f> palette_lab = [] {
    std::vector<cv::Vec3f> v;
    for (const auto& c : kPalette) v.push_back(to_lab(c.r, c.g, c.b));
    return v;
  }();
  auto clamp8 = [](float f) { return static_cast<uint8_t>(std::clamp(f, 0.0f, 255.0f)); };
  const cv::Vec3f lab = to_lab(clamp8(bgr[2]), clamp8(bgr[1]), clamp8(bgr[0]));
  size_t best = 0;
  double best_d = 1e18;
  for (size_t i = 0; i < palette_lab.size(); ++i) {
    const double d = cv::norm(lab - palette_lab[i]);
    if (d < best_d) {
      best_d = d;
      best = i;
    }
  }
  return kPalette[best].name;
}

std::string hex_of(const cv::Vec3f& bgr) {
  char buf[8];
  auto c = [](float f) { return static_cast<unsigned>(std::clamp(std::lround(f), 0L, 255L)); };
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c(bgr[2]), c(bgr[1]), c(bgr[0]));
  return buf;
}

// K-means (k = 5) over up to 20,000 pixels sampled on a grid; clusters named alike are merged.
// Names are listed by their share of the pixels, those under 3 % left out.
void dominant_colors(const cv::Mat& small, json::object& report) {
  const int total = small.rows * small.cols;
  const int step = std::max(1, total / 20000);
  cv::Mat samples(0, 3, CV_32F);
  samples.reserve(static_cast<size_t>(total / step + 1));
  for (int i = 0; i < total; i += step) {
    const cv::Vec3b px = small.at<cv::Vec3b>(i / small.cols, i % small.cols);
    cv::Mat row = (cv::Mat_<float>(1, 3) << px[0], px[1], px[2]);
    samples.push_back(row);
  }
  const int k = std::min(5, samples.rows);
  json::array names, colors;
  if (k >= 1) {
    cv::setRNGSeed(1234);  // the same image gives the same answer
    cv::Mat labels, centers;
    cv::kmeans(samples, k, labels, cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 20, 1.0), 3,
               cv::KMEANS_PP_CENTERS, centers);
    std::vector<int> counts(static_cast<size_t>(k), 0);
    for (int i = 0; i < labels.rows; ++i) ++counts[static_cast<size_t>(labels.at<int>(i))];
    struct Named {
      double share = 0;
      cv::Vec3f bgr;
    };
    std::map<std::string, Named> by_name;
    for (int c = 0; c < k; ++c) {
      const cv::Vec3f bgr(centers.at<float>(c, 0), centers.at<float>(c, 1), centers.at<float>(c, 2));
      const double share = static_cast<double>(counts[static_cast<size_t>(c)]) / labels.rows;
      Named& n = by_name[color_name(bgr)];
      if (share > n.share) n.bgr = bgr;  // the largest cluster of the name stands for it
      n.share += share;
    }
    std::vector<std::pair<std::string, Named>> sorted(by_name.begin(), by_name.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.second.share > b.second.share; });
    for (const auto& [name, n] : sorted) {
      if (n.share < 0.03) continue;
      names.emplace_back(name);
      colors.push_back(
          json::object{{"name", name}, {"hex", hex_of(n.bgr)}, {"share", std::round(n.share * 1000) / 1000}});
    }
  }
  report["dominant_colors"] = std::move(names);
  report["colors"] = std::move(colors);
}

// Thresholds of the quality suggestions (docs/MEDIA.md lists them).
constexpr double kBlurryBelow = 100.0;      // variance of the Laplacian, on the <= 1024 px copy
constexpr double kDarkBelow = 60.0;         // mean luminance, 0..255
constexpr double kBrightAbove = 200.0;      // mean luminance
constexpr double kClippedAbove = 0.25;      // fraction of pixels at <= 5 or >= 250 luminance
constexpr double kLowContrastBelow = 30.0;  // luminance standard deviation

void measures(const cv::Mat& gray_small, json::object& report) {
  cv::Mat lap;
  cv::Laplacian(gray_small, lap, CV_64F);
  cv::Scalar lap_mean, lap_std;
  cv::meanStdDev(lap, lap_mean, lap_std);
  const double sharpness = lap_std[0] * lap_std[0];
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray_small, mean, stddev);
  const double total = static_cast<double>(gray_small.total());
  const double dark = cv::countNonZero(gray_small <= 5) / total;
  const double bright = cv::countNonZero(gray_small >= 250) / total;
  auto r2 = [](double v) { return std::round(v * 100) / 100; };
  report["measures"] = json::object{{"sharpness", r2(sharpness)},
                                    {"mean_luminance", r2(mean[0])},
                                    {"dark_fraction", r2(dark)},
                                    {"bright_fraction", r2(bright)},
                                    {"contrast", r2(stddev[0])}};
  json::array s;
  bool good = true;
  if (sharpness < kBlurryBelow) {
    s.emplace_back("Image looks blurry: hold the camera steady or refocus");
    good = false;
  }
  bool lighting_ok = true;
  if (mean[0] < kDarkBelow || dark > kClippedAbove) {
    s.emplace_back("Image is underexposed: add light or raise the exposure");
    lighting_ok = false;
  } else if (mean[0] > kBrightAbove && bright > kClippedAbove) {
    s.emplace_back("Image is overexposed: highlights are clipped, lower the exposure");
    lighting_ok = false;
  }
  if (stddev[0] < kLowContrastBelow) {
    s.emplace_back("Low contrast: the subject blends into the background");
    good = false;
  }
  if (good && lighting_ok) s.emplace_back("High quality image");
  if (lighting_ok) s.emplace_back("Good lighting");
  report["suggestions"] = std::move(s);
}

void faces(const cv::Mat& gray_small, double scale_back, const std::string& cascade_dir, json::object& report) {
  json::array boxes;
  json::array objects;
  if (!cascade_dir.empty()) {
    cv::CascadeClassifier cascade;
    const std::string file = cascade_dir + "/haarcascade_frontalface_default.xml";
    if (cascade.load(file)) {
      cv::Mat eq;
      cv::equalizeHist(gray_small, eq);
      std::vector<cv::Rect> found;
      cascade.detectMultiScale(eq, found, 1.1, 5, 0, cv::Size(24, 24));
      for (const auto& r : found) {
        boxes.push_back(json::object{{"x", std::lround(r.x * scale_back)},
                                     {"y", std::lround(r.y * scale_back)},
                                     {"width", std::lround(r.width * scale_back)},
                                     {"height", std::lround(r.height * scale_back)}});
      }
      if (!found.empty()) objects.emplace_back("person");
    } else {
      report["faces_unavailable"] = "no face cascade at " + file + " (install opencv-data)";
    }
  }
  report["faces"] = std::move(boxes);
  report["objects"] = std::move(objects);
}

// Auto levels: each channel stretched so its 0.5th and 99.5th percentiles become 0 and 255.
std::string enhanced_jpeg(const cv::Mat& img, int max_side) {
  cv::Mat small = fit(img, max_side);
  std::vector<cv::Mat> channels;
  cv::split(small, channels);
  for (auto& ch : channels) {
    int hist[256] = {};
    for (int y = 0; y < ch.rows; ++y) {
      const uint8_t* p = ch.ptr<uint8_t>(y);
      for (int x = 0; x < ch.cols; ++x) ++hist[p[x]];
    }
    const double n = static_cast<double>(ch.total());
    int lo = 0, hi = 255;
    double acc = 0;
    for (int v = 0; v < 256; ++v) {
      acc += hist[v];
      if (acc >= n * 0.005) {
        lo = v;
        break;
      }
    }
    acc = 0;
    for (int v = 255; v >= 0; --v) {
      acc += hist[v];
      if (acc >= n * 0.005) {
        hi = v;
        break;
      }
    }
    if (hi > lo) ch.convertTo(ch, CV_8U, 255.0 / (hi - lo), -lo * 255.0 / (hi - lo));
  }
  cv::Mat out;
  cv::merge(channels, out);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", out, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
  return "data:image/jpeg;base64," +
         core::crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
}

core::Result<std::string> read_text(const cv::Mat& img, const ImageAnalysisOptions& options) {
  auto ocr = Ocr::create(options.ocr_language, options.tessdata_dir);
  if (!ocr) return ocr.error();
  cv::Mat gray;
  cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
  auto blocks = (*ocr)->recognize(gray.data, gray.cols, gray.rows, 1, static_cast<int>(gray.step));
  if (!blocks) return blocks.error();
  std::string text;
  for (const auto& b : *blocks) {
    if (!text.empty()) text += "\n";
    text += b.text;
  }
  return text;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Png: return "png";
    case ImageFormat::Jpeg: return "jpeg";
    case ImageFormat::Gif: return "gif";
    case ImageFormat::Bmp: return "bmp";
    case ImageFormat::Webp: return "webp";
  }
  return "unknown";
}

std::string_view image_format_mime(ImageFormat format) {
  switch (format) {
    case ImageFormat::Png: return "image/png";
    case ImageFormat::Jpeg: return "image/jpeg";
    case ImageFormat::Gif: return "image/gif";
    case ImageFormat::Bmp: return "image/bmp";
    case ImageFormat::Webp: return "image/webp";
  }
  return "application/octet-stream";
}

std::optional<ImageFormat> sniff_image_format(std::string_view h) {
  if (h.size() >= 8 && h.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return ImageFormat::Png;
  if (h.size() >= 3 && h.substr(0, 3) == "\xFF\xD8\xFF") return ImageFormat::Jpeg;
  if (h.size() >= 6 && (h.substr(0, 6) == "GIF87a" || h.substr(0, 6) == "GIF89a")) return ImageFormat::Gif;
  if (h.size() >= 12 && h.substr(0, 4) == "RIFF" && h.substr(8, 4) == "WEBP") return ImageFormat::Webp;
  if (h.size() >= 18 && h.substr(0, 2) == "BM") {
    const uint32_t dib = le32(h, 14);
    if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124)
      return ImageFormat::Bmp;
  }
  return std::nullopt;
}

core::Result<CheckedImage> check_image(const std::filesystem::path& path, int64_t max_pixels) {
  auto format = sniff_image_format(read_head(path, 32));
  if (!format) {
    return Error(Code::InvalidFormat, "not a supported image: send PNG, JPG/JPEG, GIF, BMP or WEBP");
  }
  auto header = read_image_header(path);
  if (!header) {
    return broken(image_format_name(*format), header.error().message);
  }
  CheckedImage c{.format = *format, .width = header->width, .height = header->height, .pixels = header->pixels};
  if (max_pixels > 0 && c.pixels > max_pixels) return too_many_pixels(c.pixels, max_pixels, c.width, c.height);
  if (auto st = check_complete(path, *format, c); !st) return st.error();
  return c;
}

core::Result<int64_t> decode_image_only(const std::filesystem::path& path, int64_t max_pixels) {
  auto header = check_image(path, max_pixels);
  if (!header) return header.error();
  auto img = decode(path, *header);
  if (!img) return img.error();
  return static_cast<int64_t>(img->cols) * img->rows;
}

core::Result<json::value> analyse_image(const std::filesystem::path& path, const ImageAnalysisOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  auto header = check_image(path, options.max_pixels);
  if (!header) return header.error();
  auto decoded = decode(path, *header);
  if (!decoded) return decoded.error();
  const cv::Mat& img = *decoded;
  const double decode_seconds = seconds_since(started);

  const auto analysis_started = std::chrono::steady_clock::now();
  json::object report{{"format", image_format_name(header->format)},
                      {"mime", image_format_mime(header->format)},
                      {"width", img.cols},
                      {"height", img.rows}};
  const cv::Mat small = fit(img, 1024);
  cv::Mat gray_small;
  cv::cvtColor(small, gray_small, cv::COLOR_BGR2GRAY);
  dominant_colors(small, report);
  measures(gray_small, report);
  faces(gray_small, static_cast<double>(img.cols) / small.cols, options.cascade_dir, report);
  if (options.ocr) {
    auto text = read_text(img, options);
    if (!text) return text.error();
    report["text_content"] = std::move(*text);
  } else {
    report["text_content"] = "";
  }
  report["enhanced_image_base64"] = enhanced_jpeg(img, options.enhanced_max_side);
  report["decode_seconds"] = decode_seconds;
  report["analysis_seconds"] = seconds_since(analysis_started);
  return json::value(std::move(report));
}

core::Result<json::value> analyse_image_isolated(const std::filesystem::path& docent_exe,
                                                 const std::filesystem::path& path, const ParseLimits& limits,
                                                 bool ocr) {
  IsolateOptions options;
  options.ocr = ocr;
  // The enhanced JPEG (at most 1600 px a side) and the OCR text bound the output.
  const uint64_t max_output = limits.max_text_bytes + (32ull << 20);
  return run_isolated_worker(docent_exe, kImageCommand,
                             worker_arguments(path, path.filename().string(), limits, options), limits,
                             path.filename().string(), max_output);
}

int image_worker_main(int argc, char** argv) {
  return run_worker_main(argc, argv, "usage: docent __image --file PATH [--max-uncompressed-bytes N] ...",
                         [](const WorkerArgs& args) -> core::Result<json::value> {
                           ImageAnalysisOptions options;
                           options.max_pixels = static_cast<int64_t>(args.limits.max_uncompressed_bytes / 4);
                           options.ocr = args.ocr;
                           options.ocr_language = args.ocr_language;
                           options.tessdata_dir = args.tessdata_dir;
                           return analyse_image(args.file, options);
                         });
}

}  // namespace docent::engines
