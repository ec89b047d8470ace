#pragma once
// Serves files from one directory (the web UI). Request paths never escape the root: they are
// normalised, and any ".." or hidden segment is refused.

#include "http/message.h"

#include <filesystem>
#include <string_view>

namespace docent::http {

// The MIME type for a file name's extension; application/octet-stream when unknown.
std::string_view mime_for_extension(std::string_view filename);

// A handler for routes with a wildcard parameter named `param` ("{path...}"): serves
// root/<param>, and root/index.html for an empty path or a directory. 404 when missing.
Handler static_files(std::filesystem::path root, std::string param, ErrorRenderer render_error);

}  // namespace docent::http
