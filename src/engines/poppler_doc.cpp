#include "engines/poppler_doc.h"

#include <poppler-page-renderer.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string_view>
#include <system_error>

#include "engines/ocr.h"

namespace docent::engines::poppler_doc {

namespace {

// Poppler reports problems through one process-wide callback (stderr by default). The last
// message on this thread explains a failed load; the rest is noise about untrusted input.
thread_local std::string t_poppler_error;

void capture_poppler_error(const std::string& message, void*) {
  constexpr size_t kMaxMessage = 200;
  constexpr std::string_view kPrefix = "error: ";  // poppler-cpp's category label
  std::string_view m = message;
  if (m.starts_with(kPrefix)) m.remove_prefix(kPrefix.size());
  t_poppler_error = std::string(m.substr(0, kMaxMessage));
}

void install_poppler_error_handler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(capture_poppler_error, nullptr); });
}

}  // namespace

// poppler's ustring holds UTF-16. Its own to_utf8() opens an iconv converter on every call, which
// for one call a word cost an eighth of a small PDF's extraction; the conversion itself is a few
// lines. Unpaired surrogates become U+FFFD and NULs are dropped.
std::string utf8(const poppler::ustring& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char32_t cp = s[i];
    if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    if (cp == 0) continue;
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

core::Result<std::unique_ptr<poppler::document>> open(const std::filesystem::path& path, const ParseLimits& limits) {
  auto invalid = [](std::string message) { return core::Error(core::Code::InvalidFormat, std::move(message)); };
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return core::Error(core::Code::NotFound, "no such file: " + path.string());
  install_poppler_error_handler();
  t_poppler_error.clear();

  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(path.string()));
  if (!doc) {
    std::string why = t_poppler_error.empty() ? std::string("poppler could not open it") : t_poppler_error;
    return invalid("not a readable PDF (" + why + ")");
  }
  if (doc->is_locked()) return invalid("the PDF is password-protected");
  const int page_count = doc->pages();
  if (page_count <= 0) return invalid("not a readable PDF (it has no pages)");
  if (page_count > limits.max_pages) {
    core::Error e = invalid("the PDF has " + std::to_string(page_count) + " pages; the limit is " +
                            std::to_string(limits.max_pages));
    e.details["max_pages"] = limits.max_pages;
    return e;
  }
  return doc;
}

core::Result<Rendered> render_gray(const poppler::page& page, int dpi) {
  if (!poppler::page_renderer::can_render())
    return core::Error(core::Code::ServiceUnavailable, "this poppler cannot render pages for OCR");
  if (dpi <= 0) dpi = 300;
  // A page with an absurd crop box would render to gigapixels: lower the resolution to fit (with
  // a margin for rounding up to whole pixels).
  const poppler::rectf r = page.page_rect(poppler::crop_box);
  const double pixels = (std::abs(r.width()) * dpi / 72.0) * (std::abs(r.height()) * dpi / 72.0);
  const double max_pixels = 0.95 * static_cast<double>(kMaxImagePixels);
  if (pixels > max_pixels) dpi = std::max(1, static_cast<int>(dpi * std::sqrt(max_pixels / pixels)));

  poppler::page_renderer renderer;
  renderer.set_render_hints(poppler::page_renderer::antialiasing | poppler::page_renderer::text_antialiasing);
  renderer.set_image_format(poppler::image::format_gray8);
  poppler::image img = renderer.render_page(&page, dpi, dpi);
  if (!img.is_valid() || img.width() <= 0 || img.height() <= 0)
    return core::Error(core::Code::ProcessingError, "the scanned page could not be rendered for OCR");
  return Rendered{std::move(img), dpi};
}

}  // namespace docent::engines::poppler_doc
