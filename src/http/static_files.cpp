#include "http/static_files.h"

#include <array>
#include <utility>

namespace docent::http {

std::string_view mime_for_extension(std::string_view filename) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
  }};
  size_t dot = filename.rfind('.');
  if (dot != std::string_view::npos) {
    std::string_view ext = filename.substr(dot);
    for (const auto& [e, type] : kTypes) {
      if (iequals(e, ext)) return type;
    }
  }
  return "application/octet-stream";
}

Handler static_files(std::filesystem::path root, std::string param, ErrorRenderer render_error) {
  return [root = std::move(root), param = std::move(param), render_error = std::move(render_error)](Request& req) {
    auto not_found = [&] { return render_error(req, core::Error(core::Code::NotFound, "no such file: " + req.path)); };
    std::string_view rel = req.param(param);
    std::filesystem::path path = root;
    size_t i = 0;
    while (i <= rel.size()) {
      size_t j = rel.find('/', i);
      if (j == std::string_view::npos) j = rel.size();
      std::string_view seg = rel.substr(i, j - i);
      i = j + 1;
      if (seg.empty()) continue;
      if (seg[0] == '.' || seg.find('\\') != std::string_view::npos || seg.find('\0') != std::string_view::npos) {
        return not_found();
      }
      path /= std::string(seg);
    }
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) path /= "index.html";
    if (!std::filesystem::is_regular_file(path, ec)) return not_found();
    Response res = Response::send_file(path, std::string(mime_for_extension(path.filename().string())));
    res.headers.set("Cache-Control", "no-cache");
    res.headers.set("X-Content-Type-Options", "nosniff");
    return res;
  };
}

}  // namespace docent::http
