#include "engines/sniff.h"

#include <magic.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace docent::engines {

namespace {

constexpr std::string_view kUnknownMime = "application/octet-stream";

// One libmagic handle with the default database loaded. libmagic handles are not thread-safe,
// so each thread has its own (thread_cookie).
class MagicCookie {
 public:
  MagicCookie() : cookie_(magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR)) {
    if (cookie_ != nullptr && magic_load(cookie_, nullptr) != 0) {
      magic_close(cookie_);
      cookie_ = nullptr;
    }
    // libmagic reads up to 7 MiB of a file by default, into a buffer it allocates per call: on a
    // handler thread's malloc arena that costs tens of milliseconds an upload. The types sniffed
    // here are told by their first bytes (and a docx by libzip, on the whole file), so 256 KiB
    // decides the same and keeps a tiny upload's sniff under a millisecond.
    if (cookie_ != nullptr) {
      const size_t bytes_max = 256 * 1024;
      magic_setparam(cookie_, MAGIC_PARAM_BYTES_MAX, &bytes_max);
    }
  }
  ~MagicCookie() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }
  MagicCookie(const MagicCookie&) = delete;
  MagicCookie& operator=(const MagicCookie&) = delete;

  magic_t get() const { return cookie_; }

 private:
  magic_t cookie_;
};

magic_t thread_cookie() {
  thread_local MagicCookie cookie;
  return cookie.get();
}

std::string mime_or_unknown(const char* mime) {
  return mime != nullptr ? std::string(mime) : std::string(kUnknownMime);
}

bool may_be_docx(std::string_view mime) {
  return mime == "application/zip" || mime == "application/x-zip-compressed" || mime == kUnknownMime;
}

bool has_document_xml(zip_t* archive) {
  bool found = zip_name_locate(archive, "word/document.xml", 0) >= 0;
  zip_discard(archive);
  return found;
}

bool zip_file_is_docx(const std::filesystem::path& file) {
  int error = 0;
  zip_t* archive = zip_open(file.c_str(), ZIP_RDONLY, &error);
  return archive != nullptr && has_document_xml(archive);
}

bool zip_bytes_are_docx(std::string_view bytes) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_error_fini(&error);
  if (source == nullptr) return false;
  zip_error_init(&error);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  zip_error_fini(&error);
  if (archive == nullptr) {
    zip_source_free(source);
    return false;
  }
  return has_document_xml(archive);  // the archive owns the source now
}

std::string lower_extension(std::string_view filename) {
  auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  auto dot = filename.rfind('.');
  if (dot == std::string_view::npos) return {};
  std::string ext(filename.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

// What leptonica (and so the OCR engine) can decode.
constexpr std::array<std::string_view, 13> kImageMimes = {
    "image/png",
    "image/jpeg",
    "image/tiff",
    "image/gif",
    "image/bmp",
    "image/x-ms-bmp",
    "image/webp",
    "image/jp2",
    "image/x-portable-bitmap",
    "image/x-portable-greymap",
    "image/x-portable-graymap",
    "image/x-portable-pixmap",
    "image/x-portable-anymap",
};

}  // namespace

std::string sniff_mime(const std::filesystem::path& file) {
  magic_t cookie = thread_cookie();
  if (cookie == nullptr) return std::string(kUnknownMime);
  std::string mime = mime_or_unknown(magic_file(cookie, file.c_str()));
  if (may_be_docx(mime) && zip_file_is_docx(file)) return std::string(kDocxMime);
  return mime;
}

std::string sniff_mime_bytes(std::string_view bytes) {
  magic_t cookie = thread_cookie();
  if (cookie == nullptr) return std::string(kUnknownMime);
  std::string mime = mime_or_unknown(magic_buffer(cookie, bytes.data(), bytes.size()));
  if (may_be_docx(mime) && zip_bytes_are_docx(bytes)) return std::string(kDocxMime);
  return mime;
}

DocumentKind kind_of(std::string_view mime, std::string_view filename) {
  if (mime == "application/pdf") return DocumentKind::Pdf;
  if (mime == kDocxMime || mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.template") {
    return DocumentKind::Docx;
  }
  if (mime == "text/html" || mime == "application/xhtml+xml") return DocumentKind::Html;
  if (std::find(kImageMimes.begin(), kImageMimes.end(), mime) != kImageMimes.end()) return DocumentKind::Image;
  if (mime == "text/csv") return DocumentKind::Csv;
  if (mime == "text/markdown" || mime == "text/x-markdown") return DocumentKind::Markdown;
  const bool text = mime.substr(0, 5) == "text/" || mime == "application/json";
  if (!text || mime == "text/rtf") return DocumentKind::Unsupported;
  const std::string ext = lower_extension(filename);
  if (ext == "md" || ext == "markdown") return DocumentKind::Markdown;
  if (ext == "csv" || ext == "tsv") return DocumentKind::Csv;
  if (ext == "html" || ext == "htm" || ext == "xhtml") return DocumentKind::Html;
  return DocumentKind::Text;
}

std::string_view kind_name(DocumentKind kind) {
  switch (kind) {
    case DocumentKind::Pdf: return "pdf";
    case DocumentKind::Docx: return "docx";
    case DocumentKind::Html: return "html";
    case DocumentKind::Markdown: return "markdown";
    case DocumentKind::Csv: return "csv";
    case DocumentKind::Text: return "text";
    case DocumentKind::Image: return "image";
    case DocumentKind::Unsupported: return "unsupported";
  }
  return "unsupported";
}

}  // namespace docent::engines
