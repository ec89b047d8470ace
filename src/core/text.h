#pragma once
// Small UTF-8 helpers shared by the layers that limit or cut text by characters.

#include <string>
#include <string_view>

namespace docent::core {

// The number of code points in UTF-8 text (bytes that do not continue a sequence).
size_t utf8_length(std::string_view text);

// The first `n` code points of `text`, never cutting one in half.
std::string utf8_prefix(std::string_view text, size_t n);

}  // namespace docent::core
