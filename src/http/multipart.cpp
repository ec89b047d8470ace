#include "http/multipart.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <system_error>
#include <utility>

namespace docent::http {
namespace {

namespace fs = std::filesystem;
using core::Code;
using core::Error;
using core::Status;

constexpr size_t kMaxBoundary = 70;
constexpr size_t kWriteChunk = 64 * 1024;  // file data is written in pieces of at least this size
constexpr int kSpoolAttempts = 8;

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 2046 bchars: DIGIT / ALPHA / "'()+_,-./:=?" / space (not last).
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > kMaxBoundary || b.back() == ' ') return false;
  constexpr std::string_view kOther = "'()+_,-./:=? ";
  return std::all_of(b.begin(), b.end(), [&](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kOther.find(c) != std::string_view::npos;
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// Parses the `*( OWS ";" OWS name "=" value )` tail of a header value. Names are lower-cased;
// values may be tokens (trimmed, up to the next ';') or quoted strings. Inside quotes a backslash
// escapes only '"' and '\', so a Windows path such as "C:\dir\a.txt" survives intact.
bool parse_params(std::string_view s, Params& out) {
  size_t i = 0;
  auto skip_ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  while (true) {
    skip_ows();
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    skip_ows();
    if (i == s.size() || s[i] == ';') continue;
    size_t eq = s.find_first_of("=;", i);
    if (eq == std::string_view::npos || s[eq] != '=') return false;
    std::string_view raw_name = trim(s.substr(i, eq - i));
    if (raw_name.empty()) return false;
    std::string name(raw_name);
    std::transform(name.begin(), name.end(), name.begin(), ascii_lower);
    i = eq + 1;
    skip_ows();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < s.size() && (s[i] == '"' || s[i] == '\\')) c = s[i++];
        value.push_back(c);
      }
      if (!closed) return false;
    } else {
      size_t end = std::min(s.find(';', i), s.size());
      value = std::string(trim(s.substr(i, end - i)));
      i = end;
    }
    out.emplace_back(std::move(name), std::move(value));
  }
}

// RFC 5987 ext-value: charset "'" [language] "'" percent-encoded bytes. UTF-8 and ISO-8859-1.
std::optional<std::string> decode_ext_value(std::string_view v) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string_view charset = v.substr(0, q1);
  bool latin1 = iequal(charset, "iso-8859-1");
  if (!latin1 && !iequal(charset, "utf-8")) return std::nullopt;
  std::string out;
  for (size_t i = q2 + 1; i < v.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '%') {
      if (i + 2 >= v.size()) return std::nullopt;
      int hi = hex_value(v[i + 1]);
      int lo = hex_value(v[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
    }
    if (latin1 && c >= 0x80) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// 128 random bits as hex: spool names never derive from anything the client sent.
std::string random_spool_name() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      std::random_device rd;
      for (auto& b : bytes) b = static_cast<unsigned char>(rd());
      break;
    }
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "docent-upload-";
  for (unsigned char b : bytes) {
    name.push_back(kHex[b >> 4]);
    name.push_back(kHex[b & 15]);
  }
  return name;
}

Error bad_request(std::string message) { return Error(Code::BadRequest, std::move(message)); }

