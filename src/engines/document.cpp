#include "engines/document.h"

namespace docent::engines {

std::string Page::text() const {
  std::string out;
  for (const auto& b : blocks) {
    if (b.text.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += b.text;
  }
  return out;
}

size_t Document::text_bytes() const {
  size_t n = 0;
  for (const auto& p : pages) {
    for (const auto& b : p.blocks) n += b.text.size();
  }
  return n;
}

}  // namespace docent::engines
