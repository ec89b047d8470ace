#include "engines/layout.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <memory>
#include <utility>

#include "engines/poppler_doc.h"

namespace docent::engines {

namespace {

namespace json = boost::json;

// Below this confidence (0..1) a short word standing alone on a scanned page is taken for noise.
constexpr double kDoubtfulWord = 0.5;

bool blank(const std::string& s) {
  for (unsigned char c : s) {
    if (c > ' ') return false;
  }
  return true;
}

std::vector<PositionedWord> text_layer_words(const poppler::page& page) {
  std::vector<PositionedWord> words;
  for (const poppler::text_box& tb : page.text_list(0)) {
    std::string text = poppler_doc::utf8(tb.text());
    if (blank(text)) continue;
    const poppler::rectf r = tb.bbox();
    words.push_back(PositionedWord{.text = std::move(text), .box = Box{r.left(), r.top(), r.right(), r.bottom()}});
  }
  return words;
}

// Specks of scanner noise come back as words: punctuation alone, or a few letters tesseract
// doubts standing apart from any other word. A form has nothing to say in either (but "&", "%"
// and "-" are kept: "Steel & Co", "CGST %", "Mumbai - 400069").
void drop_specks(std::vector<PositionedWord>& words) {
  auto punctuation = [](const PositionedWord& w) {
    return w.text != "&" && w.text != "%" && w.text != "-" && std::none_of(w.text.begin(), w.text.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c));
           });
  };
  auto isolated = [&](const PositionedWord& w) {
    const double h = w.box.y1 - w.box.y0;
    for (const PositionedWord& o : words) {
      if (&o == &w || punctuation(o)) continue;
      const bool same_line = std::min(o.box.y1, w.box.y1) - std::max(o.box.y0, w.box.y0) > 0.3 * h;
      const double gap = std::max(o.box.x0 - w.box.x1, w.box.x0 - o.box.x1);
      if (same_line && gap < 2.5 * h) return false;
    }
    return true;
  };
  std::vector<bool> drop(words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    const PositionedWord& w = words[i];
    drop[i] = punctuation(w) || (w.confidence < kDoubtfulWord && w.text.size() <= 3 && isolated(w));
  }
  size_t k = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    if (drop[i]) continue;
    if (k != i) words[k] = std::move(words[i]);
    ++k;
  }
  words.resize(k);
}

// Table rules read as '|' glued to the words beside them ("Qty|UOM|"): split there, giving
// each piece its share of the box by characters.
void split_at_rules(std::vector<PositionedWord>& words) {
  std::vector<PositionedWord> out;
  out.reserve(words.size());
  for (PositionedWord& w : words) {
    if (w.text.find('|') == std::string::npos) {
      out.push_back(std::move(w));
      continue;
    }
    const double per_char = (w.box.x1 - w.box.x0) / static_cast<double>(std::max<size_t>(1, w.text.size()));
    size_t start = 0;
    while (start <= w.text.size()) {
      size_t end = w.text.find('|', start);
      if (end == std::string::npos) end = w.text.size();
      size_t a = start, b = end;
      while (a < b && (w.text[a] == '[' || w.text[a] == ']')) ++a;
      while (b > a && (w.text[b - 1] == '[' || w.text[b - 1] == ']')) --b;
      if (b > a) {
        out.push_back(PositionedWord{.text = w.text.substr(a, b - a),
                                     .box = Box{w.box.x0 + per_char * a, w.box.y0, w.box.x0 + per_char * b, w.box.y1},
                                     .confidence = w.confidence});
      }
      start = end + 1;
    }
  }
  words = std::move(out);
}

