#pragma once
// Small text helpers shared by the layers: limiting or cutting UTF-8 by characters, escaping HTML.

#include <string>
#include <string_view>

namespace docent::core {

// The number of code points in UTF-8 text (bytes that do not continue a sequence).
size_t utf8_length(std::string_view text);

// The first `n` code points of `text`, never cutting one in half.
std::string utf8_prefix(std::string_view text, size_t n);

// Appends code point `cp` (at most 0x10FFFF; the caller has replaced surrogates) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

// `text` safe inside HTML element content and quoted attributes: & < > " ' as entities.
std::string html_escape(std::string_view text);

}  // namespace docent::core
