#include "engines/ocr.h"

#include "engines/image.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <utility>

namespace docent::engines {

namespace {

// Tesseract returns new[]-allocated strings.
struct TessText {
  char* p = nullptr;
  ~TessText() { delete[] p; }
  std::string str() const { return p ? std::string(p) : std::string(); }
};

struct PixDeleter {
  void operator()(Pix* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// Below this a stated resolution is noise (tesseract itself refuses under 70).
constexpr int kMinPlausibleDpi = 70;
constexpr int kMaxPlausibleDpi = 2400;

bool has_visible_text(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c > ' '; });
}

void extend(Box& box, const Box& other) {
  box.x0 = std::min(box.x0, other.x0);
  box.y0 = std::min(box.y0, other.y0);
  box.x1 = std::max(box.x1, other.x1);
  box.y1 = std::max(box.y1, other.y1);
}

}  // namespace

Ocr::Ocr(std::unique_ptr<tesseract::TessBaseAPI> api, std::string language)
    : api_(std::move(api)), language_(std::move(language)) {}

Ocr::~Ocr() = default;

core::Result<std::unique_ptr<Ocr>> Ocr::create(std::string language, std::string tessdata_dir) {
  if (language.empty()) return core::Error(core::Code::InvalidInput, "no OCR language given");
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  // Tesseract's own diagnostics ("Error opening data file ...") would go to stderr; the error
  // below says the same thing to whoever asked.
  api->SetVariable("debug_file", "/dev/null");
  const char* datapath = tessdata_dir.empty() ? nullptr : tessdata_dir.c_str();
  if (api->Init(datapath, language.c_str(), tesseract::OEM_DEFAULT) != 0) {
    std::string where = tessdata_dir.empty() ? std::string("tesseract's default tessdata directory")
                                             : "'" + tessdata_dir + "'";
    return core::Error(core::Code::ServiceUnavailable, "OCR language pack '" + language + "' is not installed (no " +
                                                           language + ".traineddata in " + where +
                                                           "; on Debian: apt install tesseract-ocr-" + language + ")");
  }
  return std::unique_ptr<Ocr>(new Ocr(std::move(api), std::move(language)));
}

core::Status Ocr::set_image(const uint8_t* pixels, int width, int height, int bytes_per_pixel, int bytes_per_line,
                            const OcrOptions& options) {
  if (pixels == nullptr || width <= 0 || height <= 0)
    return core::Error(core::Code::InvalidInput, "OCR needs a non-empty image");
  if (bytes_per_pixel != 1 && bytes_per_pixel != 3 && bytes_per_pixel != 4)
    return core::Error(core::Code::InvalidInput, "OCR takes 1, 3 or 4 bytes per pixel");
  if (static_cast<int64_t>(bytes_per_line) < static_cast<int64_t>(width) * bytes_per_pixel)
    return core::Error(core::Code::InvalidInput, "OCR image rows are shorter than width * bytes_per_pixel");
  if (static_cast<int64_t>(width) * height > kMaxImagePixels)
    return core::Error(core::Code::InvalidInput,
                       "the image is larger than the OCR limit of " + std::to_string(kMaxImagePixels) + " pixels");
  api_->SetImage(pixels, width, height, bytes_per_pixel, bytes_per_line);
  api_->SetSourceResolution(options.dpi >= kMinPlausibleDpi ? options.dpi : kMinPlausibleDpi);
  return core::Status::Ok();
}

core::Result<std::vector<Block>> Ocr::recognize(const uint8_t* pixels, int width, int height, int bytes_per_pixel,
                                                int bytes_per_line, const OcrOptions& options) {
  if (auto set = set_image(pixels, width, height, bytes_per_pixel, bytes_per_line, options); !set) return set.error();
  return read_blocks(options);
}

core::Result<std::vector<PositionedWord>> Ocr::recognize_words(const uint8_t* pixels, int width, int height,
                                                               int bytes_per_pixel, int bytes_per_line,
                                                               const OcrOptions& options) {
  if (auto set = set_image(pixels, width, height, bytes_per_pixel, bytes_per_line, options); !set) return set.error();
  struct ClearOnExit {
    tesseract::TessBaseAPI* api;
    ~ClearOnExit() { api->Clear(); }
  } clear{api_.get()};
  if (api_->Recognize(nullptr) != 0) return core::Error(core::Code::ProcessingError, "OCR failed on the image");
  std::vector<PositionedWord> words;
  std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
  if (!it || it->Empty(tesseract::RIL_WORD)) return words;
  const double scale = options.scale > 0 ? options.scale : 1.0;
  do {
    TessText word{it->GetUTF8Text(tesseract::RIL_WORD)};
    std::string text = word.str();
    const float confidence = it->Confidence(tesseract::RIL_WORD);
    if (!has_visible_text(text) || confidence < options.min_word_confidence) continue;
    int left = 0, top = 0, right = 0, bottom = 0;
    it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
    words.push_back(PositionedWord{.text = std::move(text),
                                   .box = Box{left * scale, top * scale, right * scale, bottom * scale},
                                   .confidence = std::clamp(confidence / 100.0, 0.0, 1.0)});
  } while (it->Next(tesseract::RIL_WORD));
  return words;
}

core::Result<std::vector<Block>> Ocr::recognize_file(const std::filesystem::path& path, const OcrOptions& options) {
  auto header = read_image_header(path);
  if (!header) return std::move(header).error();
  if (header->pixels > kMaxImagePixels) {
    core::Error e(core::Code::InvalidFormat, "the image is too large (" + std::to_string(header->width) + "x" +
                                                 std::to_string(header->height) + "; the limit is " +
                                                 std::to_string(kMaxImagePixels / 1'000'000) + " megapixels)");
    e.details["max_pixels"] = kMaxImagePixels;
    return e;
  }
  PixPtr pix(pixRead(path.c_str()));
  if (!pix) return core::Error(core::Code::InvalidFormat, "the image could not be decoded");
  if (pixGetSpp(pix.get()) == 4 && pixGetDepth(pix.get()) == 32) {
    // Text on a transparent background is often black-on-(transparent)-black: show it on white.
    PixPtr flat(pixAlphaBlendUniform(pix.get(), 0xffffff00));
    if (flat) pix = std::move(flat);
  }
  int dpi = options.dpi;
  if (dpi <= 0) {
    int xres = pixGetXRes(pix.get());
    if (xres >= kMinPlausibleDpi && xres <= kMaxPlausibleDpi) dpi = xres;
  }
  api_->SetImage(pix.get());
  api_->SetSourceResolution(dpi >= kMinPlausibleDpi ? dpi : kMinPlausibleDpi);
  return read_blocks(options);
}

core::Result<std::vector<Block>> Ocr::read_blocks(const OcrOptions& options) {
  struct ClearOnExit {
    tesseract::TessBaseAPI* api;
    ~ClearOnExit() { api->Clear(); }  // drop the image and results; keep the model loaded
  } clear{api_.get()};

  if (api_->Recognize(nullptr) != 0) return core::Error(core::Code::ProcessingError, "OCR failed on the image");
  std::unique_ptr<tesseract::ResultIterator> it(api_->GetIterator());
  std::vector<Block> blocks;
  if (!it || it->Empty(tesseract::RIL_WORD)) return blocks;

  // A paragraph on its way out, with what its confidence is weighed from.
  struct Pending {
    Block block;
    double weighted_confidence = 0;  // sum of word confidence * word length
    size_t length = 0;
  };
  std::vector<Pending> pending;
  const double scale = options.scale > 0 ? options.scale : 1.0;
  bool new_block = true;
  bool new_line = true;
  do {
    // Paragraph and line starts are properties of the first word; remember them even when that
    // word is dropped below, so the next kept word still opens the paragraph or line.
    if (it->IsAtBeginningOf(tesseract::RIL_PARA)) new_block = true;
    if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) new_line = true;
    TessText word{it->GetUTF8Text(tesseract::RIL_WORD)};
    std::string text = word.str();
    const float confidence = it->Confidence(tesseract::RIL_WORD);
    if (!has_visible_text(text) || confidence < options.min_word_confidence) continue;
    int left = 0, top = 0, right = 0, bottom = 0;
    it->BoundingBox(tesseract::RIL_WORD, &left, &top, &right, &bottom);
    const Box box{left * scale, top * scale, right * scale, bottom * scale};
    if (new_block || pending.empty()) {
      pending.push_back(Pending{.block = Block{.box = box}});
    } else {
      Block& b = pending.back().block;
      b.text += new_line ? '\n' : ' ';
      extend(*b.box, box);
    }
    Pending& p = pending.back();
    p.weighted_confidence += confidence * static_cast<double>(text.size());
    p.length += text.size();
    p.block.text += text;
    new_block = false;
    new_line = false;
  } while (it->Next(tesseract::RIL_WORD));

  for (Pending& p : pending) {
    if (p.weighted_confidence >= options.min_block_confidence * static_cast<double>(p.length))
      blocks.push_back(std::move(p.block));
  }
  return blocks;
}

}  // namespace docent::engines
