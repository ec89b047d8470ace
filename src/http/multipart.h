#pragma once
// Streaming multipart/form-data parser (RFC 7578). Bytes arrive in pieces of any size, as they
// come off the socket; text fields are kept in memory (bounded), file parts are spooled to
// temporary files under a spool directory as they arrive, so an upload never sits whole in memory.
// Every limit breach or framing error is reported as a core::Error and the parse stops.
//
// Framing rules: the delimiter is CRLF "--" boundary (the first one may open the body without
// the CRLF); the preamble before it and the epilogue after the closing "--boundary--" are ignored;
// spaces and tabs may follow a boundary before its CRLF. "CRLF--boundary" followed by anything
// other than "-", a space, a tab, CR or LF is content, as in Go's mime/multipart. Line ends must
// be CRLF: an LF-only body is an error (Code::BadRequest), never silently re-framed.

#include "core/error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::http {

struct MultipartLimits {
  size_t max_parts = 100;                     // fields + files
  size_t max_part_header_bytes = 8 * 1024;    // the header block of one part
  size_t max_field_bytes = 1024 * 1024;       // one non-file field's value
  size_t max_file_bytes = 20 * 1024 * 1024;   // one file part
  size_t max_total_bytes = 64 * 1024 * 1024;  // everything fed to the parser
};

struct FormField {
  std::string name;
  std::string value;
  std::string content_type;  // empty when the part had none
};

// A file part (one whose Content-Disposition has a filename or filename* parameter) spooled to
// disk. The parsed form owns the file and deletes it when destroyed. The file is created with
// O_EXCL and mode 0600 under the spool directory, named from random bytes.
struct FormFile {
  std::string field_name;
  std::string filename;      // as the client sent it, filename* decoded (never use it as a path)
  std::string content_type;  // as the client sent it (never trust it)
  std::filesystem::path path;
  uint64_t size = 0;
};

// The parsed form. Move-only: it owns the spooled files and removes them in its destructor
// (and before taking over another form's in move assignment). A moved-from form owns nothing.
class MultipartForm {
 public:
  MultipartForm() = default;
  MultipartForm(MultipartForm&&) noexcept;
  MultipartForm& operator=(MultipartForm&&) noexcept;
  MultipartForm(const MultipartForm&) = delete;
  MultipartForm& operator=(const MultipartForm&) = delete;
  ~MultipartForm();

  std::vector<FormField> fields;
  std::vector<FormFile> files;

  // The first field with this name, if any.
  const FormField* field(std::string_view name) const;
  // Every file part with this field name, in order.
  std::vector<const FormFile*> files_named(std::string_view name) const;
  // Gives up ownership of a file so it outlives the form (the caller moves or deletes it).
  void release(const FormFile& file);

 private:
  void remove_files() noexcept;
  std::vector<std::filesystem::path> owned_;
  friend class MultipartParser;
};

// The boundary parameter of a multipart/form-data Content-Type, or nullopt if the header is
// not multipart/form-data or has no valid boundary (1..70 characters, RFC 2046).
std::optional<std::string> multipart_boundary(std::string_view content_type);

class MultipartParser {
 public:
  // `boundary` as returned by multipart_boundary(); an invalid one makes every feed() fail with
  // Code::BadRequest. `spool_dir` must exist; it is not created.
  MultipartParser(std::string boundary, MultipartLimits limits, std::filesystem::path spool_dir);
  // Deletes any spooled files that were not handed out by take().
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;
  ~MultipartParser();

  // Feeds the next bytes, any number of them. After an error every later call returns the same
  // error and every file spooled so far has been deleted.
  // Errors: Code::BadRequest for framing (bad part headers, missing Content-Disposition or name,
  // junk after a boundary), Code::PayloadTooLarge for a size limit (details: "limit", the limit in
  // bytes; `field` names the part for field and file limits), Code::InvalidInput for too many
  // parts (details: "limit"), Code::Internal if a spool file cannot be created or written.
  core::Status feed(std::string_view bytes);

  // Declares the end of the body. Code::BadRequest if the closing boundary was never seen.
  core::Status finish();

  // The parsed form; call after finish() succeeded. Otherwise (or a second time) an empty form.
  MultipartForm take();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace docent::http
