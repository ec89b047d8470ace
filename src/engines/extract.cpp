#include "engines/extract.h"

#include "core/json.h"
#include "engines/docx.h"
#include "engines/html.h"
#include "engines/image.h"
#include "engines/pdf.h"
#include "engines/sniff.h"
#include "engines/text.h"

#include <boost/json.hpp>

#include <system_error>

namespace docent::engines {

namespace json = boost::json;

namespace {

using core::Code;
using core::Error;

core::Result<Document> dispatch(DocumentKind kind, const std::filesystem::path& file, const std::string& mime,
                                const ParseLimits& limits, Ocr* ocr) {
  switch (kind) {
    case DocumentKind::Pdf: return extract_pdf(file, limits, ocr);
    case DocumentKind::Docx: return extract_docx(file, limits);
    case DocumentKind::Html: return extract_html_file(file, limits);
    case DocumentKind::Markdown: return extract_text_file(file, TextKind::Markdown, limits);
    case DocumentKind::Csv: return extract_text_file(file, TextKind::Csv, limits);
    case DocumentKind::Text: return extract_text_file(file, TextKind::Plain, limits);
    case DocumentKind::Image:
      if (ocr == nullptr) {
        return Error(Code::ServiceUnavailable, "reading text in images needs OCR, which is not available");
      }
      return extract_image(file, *ocr, limits);
    case DocumentKind::Unsupported: break;
  }
  return Error(Code::InvalidFormat, "unsupported file type " + mime);
}

// The type to report: the sniffed one, or the one the filename refined it to.
std::string reported_mime(DocumentKind kind, const std::string& sniffed) {
  switch (kind) {
    case DocumentKind::Docx: return std::string(kDocxMime);
    case DocumentKind::Html: return sniffed == "application/xhtml+xml" ? sniffed : "text/html";
    case DocumentKind::Markdown: return "text/markdown";
    case DocumentKind::Csv: return "text/csv";
    default: return sniffed;
  }
}

json::value string_value(const std::string& s) {
  return is_valid_utf8(s) ? json::value(json::string_view(s)) : json::value(repair_utf8(s));
}

}  // namespace

core::Result<Document> extract_file(const std::filesystem::path& file, std::string_view filename,
                                    const ParseLimits& limits, Ocr* ocr) {
  std::error_code ec;
  const auto status = std::filesystem::status(file, ec);
  if (ec || !std::filesystem::exists(status)) return Error(Code::NotFound, "the file does not exist");
  if (!std::filesystem::is_regular_file(status)) return Error(Code::InvalidFormat, "not a regular file");
  const uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return Error(Code::Internal, "cannot read the file: " + ec.message());
  if (size == 0) return Error(Code::InvalidFormat, "the file is empty");

  const std::string mime = sniff_mime(file);
  const DocumentKind kind = kind_of(mime, filename);
  auto doc = dispatch(kind, file, mime, limits, ocr);
  if (!doc) return doc;

  doc->mime = reported_mime(kind, mime);
  if (doc->title.empty()) {
    for (const auto& page : doc->pages) {
      for (const auto& block : page.blocks) {
        if (block.heading && doc->title.empty()) doc->title = block.text;
      }
    }
  }
  // Every parser checks these itself; this is the backstop for one that forgets.
  if (static_cast<int64_t>(doc->pages.size()) > limits.max_pages) {
    return Error(Code::InvalidFormat, "the document has more than " + std::to_string(limits.max_pages) + " pages");
  }
  if (doc->text_bytes() > limits.max_text_bytes) {
    return Error(Code::InvalidFormat,
                 "the document's text exceeds " + std::to_string(limits.max_text_bytes) + " bytes");
  }
  return doc;
}

json::value to_json(const Document& doc) {
  json::array pages;
  pages.reserve(doc.pages.size());
  for (const auto& page : doc.pages) {
    json::array blocks;
    blocks.reserve(page.blocks.size());
    for (const auto& block : page.blocks) {
      json::object b;
      b["text"] = string_value(block.text);
      if (block.heading) {
        b["heading"] = true;
        b["level"] = block.level;
      }
      if (block.box) b["box"] = json::array{block.box->x0, block.box->y0, block.box->x1, block.box->y1};
      blocks.emplace_back(std::move(b));
    }
    pages.emplace_back(json::object{{"number", page.number}, {"ocr", page.ocr}, {"blocks", std::move(blocks)}});
  }
  return json::object{{"mime", string_value(doc.mime)},
                      {"title", string_value(doc.title)},
                      {"pages", std::move(pages)}};
}

core::Result<Document> document_from_json(const json::value& value) {
  Document doc;
  core::ObjectReader r(value);
  r.optional("mime", doc.mime).optional("title", doc.title);
  if (!r.ok()) return r.error();
  const json::value* pages = r.object()->if_contains("pages");
  if (pages == nullptr || !pages->is_array()) return Error(Code::InvalidInput, "pages must be an array", "pages");

  for (size_t i = 0; i < pages->get_array().size(); ++i) {
    const std::string prefix = "pages[" + std::to_string(i) + "]";
    core::ObjectReader pr(pages->get_array()[i], prefix);
    Page page;
    pr.required("number", page.number).optional("ocr", page.ocr);
    if (!pr.ok()) return pr.error();
    if (const json::value* blocks = pr.object()->if_contains("blocks"); blocks != nullptr && !blocks->is_null()) {
      if (!blocks->is_array())
        return Error(Code::InvalidInput, prefix + ".blocks must be an array", prefix + ".blocks");
      for (size_t j = 0; j < blocks->get_array().size(); ++j) {
        const std::string bprefix = prefix + ".blocks[" + std::to_string(j) + "]";
        core::ObjectReader br(blocks->get_array()[j], bprefix);
        Block block;
        std::vector<double> box;
        br.required("text", block.text).optional("heading", block.heading).optional("level", block.level);
        br.optional("box", box);
        if (!br.ok()) return br.error();
        if (!box.empty()) {
          if (box.size() != 4) return Error(Code::InvalidInput, bprefix + ".box must have 4 numbers", bprefix + ".box");
          block.box = Box{box[0], box[1], box[2], box[3]};
        }
        page.blocks.push_back(std::move(block));
      }
    }
    doc.pages.push_back(std::move(page));
  }
  return doc;
}

}  // namespace docent::engines
