#pragma once
// DOCX (and other zip) fixtures written with libzip, so that each test knows exactly what the
// document holds.

#include <zip.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace docent::engines::fixtures {

inline constexpr const char* kContentTypesXml =
    R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
    R"(<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">)"
    R"(<Default Extension="xml" ContentType="application/xml"/>)"
    R"(<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>)"
    R"(</Types>)";

// word/document.xml around `body` (the children of w:body), with the usual "w" prefix.
inline std::string document_xml(const std::string& body, const std::string& prefix = "w") {
  return R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
         "<" +
         prefix + ":document xmlns:" + prefix + R"(="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><)" +
         prefix + ":body>" + body + "</" + prefix + ":body></" + prefix + ":document>";
}

// A paragraph of one run, with a paragraph style when `style` is not empty.
inline std::string paragraph_xml(const std::string& text, const std::string& style = "") {
  std::string ppr = style.empty() ? "" : R"(<w:pPr><w:pStyle w:val=")" + style + R"("/></w:pPr>)";
  return "<w:p>" + ppr + R"(<w:r><w:t xml:space="preserve">)" + text + "</w:t></w:r></w:p>";
}

inline std::string core_xml(const std::string& title) {
  return R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)"
         R"(<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" )"
         R"(xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>)" +
         title + "</dc:title></cp:coreProperties>";
}

// A zip written member by member; members are deflated at the highest level.
class ZipWriter {
 public:
  explicit ZipWriter(const std::filesystem::path& path) {
    int error = 0;
    zip_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  }
  ~ZipWriter() {
    if (zip_ != nullptr) zip_discard(zip_);
  }
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  bool add(const std::string& name, std::string content) {
    if (zip_ == nullptr) return false;
    storage_.push_back(std::move(content));
    zip_source_t* src = zip_source_buffer(zip_, storage_.back().data(), storage_.back().size(), 0);
    return add_source(name, src);
  }

  // A member of `size` zero bytes, streamed (never held in memory): a zip bomb's payload.
  bool add_zeros(const std::string& name, zip_uint64_t size) {
    if (zip_ == nullptr) return false;
    zeros_.push_back(Zeros{size, 0});
    zip_source_t* src = zip_source_function(zip_, &Zeros::callback, &zeros_.back());
    return add_source(name, src);
  }

  // Writes the archive; false on failure.
  bool close() {
    if (zip_ == nullptr) return false;
    bool ok = zip_close(zip_) == 0;
    if (!ok) zip_discard(zip_);
    zip_ = nullptr;
    return ok;
  }

 private:
  struct Zeros {
    zip_uint64_t size;
    zip_uint64_t pos;

    static zip_int64_t callback(void* state, void* data, zip_uint64_t len, zip_source_cmd_t cmd) {
      auto* z = static_cast<Zeros*>(state);
      switch (cmd) {
        case ZIP_SOURCE_OPEN: z->pos = 0; return 0;
        case ZIP_SOURCE_READ: {
          zip_uint64_t n = std::min(len, z->size - z->pos);
          std::memset(data, 0, n);
          z->pos += n;
          return static_cast<zip_int64_t>(n);
        }
        case ZIP_SOURCE_CLOSE: return 0;
        case ZIP_SOURCE_STAT: {
          auto* st = static_cast<zip_stat_t*>(data);
          zip_stat_init(st);
          st->size = z->size;
          st->valid |= ZIP_STAT_SIZE;
          return sizeof(zip_stat_t);
        }
        case ZIP_SOURCE_ERROR: {
          auto* e = static_cast<int*>(data);
          e[0] = e[1] = 0;
          return 2 * sizeof(int);
        }
        case ZIP_SOURCE_FREE: return 0;
        case ZIP_SOURCE_SUPPORTS:
          return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
                                                ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
        default: return -1;
      }
    }
  };

  bool add_source(const std::string& name, zip_source_t* src) {
    if (src == nullptr) return false;
    zip_int64_t index = zip_file_add(zip_, name.c_str(), src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      zip_source_free(src);
      return false;
    }
    return zip_set_file_compression(zip_, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 9) == 0;
  }

  zip_t* zip_ = nullptr;
  std::deque<std::string> storage_;  // member contents, alive until close()
  std::deque<Zeros> zeros_;
};

// Writes a DOCX: [Content_Types].xml first (as Word does), then `parts` in order.
inline bool write_docx(const std::filesystem::path& path,
                       const std::vector<std::pair<std::string, std::string>>& parts) {
  ZipWriter zip(path);
  if (!zip.add("[Content_Types].xml", kContentTypesXml)) return false;
  for (const auto& [name, content] : parts) {
    if (!zip.add(name, content)) return false;
  }
  return zip.close();
}

}  // namespace docent::engines::fixtures
