#include "engines/image.h"

#include <leptonica/allheaders.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <system_error>

namespace docent::engines {

namespace {

core::Error not_an_image(std::string why) {
  return core::Error(core::Code::InvalidFormat, "not a readable image (" + std::move(why) + ")");
}

// Little-endian reads from a stream; nullopt at end of file.
std::optional<uint32_t> read_le(std::istream& in, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    int c = in.get();
    if (c == std::char_traits<char>::eof()) return std::nullopt;
    v |= static_cast<uint32_t>(c) << (8 * i);
  }
  return v;
}

bool skip(std::istream& in, std::streamoff n) { return static_cast<bool>(in.seekg(n, std::ios::cur)); }

// Skips a GIF data sub-block chain (length-prefixed runs ending with a zero length).
bool skip_gif_sub_blocks(std::istream& in) {
  while (true) {
    auto n = read_le(in, 1);
    if (!n) return false;
    if (*n == 0) return true;
    if (!skip(in, *n)) return false;
  }
}

// giflib decodes every frame of a GIF (DGifSlurp) and leptonica's pixReadHeader decodes the whole
// file, so the frames are walked here: their sizes are in the image descriptors.
core::Result<ImageHeader> read_gif_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || !skip(in, 6)) return not_an_image("truncated GIF");
  auto screen_w = read_le(in, 2), screen_h = read_le(in, 2), packed = read_le(in, 1);
  if (!screen_w || !screen_h || !packed || !skip(in, 2)) return not_an_image("truncated GIF");
  if (*packed & 0x80) skip(in, 3 * (1 << ((*packed & 7) + 1)));
  ImageHeader h{.mime = "image/gif"};
  int frames = 0;
  while (true) {
    auto kind = read_le(in, 1);
    if (!kind || *kind == 0x3B) break;  // end of file or trailer
    if (*kind == 0x21) {                // extension: label, then sub-blocks
      if (!skip(in, 1) || !skip_gif_sub_blocks(in)) break;
    } else if (*kind == 0x2C) {  // image descriptor
      if (!skip(in, 4)) break;
      auto w = read_le(in, 2), hh = read_le(in, 2), flags = read_le(in, 1);
      if (!w || !hh || !flags) break;
      if (frames++ == 0) {
        h.width = static_cast<int>(*w);
        h.height = static_cast<int>(*hh);
      }
      h.pixels += static_cast<int64_t>(*w) * *hh;
      if (*flags & 0x80) skip(in, 3 * (1 << ((*flags & 7) + 1)));
      if (!skip(in, 1) || !skip_gif_sub_blocks(in)) break;  // LZW code size, then the data
    } else {
      break;  // not GIF syntax; the decoder will have its say
    }
  }
  if (frames == 0 || h.width == 0 || h.height == 0) return not_an_image("a GIF without an image");
  return h;
}

// Leptonica's pixReadHeader reads a whole BMP to learn its size; the size is in the DIB header.
core::Result<ImageHeader> read_bmp_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in || !skip(in, 14)) return not_an_image("truncated BMP");
  auto dib_size = read_le(in, 4);
  if (!dib_size) return not_an_image("truncated BMP");
  ImageHeader h{.mime = "image/bmp"};
  if (*dib_size == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
    auto w = read_le(in, 2), hh = read_le(in, 2);
    if (!w || !hh) return not_an_image("truncated BMP");
    h.width = static_cast<int>(*w);
    h.height = static_cast<int>(*hh);
  } else {
    auto w = read_le(in, 4), hh = read_le(in, 4);
    if (!w || !hh) return not_an_image("truncated BMP");
    const int64_t sw = static_cast<int32_t>(*w);
    const int64_t sh = std::abs(static_cast<int64_t>(static_cast<int32_t>(*hh)));  // negative: top-down rows
    if (sw <= 0 || sh <= 0 || sh > INT32_MAX) return not_an_image("bad BMP size");
    h.width = static_cast<int>(sw);
    h.height = static_cast<int>(sh);
  }
  if (h.width <= 0 || h.height <= 0) return not_an_image("bad BMP size");
  h.pixels = static_cast<int64_t>(h.width) * h.height;
  return h;
}

std::optional<std::string> mime_of(l_int32 format) {
  switch (format) {
    case IFF_BMP: return "image/bmp";
    case IFF_JFIF_JPEG: return "image/jpeg";
    case IFF_PNG: return "image/png";
    case IFF_TIFF:
    case IFF_TIFF_PACKBITS:
    case IFF_TIFF_RLE:
    case IFF_TIFF_G3:
    case IFF_TIFF_G4:
    case IFF_TIFF_LZW:
    case IFF_TIFF_ZIP:
    case IFF_TIFF_JPEG: return "image/tiff";
    case IFF_PNM: return "image/x-portable-anymap";
    case IFF_GIF: return "image/gif";
    case IFF_JP2: return "image/jp2";
    case IFF_WEBP: return "image/webp";
    default: return std::nullopt;  // unknown, PostScript, PDF, leptonica's own serialization
  }
}

// Leptonica prints every decoding complaint to stderr; about untrusted uploads that is noise, and
// the failure reaches the caller as an Error anyway.
void quiet_leptonica() {
  static std::once_flag once;
  std::call_once(once, [] { setMsgSeverity(L_SEVERITY_NONE); });
}

}  // namespace

core::Result<ImageHeader> read_image_header(const std::filesystem::path& path) {
  quiet_leptonica();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return core::Error(core::Code::NotFound, "no such file: " + path.string());
  if (std::filesystem::file_size(path, ec) < 12 || ec) return not_an_image("too short");
  l_int32 format = IFF_UNKNOWN;
  if (findFileFormat(path.c_str(), &format) != 0) return not_an_image("unknown image format");
  auto mime = mime_of(format);
  if (!mime) return not_an_image("not an image format that can be OCR'd");
  if (format == IFF_GIF) return read_gif_header(path);
  if (format == IFF_BMP) return read_bmp_header(path);
  l_int32 w = 0, h = 0;
  if (pixReadHeader(path.c_str(), &format, &w, &h, nullptr, nullptr, nullptr) != 0 || w <= 0 || h <= 0)
    return not_an_image("damaged " + *mime + " header");
  return ImageHeader{.mime = *mime, .width = w, .height = h, .pixels = static_cast<int64_t>(w) * h};
}

core::Result<Document> extract_image(const std::filesystem::path& path, Ocr& ocr, const ParseLimits& limits) {
  auto header = read_image_header(path);
  if (!header) return std::move(header).error();
  auto blocks = ocr.recognize_file(path);  // checks the size again, before decoding
  if (!blocks) return std::move(blocks).error();

  Document doc;
  doc.mime = header->mime;
  Page& page = doc.pages.emplace_back();
  page.number = 1;
  page.ocr = true;
  page.blocks = std::move(*blocks);
  if (doc.text_bytes() > limits.max_text_bytes) {
    core::Error e(core::Code::InvalidFormat,
                  "the image's text exceeds the limit of " + std::to_string(limits.max_text_bytes) + " bytes");
    e.details["max_text_bytes"] = limits.max_text_bytes;
    return e;
  }
  return doc;
}

}  // namespace docent::engines
