// libFuzzer target for the streaming multipart parser. The first input byte picks how the rest is
// cut into feed() pieces; the same bytes are also parsed in one piece, and the two outcomes must
// agree exactly (chunking never changes a result, within the total limit). Spool files must never outlive a form or an
// error, and every limit must hold.

#include "http/multipart.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace {

namespace fs = std::filesystem;
using docent::http::MultipartForm;
using docent::http::MultipartLimits;
using docent::http::MultipartParser;

constexpr std::string_view kBoundary = "bnd";

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "multipart_fuzz invariant broken: %s\n", what);
  std::abort();
}

// Under $TMPDIR (default /tmp), one per process; run.sh points TMPDIR at build-fuzz/tmp/.
const fs::path& spool_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("docent-multipart-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(spool_dir(), ec);
    });
    return d;
  }();
  return dir;
}

bool spool_empty() { return fs::directory_iterator(spool_dir()) == fs::directory_iterator(); }

MultipartLimits limits() {
  MultipartLimits l;
  l.max_parts = 8;
  l.max_part_header_bytes = 256;
  l.max_field_bytes = 512;
  l.max_file_bytes = 2048;
  l.max_total_bytes = 3000;  // below libFuzzer's default max_len, so the limit gets hit
  return l;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The size of the next piece under chunking pattern `mode` (0 = everything at once).
size_t next_piece(uint8_t mode, size_t index, uint32_t& rng, std::string_view rest) {
  switch (mode & 7) {
    case 0: return rest.size();
    case 1: return 1;
    case 2: return 2;
    case 3: return kBoundary.size() + 4;  // the delimiter's length: splits land on every offset
    case 4: return 7 + index % 5;
    case 5: return 1 + (index * 37) % 64;
    case 6: rng = rng * 1103515245u + 12345u; return 1 + (rng >> 16) % (1 + (mode >> 3) * 4);
    default: {  // a byte of the input says how long the piece is
      size_t n = rest.empty() ? 1 : static_cast<uint8_t>(rest[0]) % 17;
      return n == 0 ? 1 : n;
    }
  }
}

// Parses `body` and renders the outcome canonically; checks limits and spool hygiene on the way.
std::string run(std::string_view body, uint8_t mode) {
  const MultipartLimits lim = limits();
  MultipartParser parser{std::string(kBoundary), lim, spool_dir()};
  uint32_t rng = mode;
  docent::core::Status st;
  size_t index = 0;
  std::string_view rest = body;
  while (!rest.empty()) {
    size_t n = std::min(next_piece(mode, index++, rng, rest), rest.size());
    st = parser.feed(rest.substr(0, n));
    rest.remove_prefix(n);
    if (!st.ok()) break;
  }
  if (st.ok()) st = parser.finish();
  if (!st.ok()) {
    const auto& first = st.error();
    auto again = parser.feed("--bnd--");
    if (again.ok() || again.error().code != first.code || again.error().message != first.message) {
      die("error not sticky");
    }
    if (parser.finish().ok()) die("finish succeeded after an error");
    if (!parser.take().files.empty()) die("take returned files after an error");
    if (!spool_empty()) die("spool file left after an error");
    return "error " + std::string(docent::core::code_name(first.code)) + " " + first.message;
  }

  std::string out;
  {
    MultipartForm form = parser.take();
    if (form.fields.size() + form.files.size() > lim.max_parts) die("too many parts");
    for (const auto& f : form.fields) {
      if (f.name.empty()) die("empty field name");
      if (f.value.size() > lim.max_field_bytes) die("field over its limit");
      out += "field " + f.name + "=" + f.value + ";" + f.content_type + "\n";
    }
    for (const auto& f : form.files) {
      if (f.path.parent_path() != spool_dir()) die("spool file outside the spool dir");
      if (f.size > lim.max_file_bytes) die("file over its limit");
      std::string data = slurp(f.path);
      if (data.size() != f.size) die("file size mismatch");
      out += "file " + f.field_name + "/" + f.filename + ";" + f.content_type + "=" + data + "\n";
    }
    MultipartForm moved = std::move(form);
    if (!form.files.empty()) die("moved-from form kept files");
  }
  if (!spool_empty()) die("spool file left after the form was destroyed");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string chunked = run(body, mode);
  // Over the total limit, which error comes first legitimately depends on the piece sizes.
  if ((mode & 7) != 0 && body.size() <= limits().max_total_bytes) {
    std::string whole = run(body, 0);
    if (whole != chunked) {
      std::fprintf(stderr, "whole:   %s\nchunked: %s\n", whole.c_str(), chunked.c_str());
      die("chunking changed the result");
    }
  }
  return 0;
}
