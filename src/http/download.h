#pragma once
// Answering with a file the client should save rather than display: the Content-Disposition of
// RFC 6266 built from a name that came from a user.

#include "http/message.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace docent::http {

// The Content-Disposition value for saving a file named `filename`: `attachment`, the name's last
// path component only (after the last '/' or '\'; "." and ".." and an empty name become
// "download"), as a quoted ASCII `filename` (quotes, backslashes, '%', control characters and
// non-ASCII characters replaced by '_'), and, when that fallback is not the name itself, the exact
// name as `filename*=UTF-8''<percent-encoded>`.
std::string attachment_disposition(std::string_view filename);

// The file at `path` as an attachment named `filename` (above), whatever its type: an uploaded
// HTML or SVG file is never rendered by a browser on this origin. Adds a Content-Security-Policy
// that sandboxes it all the same, should a browser display it.
Response attachment(std::filesystem::path path, std::string content_type, std::string_view filename);

}  // namespace docent::http
