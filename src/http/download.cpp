#include "http/download.h"

namespace docent::http {

namespace {

std::string_view base_name(std::string_view name) {
  if (size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (name.empty() || name == "." || name == "..") return "download";
  return name;
}

// RFC 8187 attr-char: sent as it is; every other byte is percent-encoded.
bool attr_char(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

std::string attachment_disposition(std::string_view filename) {
  const std::string_view name = base_name(filename);
  std::string fallback;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 0x80) {
      fallback.push_back('_');  // one for the whole UTF-8 sequence: skip its continuation bytes
      while (i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) ++i;
    } else if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '%') {
      fallback.push_back('_');
    } else {
      fallback.push_back(static_cast<char>(c));
    }
  }
  std::string out = "attachment; filename=\"" + fallback + "\"";
  if (fallback != name) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "; filename*=UTF-8''";
    for (unsigned char c : name) {
      if (attr_char(c)) {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      }
    }
  }
  return out;
}

Response attachment(std::filesystem::path path, std::string content_type, std::string_view filename) {
  Response res = Response::send_file(std::move(path), std::move(content_type));
  res.headers.set("Content-Disposition", attachment_disposition(filename));
  res.headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
  return res;
}

}  // namespace docent::http