Error too_large(std::string_view what, size_t limit, std::string field = {}) {
  Error e(Code::PayloadTooLarge, std::string(what) + " exceeds the limit of " + std::to_string(limit) + " bytes",
          std::move(field));
  e.details["limit"] = static_cast<uint64_t>(limit);
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MultipartForm

MultipartForm::MultipartForm(MultipartForm&& other) noexcept
    : fields(std::move(other.fields)), files(std::move(other.files)), owned_(std::move(other.owned_)) {
  other.fields.clear();
  other.files.clear();
  other.owned_.clear();
}

MultipartForm& MultipartForm::operator=(MultipartForm&& other) noexcept {
  if (this != &other) {
    remove_files();
    fields = std::move(other.fields);
    files = std::move(other.files);
    owned_ = std::move(other.owned_);
    other.fields.clear();
    other.files.clear();
    other.owned_.clear();
  }
  return *this;
}

MultipartForm::~MultipartForm() { remove_files(); }

void MultipartForm::remove_files() noexcept {
  for (const auto& path : owned_) ::unlink(path.c_str());
  owned_.clear();
}

const FormField* MultipartForm::field(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<const FormFile*> MultipartForm::files_named(std::string_view name) const {
  std::vector<const FormFile*> out;
  for (const auto& f : files) {
    if (f.field_name == name) out.push_back(&f);
  }
  return out;
}

void MultipartForm::release(const FormFile& file) { std::erase(owned_, file.path); }

// ---------------------------------------------------------------------------------------------
// MultipartParser

struct MultipartParser::Impl {
  // Preamble and Body scan for the delimiter; Delimiter..LineFeed read the rest of a boundary
  // line one byte at a time (a few bytes per part); Headers collects one part's header block.
  enum class State { Preamble, Delimiter, CloseDash, Padding, LineFeed, Headers, Body, Epilogue };
  enum class Match { None, Partial, Delimiter };
  struct Scan {
    Match match;
    size_t pos;
  };

  Impl(std::string boundary, MultipartLimits limits, fs::path spool_dir)
      : delim_("\r\n--" + boundary), limits_(limits), spool_dir_(std::move(spool_dir)) {
    // The body is scanned as if it began with CRLF, so a first boundary at offset 0 matches.
    carry_ = "\r\n";
    if (!valid_boundary(boundary)) fail(bad_request("invalid multipart boundary"));
  }
  ~Impl() { close_file(); }

  Status feed(std::string_view bytes) {
    if (error_) return *error_;
    if (bytes.size() > limits_.max_total_bytes - total_) {
      fail(too_large("multipart body", limits_.max_total_bytes));
      return *error_;
    }
    total_ += bytes.size();
    // A held-back tail (a possible split delimiter) is joined with just enough new bytes to
    // decide it; whatever is still undecided and came from `bytes` is handed back, so the bulk
    // of every piece is scanned in place, never copied.
    while (!carry_.empty() && !bytes.empty()) {
      size_t take = std::min(bytes.size(), delim_.size() + 1);
      carry_.append(bytes.data(), take);
      bytes.remove_prefix(take);
      size_t used = process(carry_);
      if (error_) return *error_;
      carry_.erase(0, used);
      if (carry_.size() <= take) {
        bytes = std::string_view(bytes.data() - carry_.size(), bytes.size() + carry_.size());
        carry_.clear();
      }
    }
    if (carry_.empty() && !bytes.empty()) {
      size_t used = process(bytes);
      if (error_) return *error_;
      carry_.assign(bytes.substr(used));
    }
    return Status::Ok();
  }

  Status finish() {
    if (error_) return *error_;
    if (state_ != State::Epilogue) {
      fail(bad_request("multipart body ended before the closing boundary"));
      return *error_;
    }
    finished_ = true;
    return Status::Ok();
  }

  MultipartForm take() {
    if (!finished_ || error_) return {};
    return std::move(form_);
  }

 private:
  // Consumes a prefix of `data`; what is left (at most delim_.size() bytes) is a possible
  // delimiter that needs more input to decide.
  size_t process(std::string_view data) {
    size_t used = 0;
    while (used < data.size() && !error_) {
      std::string_view rest = data.substr(used);
      switch (state_) {
        case State::Preamble:
        case State::Body: {
          Scan s = find_delimiter(rest);
          if (state_ == State::Body && s.pos > 0) body_bytes(rest.substr(0, s.pos));
          used += s.pos;
          if (error_ || s.match == Match::Partial) return used;
          if (s.match == Match::Delimiter) {
            if (state_ == State::Body) end_part();
            used += delim_.size();
            state_ = State::Delimiter;
          }
          break;
        }
        case State::Delimiter:
          ++used;
          if (rest[0] == '-') {
            state_ = State::CloseDash;
          } else if (is_ows(rest[0])) {
            state_ = State::Padding;
          } else if (rest[0] == '\r') {
            state_ = State::LineFeed;
          } else {
            fail(bad_request("multipart boundary line does not end with CRLF"));
          }
          break;
        case State::CloseDash:
          ++used;
          if (rest[0] == '-') {
            state_ = State::Epilogue;
          } else {
            fail(bad_request("malformed multipart closing boundary"));
          }
          break;
        case State::Padding: {
          size_t k = rest.find_first_not_of(" \t");
          if (k == std::string_view::npos) return data.size();
          used += k + 1;
          if (rest[k] == '\r') {
            state_ = State::LineFeed;
          } else {
            fail(bad_request("multipart boundary line does not end with CRLF"));
          }
          break;
        }
        case State::LineFeed:
          ++used;
          if (rest[0] == '\n') {
            begin_part();
          } else {
            fail(bad_request("multipart boundary line does not end with CRLF"));
          }
          break;
        case State::Headers: used += header_bytes(rest); break;
        case State::Epilogue: return data.size();
      }
    }
    return used;
  }

  // The first delimiter ("\r\n--boundary" followed by '-', padding or a line end) in `data`, or
  // the start of a tail that may be one once more bytes arrive. Like Go's mime/multipart,
  // "\r\n--boundary" followed by anything else is content.
  Scan find_delimiter(std::string_view data) const {
    const size_t d = delim_.size();
    const char* base = data.data();
    const size_t n = data.size();
    size_t from = 0;
    while (from < n) {
      const void* hit = std::memchr(base + from, '\r', n - from);
      if (hit == nullptr) break;
      size_t i = static_cast<size_t>(static_cast<const char*>(hit) - base);
      size_t avail = n - i;
      if (avail <= d) {
        if (std::memcmp(base + i, delim_.data(), avail) == 0) return {Match::Partial, i};
      } else if (std::memcmp(base + i, delim_.data(), d) == 0) {
        char c = base[i + d];
        if (c == '-' || c == '\r' || c == '\n' || is_ows(c)) return {Match::Delimiter, i};
      }
      from = i + 1;
    }
    return {Match::None, n};
  }

  void begin_part() {
    if (++parts_ > limits_.max_parts) {
      Error e(Code::InvalidInput,
              "multipart form has more than " + std::to_string(limits_.max_parts) + " parts (the limit)");
      e.details["limit"] = static_cast<uint64_t>(limits_.max_parts);
      fail(std::move(e));
      return;
    }
    // The CRLF that ended the boundary line starts the buffer, so both an empty header block and
    // the end of a non-empty one are found by searching for CRLF CRLF.
    header_buf_.assign("\r\n");
    state_ = State::Headers;
  }

  // Collects header bytes until the blank line; returns how many of `data` belong to the headers.
  size_t header_bytes(std::string_view data) {
    const size_t cap = 2 + limits_.max_part_header_bytes + 4;
    const size_t old = header_buf_.size();
    const size_t n = std::min(data.size(), cap - old);
    header_buf_.append(data.data(), n);
    size_t end = header_buf_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    if (end == std::string::npos) {
      if (header_buf_.size() >= cap) fail(too_large("multipart part headers", limits_.max_part_header_bytes));
      return n;
    }
    const size_t unused = header_buf_.size() - (end + 4);
    start_part(end >= 2 ? std::string_view(header_buf_).substr(2, end - 2) : std::string_view());
    header_buf_.clear();
    return n - unused;
  }

  void start_part(std::string_view block) {
    std::optional<std::string> disposition;
    std::optional<std::string> content_type;
    std::string ignored;
    std::string* last = nullptr;
    while (!block.empty()) {
      size_t eol = std::min(block.find("\r\n"), block.size());
      std::string_view line = block.substr(0, eol);
      block.remove_prefix(std::min(eol + 2, block.size()));
      if (line.empty() || line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        return fail(bad_request("malformed multipart part header"));
      }
      if (is_ows(line.front())) {  // obsolete line folding: continues the previous header
        if (last == nullptr) return fail(bad_request("malformed multipart part header"));
        last->append(" ").append(trim(line));
        continue;
      }
      size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos ||
          line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
        return fail(bad_request("malformed multipart part header"));
      }
      std::string_view name = line.substr(0, colon);
      std::optional<std::string>* slot = iequal(name, "content-disposition") ? &disposition
                                         : iequal(name, "content-type")      ? &content_type
                                                                             : nullptr;
      if (slot == nullptr) {
        last = &ignored;
        continue;
      }
      if (slot->has_value()) return fail(bad_request("duplicate " + std::string(name) + " in a multipart part"));
      *slot = std::string(trim(line.substr(colon + 1)));
      last = &**slot;
    }
    if (!disposition) return fail(bad_request("multipart part has no Content-Disposition header"));

    std::string_view cd = *disposition;
    size_t semi = std::min(cd.find(';'), cd.size());
    if (!iequal(trim(cd.substr(0, semi)), "form-data")) {
      return fail(bad_request("multipart part Content-Disposition is not form-data"));
    }
    Params params;
    if (!parse_params(cd.substr(semi), params)) {
      return fail(bad_request("malformed multipart Content-Disposition parameters"));
    }
    std::optional<std::string> name, filename, filename_ext;
    for (auto& [key, value] : params) {
      std::optional<std::string>* slot = key == "name"        ? &name
                                         : key == "filename"  ? &filename
                                         : key == "filename*" ? &filename_ext
                                                              : nullptr;
      if (slot == nullptr) continue;
      if (slot->has_value()) return fail(bad_request("duplicate " + key + " parameter in a multipart part"));
      *slot = std::move(value);
    }
    if (!name || name->empty()) return fail(bad_request("multipart part has no name"));
    if (filename_ext) {
      auto decoded = decode_ext_value(*filename_ext);
      if (!decoded) return fail(bad_request("malformed filename* parameter in a multipart part"));
      filename = std::move(decoded);
    }

    is_file_ = filename.has_value();
    if (is_file_) {
      file_ = FormFile{};
      file_.field_name = std::move(*name);
      file_.filename = std::move(*filename);
      file_.content_type = content_type.value_or("");
      if (!open_spool()) return;
    } else {
      field_ = FormField{};
      field_.name = std::move(*name);
      field_.content_type = content_type.value_or("");
    }
    state_ = State::Body;
  }

  bool open_spool() {
    int err = 0;
    for (int attempt = 0; attempt < kSpoolAttempts; ++attempt) {
      fs::path path = spool_dir_ / random_spool_name();
      int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd >= 0) {
        fd_ = fd;
        form_.owned_.push_back(path);
        file_.path = std::move(path);
        if (write_buf_.capacity() < kWriteChunk) write_buf_.reserve(kWriteChunk);
        return true;
      }
      err = errno;
      if (err != EEXIST) break;
    }
    fail(Error(Code::Internal, std::string("cannot create an upload spool file: ") + std::strerror(err)));
    return false;
  }

  void body_bytes(std::string_view data) {
    if (is_file_) {
      if (data.size() > limits_.max_file_bytes - file_.size) {
        return fail(too_large("file \"" + file_.field_name + "\"", limits_.max_file_bytes, file_.field_name));
      }
      file_.size += data.size();
      if (write_buf_.size() + data.size() < kWriteChunk) {
        write_buf_.append(data);
        return;
      }
      if (!flush()) return;
      if (data.size() >= kWriteChunk) {
        write_all(data);
      } else {
        write_buf_.append(data);
      }
    } else {
      if (data.size() > limits_.max_field_bytes - field_.value.size()) {
        return fail(too_large("field \"" + field_.name + "\"", limits_.max_field_bytes, field_.name));
      }
      field_.value.append(data);
    }
  }

  bool flush() {
    if (write_buf_.empty()) return true;
    bool ok = write_all(write_buf_);
    write_buf_.clear();
    return ok;
  }

  bool write_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(Error(Code::Internal, std::string("cannot write an upload spool file: ") + std::strerror(errno)));
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void end_part() {
    if (!is_file_) {
      form_.fields.push_back(std::move(field_));
      return;
    }
    if (!flush()) return;
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
      return fail(Error(Code::Internal, std::string("cannot write an upload spool file: ") + std::strerror(errno)));
    }
    form_.files.push_back(std::move(file_));
  }

  void close_file() {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  }

  void fail(Error e) {
    if (error_) return;
    close_file();
    form_.remove_files();
    form_.fields.clear();
    form_.files.clear();
    header_buf_.clear();
    write_buf_.clear();
    field_ = FormField{};
    error_ = std::move(e);
  }

  const std::string delim_;  // "\r\n--" boundary
  const MultipartLimits limits_;
  const fs::path spool_dir_;

  State state_ = State::Preamble;
  std::string carry_;       // unconsumed tail of earlier input: a possible split delimiter
  std::string header_buf_;  // the current part's header block, after a leading CRLF
  uint64_t total_ = 0;
  size_t parts_ = 0;
  std::optional<Error> error_;
  bool finished_ = false;
  MultipartForm form_;  // owns every spool file created so far, including the open one

  // The part being read.
  bool is_file_ = false;
  FormField field_;
  FormFile file_;
  int fd_ = -1;
  std::string write_buf_;  // small pieces of file data, written once kWriteChunk accumulate
};

MultipartParser::MultipartParser(std::string boundary, MultipartLimits limits, std::filesystem::path spool_dir)
    : impl_(std::make_unique<Impl>(std::move(boundary), limits, std::move(spool_dir))) {}

MultipartParser::~MultipartParser() = default;

core::Status MultipartParser::feed(std::string_view bytes) { return impl_->feed(bytes); }

core::Status MultipartParser::finish() { return impl_->finish(); }

MultipartForm MultipartParser::take() { return impl_->take(); }

// ---------------------------------------------------------------------------------------------

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  size_t semi = std::min(content_type.find(';'), content_type.size());
  if (!iequal(trim(content_type.substr(0, semi)), "multipart/form-data")) return std::nullopt;
  Params params;
  if (!parse_params(content_type.substr(semi), params)) return std::nullopt;
  std::optional<std::string> boundary;
  for (auto& [key, value] : params) {
    if (key != "boundary") continue;
    if (boundary) return std::nullopt;  // two boundaries: ambiguous
    boundary = std::move(value);
  }
  if (!boundary || !valid_boundary(*boundary)) return std::nullopt;
  return boundary;
}

}  // namespace docent::http