// Ruled lines of a table or box, erased from a rendered scan before OCR: tesseract reads them
// as '|', '_' and '—' glued to the words nearby, or merges rows over them. A dark run at least
// an inch long across, or a third of an inch down, is a rule; no glyph is that long.
void erase_rules(poppler::image& img, int dpi) {
  const int w = img.width(), h = img.height(), stride = img.bytes_per_row();
  auto* px = reinterpret_cast<unsigned char*>(img.data());
  constexpr unsigned char kDark = 128, kLight = 255;
  auto at = [&](int x, int y) -> unsigned char& { return px[static_cast<ptrdiff_t>(y) * stride + x]; };
  std::vector<std::pair<int, int>> runs;
  const int min_h = std::max(20, dpi), min_v = std::max(10, dpi / 3);
  // Mark first, erase after: erasing while scanning would cut the crossing rule into pieces.
  std::vector<unsigned char> mark(static_cast<size_t>(w) * h, 0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w;) {
      if (at(x, y) >= kDark) {
        ++x;
        continue;
      }
      int end = x;
      while (end < w && at(end, y) < kDark) ++end;
      if (end - x >= min_h) {
        for (int k = x; k < end; ++k) {
          for (int dy = -2; dy <= 2; ++dy) {
            if (y + dy >= 0 && y + dy < h) mark[static_cast<size_t>(y + dy) * w + k] = 1;
          }
        }
      }
      x = end;
    }
  }
  for (int x = 0; x < w; ++x) {
    for (int y = 0; y < h;) {
      if (at(x, y) >= kDark) {
        ++y;
        continue;
      }
      int end = y;
      while (end < h && at(x, end) < kDark) ++end;
      if (end - y >= min_v) {
        for (int k = y; k < end; ++k) {
          for (int dx = -2; dx <= 2; ++dx) {
            if (x + dx >= 0 && x + dx < w) mark[static_cast<size_t>(k) * w + x + dx] = 1;
          }
        }
      }
      y = end;
    }
  }
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      if (mark[static_cast<size_t>(y) * w + x]) at(x, y) = kLight;
    }
  }
}

core::Result<std::vector<PositionedWord>> ocr_words(const poppler::page& page, int dpi, Ocr& ocr) {
  auto rendered = poppler_doc::render_gray(page, dpi);
  if (!rendered) return std::move(rendered).error();
  poppler::image& img = rendered->image;
  erase_rules(img, rendered->dpi);
  OcrOptions options{.dpi = rendered->dpi, .scale = 72.0 / rendered->dpi};
  auto words = ocr.recognize_words(reinterpret_cast<const uint8_t*>(img.const_data()), img.width(), img.height(), 1,
                                   img.bytes_per_row(), options);
  if (!words) return words;
  split_at_rules(*words);
  drop_specks(*words);
  return words;
}

core::Error malformed(const std::string& what) {
  return core::Error(core::Code::InvalidInput, "malformed page words: " + what);
}

bool number_at(const json::array& a, size_t i, double& out) {
  if (i >= a.size()) return false;
  if (a[i].is_double())
    out = a[i].get_double();
  else if (a[i].is_int64())
    out = static_cast<double>(a[i].get_int64());
  else if (a[i].is_uint64())
    out = static_cast<double>(a[i].get_uint64());
  else
    return false;
  return std::isfinite(out);
}

}  // namespace

core::Result<std::vector<PageWords>> pdf_words(const std::filesystem::path& path, const ParseLimits& limits, Ocr* ocr) {
  auto opened = poppler_doc::open(path, limits);
  if (!opened) return std::move(opened).error();
  const std::unique_ptr<poppler::document> doc = std::move(*opened);
  std::vector<PageWords> pages;
  uint64_t text_bytes = 0;
  for (int i = 0; i < doc->pages(); ++i) {
    PageWords& out = pages.emplace_back();
    out.number = i + 1;
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;  // a damaged page object: keep the numbering
    const poppler::rectf r = page->page_rect(poppler::crop_box);
    out.width = std::abs(r.width());
    out.height = std::abs(r.height());
    const auto orientation = page->orientation();
    if (orientation == poppler::page::landscape || orientation == poppler::page::seascape)
      std::swap(out.width, out.height);
    out.words = text_layer_words(*page);
    if (out.words.empty() && ocr != nullptr) {
      auto recognized = ocr_words(*page, limits.ocr_dpi, *ocr);
      if (!recognized) return std::move(recognized).error();
      out.words = std::move(*recognized);
      out.ocr = true;
    }
    for (const PositionedWord& w : out.words) text_bytes += w.text.size() + 1;
    if (text_bytes > limits.max_text_bytes) {
      core::Error e(core::Code::InvalidFormat,
                    "the PDF's text exceeds the limit of " + std::to_string(limits.max_text_bytes) + " bytes");
      e.details["max_text_bytes"] = limits.max_text_bytes;
      return e;
    }
  }
  return pages;
}

