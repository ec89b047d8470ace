// bench/media: built-in image analysis (engines/image_analysis.h) in megapixels per second, beside
// the raw decode alone (OpenCV imread, the baseline) on the same files in the same run. Images are
// drawn with cairo (tests/support/image_fixtures.h): words on a coloured card, as JPEG and PNG.
//
// Usage: bench_media [REPEATS]   prints one line per (format, size, stage):
//   format width height stage seconds(median) megapixels_per_second

#include "engines/image_analysis.h"
#include "support/image_fixtures.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace docent;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double time_of(int repeats, F&& f) {
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!f()) return -1;
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return median(t);
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const fs::path dir = fs::temp_directory_path() / ("docent_bench_media_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const struct { int w, h; } sizes[] = {{1280, 800}, {2560, 1600}, {4000, 3000}};
  for (const auto& s : sizes) {
    const auto card = testing::images::draw_card(s.w, s.h, "INVOICE 2041", {230, 230, 240}, {20, 20, 120});
    for (const std::string format : {"jpeg", "png"}) {
      const fs::path file = dir / ("card." + format);
      if (!testing::images::write_image(file, card, format)) return 1;
      const double mp = s.w * static_cast<double>(s.h) / 1e6;
      const double decode = time_of(repeats, [&] { return engines::decode_image_only(file, 100'000'000).ok(); });
      engines::ImageAnalysisOptions no_ocr;
      no_ocr.max_pixels = 100'000'000;
      no_ocr.ocr = false;
      const double measures = time_of(repeats, [&] { return engines::analyse_image(file, no_ocr).ok(); });
      engines::ImageAnalysisOptions full = no_ocr;
      full.ocr = true;
      const double all = time_of(repeats, [&] { return engines::analyse_image(file, full).ok(); });
      for (auto [stage, secs] : {std::pair{"decode", decode}, {"analysis_no_ocr", measures}, {"analysis_full", all}}) {
        std::printf("%s %d %d %s %.4f %.2f\n", format.c_str(), s.w, s.h, stage, secs, secs > 0 ? mp / secs : 0.0);
      }
      std::fflush(stdout);
    }
  }
  fs::remove_all(dir);
  return 0;
}