core::Result<std::vector<PageWords>> words_isolated(const std::filesystem::path& docent_exe,
                                                    const std::filesystem::path& file, const ParseLimits& limits,
                                                    const IsolateOptions& options) {
  // Each word costs its text plus about 40 bytes of coordinates in JSON.
  const uint64_t max_output = 8 * limits.max_text_bytes + (16ull << 20);
  auto json = run_isolated_worker(docent_exe, kWordsCommand,
                                  worker_arguments(file, file.filename().string(), limits, options), limits,
                                  file.filename().string(), max_output);
  if (!json) return std::move(json).error();
  auto pages = page_words_from_json(*json);
  if (pages) return pages;
  return core::Error(core::Code::ProcessingError,
                     "the parser returned malformed output (" + pages.error().message + ")");
}

int words_worker_main(int argc, char** argv) {
  return run_worker_main(argc, argv, "usage: docent __words --file PATH [--ocr 0|1] [--max-pages N] ...",
                         [](const WorkerArgs& args) -> core::Result<json::value> {
                           // tesseract is loaded only when some page has no text layer.
                           auto pages = pdf_words(args.file, args.limits, nullptr);
                           if (!pages) return std::move(pages).error();
                           bool scanned = false;
                           for (const PageWords& p : *pages) scanned = scanned || p.words.empty();
                           if (scanned && args.ocr) {
                             auto ocr = Ocr::create(args.ocr_language, args.tessdata_dir);
                             if (ocr) pages = pdf_words(args.file, args.limits, ocr->get());
                             if (!pages) return std::move(pages).error();
                           }
                           return to_json(*pages);
                         });
}

json::value to_json(const std::vector<PageWords>& pages) {
  json::array out;
  out.reserve(pages.size());
  for (const PageWords& p : pages) {
    json::array words;
    words.reserve(p.words.size());
    for (const PositionedWord& w : p.words) {
      words.push_back(json::array{json::string(w.text), w.box.x0, w.box.y0, w.box.x1, w.box.y1, w.confidence});
    }
    out.push_back(json::object{{"number", p.number},
                               {"width", p.width},
                               {"height", p.height},
                               {"ocr", p.ocr},
                               {"words", std::move(words)}});
  }
  return out;
}

core::Result<std::vector<PageWords>> page_words_from_json(const json::value& value) {
  if (!value.is_array()) return malformed("expected an array of pages");
  std::vector<PageWords> pages;
  for (const json::value& pv : value.get_array()) {
    if (!pv.is_object()) return malformed("a page is not an object");
    const json::object& o = pv.get_object();
    PageWords p;
    const json::value* number = o.if_contains("number");
    const json::value* words = o.if_contains("words");
    if (number == nullptr || !number->is_int64() || words == nullptr || !words->is_array())
      return malformed("a page lacks \"number\" or \"words\"");
    p.number = static_cast<int>(number->get_int64());
    json::array dims{o.contains("width") ? o.at("width") : json::value(0),
                     o.contains("height") ? o.at("height") : json::value(0)};
    if (!number_at(dims, 0, p.width) || !number_at(dims, 1, p.height))
      return malformed("a page's size is not a number");
    if (const json::value* ocr = o.if_contains("ocr"); ocr != nullptr) {
      if (!ocr->is_bool()) return malformed("\"ocr\" is not a boolean");
      p.ocr = ocr->get_bool();
    }
    for (const json::value& wv : words->get_array()) {
      if (!wv.is_array() || wv.get_array().size() != 6 || !wv.get_array()[0].is_string())
        return malformed("a word is not [text, x0, y0, x1, y1, confidence]");
      const json::array& a = wv.get_array();
      PositionedWord w;
      w.text = std::string(a[0].get_string());
      if (!number_at(a, 1, w.box.x0) || !number_at(a, 2, w.box.y0) || !number_at(a, 3, w.box.x1) ||
          !number_at(a, 4, w.box.y1) || !number_at(a, 5, w.confidence))
        return malformed("a word's box or confidence is not a number");
      p.words.push_back(std::move(w));
    }
    pages.push_back(std::move(p));
  }
  return pages;
}

}  // namespace docent::engines
