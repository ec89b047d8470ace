#include "engines/html.h"

#include <gumbo.h>

#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

// The parse tree, destroyed with the options it was made with.
class GumboTree {
 public:
  explicit GumboTree(std::string_view html) : options_(kGumboDefaultOptions) {
    options_.max_errors = 0;  // we never read parse errors; don't spend memory on them
    output_ = gumbo_parse_with_options(&options_, html.data(), html.size());
  }
  ~GumboTree() {
    if (output_ != nullptr) gumbo_destroy_output(&options_, output_);
  }
  GumboTree(const GumboTree&) = delete;
  GumboTree& operator=(const GumboTree&) = delete;

  const GumboNode* root() const { return output_ != nullptr ? output_->document : nullptr; }

 private:
  GumboOptions options_;
  GumboOutput* output_ = nullptr;
};

const GumboVector* children_of(const GumboNode* node) {
  switch (node->type) {
    case GUMBO_NODE_DOCUMENT: return &node->v.document.children;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE: return &node->v.element.children;
    default: return nullptr;
  }
}

bool is_skipped(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_IFRAME: return true;
    default: return false;
  }
}

// Elements whose start and end end the paragraph before them.
bool is_block(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_BODY:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIR:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LEGEND:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_SUMMARY:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_UL: return true;
    default: return false;
  }
}

int heading_level(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_H1: return 1;
    case GUMBO_TAG_H2: return 2;
    case GUMBO_TAG_H3: return 3;
    case GUMBO_TAG_H4: return 4;
    case GUMBO_TAG_H5: return 5;
    case GUMBO_TAG_H6: return 6;
    default: return 0;
  }
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Appends `text` to `out` with runs of whitespace (and no-break spaces) as one space.
void append_collapsed(std::string& out, bool& pending_space, std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_space(c)) {
      pending_space = true;
    } else if (c == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      pending_space = true;
      ++i;
    } else {
      if (pending_space && !out.empty() && out.back() != '\n') out += ' ';
      pending_space = false;
      out += c;
    }
  }
}

// Collapsed text of a subtree (for <title>).
std::string text_of(const GumboNode* node) {
  std::string out;
  bool pending = false;
  std::vector<const GumboNode*> stack{node};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA || n->type == GUMBO_NODE_WHITESPACE) {
      append_collapsed(out, pending, n->v.text.text);
    } else if (const GumboVector* kids = children_of(n)) {
      for (unsigned i = kids->length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(kids->data[i - 1]));
    }
  }
  return std::string(trim(out));
}

const GumboNode* find_title(const GumboNode* root) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_TITLE) return n;
    if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_SVG) continue;  // <svg><title>
    if (const GumboVector* kids = children_of(n)) {
      for (unsigned i = kids->length; i > 0; --i) stack.push_back(static_cast<const GumboNode*>(kids->data[i - 1]));
    }
  }
  return nullptr;
}

// Inside a table cell, block elements (and the cells of a nested table) only separate words.
bool separates_words(GumboTag tag) {
  return is_block(tag) || heading_level(tag) > 0 || tag == GUMBO_TAG_PRE || tag == GUMBO_TAG_TD ||
         tag == GUMBO_TAG_TH || tag == GUMBO_TAG_TR;
}

// Walks the tree in document order (iteratively: nesting depth is the author's choice) and
// turns it into blocks.
class BlockBuilder {
 public:
  explicit BlockBuilder(uint64_t max_text_bytes) : max_text_bytes_(max_text_bytes) {}

  void walk(const GumboNode* root) {
    struct Frame {
      const GumboNode* node;
      unsigned next;
    };
    std::vector<Frame> stack{{root, 0}};
    while (!stack.empty() && !too_big_) {
      Frame& frame = stack.back();
      const GumboVector* kids = children_of(frame.node);
      if (kids == nullptr || frame.next >= kids->length) {
        leave(frame.node);
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(kids->data[frame.next++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_CDATA:
        case GUMBO_NODE_WHITESPACE: text(child->v.text.text); break;
        case GUMBO_NODE_ELEMENT:
          if (enter(child)) stack.push_back({child, 0});
          break;
        default: break;  // comments, templates
      }
    }
    flush();
  }

  bool too_big() const { return too_big_; }
  std::vector<Block>& blocks() { return blocks_; }

 private:
  // Returns whether to descend into the element.
  bool enter(const GumboNode* node) {
    const GumboTag tag = node->v.element.tag;
    if (is_skipped(tag)) return false;
    if (tag == GUMBO_TAG_BR) {
      line_break();
    } else if (tag == GUMBO_TAG_TR) {
      if (row_depth_++ == 0) {
        flush();
        cells_.clear();
      }
    } else if ((tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) && row_depth_ == 1) {
      cells_.emplace_back();
      pending_space_ = false;
    } else if (row_depth_ > 0) {
      if (separates_words(tag)) pending_space_ = true;
    } else if (int level = heading_level(tag); level > 0) {
      flush();
      heading_level_ = level;
    } else if (tag == GUMBO_TAG_PRE || tag == GUMBO_TAG_LISTING || tag == GUMBO_TAG_TEXTAREA) {
      flush();
      ++pre_depth_;
    } else if (is_block(tag)) {
      flush();
    }
    return true;
  }

  void leave(const GumboNode* node) {
    if (node->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = node->v.element.tag;
    if (tag == GUMBO_TAG_TR) {
      if (--row_depth_ == 0) end_row();
    } else if ((tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) && row_depth_ == 1) {
      pending_space_ = false;
    } else if (row_depth_ > 0) {
      if (separates_words(tag)) pending_space_ = true;
    } else if (heading_level(tag) > 0) {
      flush();
      heading_level_ = 0;
    } else if (tag == GUMBO_TAG_PRE || tag == GUMBO_TAG_LISTING || tag == GUMBO_TAG_TEXTAREA) {
      flush();
      if (pre_depth_ > 0) --pre_depth_;
    } else if (is_block(tag)) {
      flush();
    }
  }

  std::string& sink() { return row_depth_ > 0 && !cells_.empty() ? cells_.back() : buffer_; }

  void text(std::string_view t) {
    if (row_depth_ > 0 && cells_.empty()) return;  // stray text between cells
    std::string& out = sink();
    if (pre_depth_ > 0 && row_depth_ == 0) {
      out.append(t);
    } else {
      append_collapsed(out, pending_space_, t);
    }
    if (emitted_ + out.size() > max_text_bytes_) too_big_ = true;
  }

  void line_break() {
    std::string& out = sink();
    if (row_depth_ > 0) {
      pending_space_ = true;
    } else if (!out.empty()) {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += '\n';
      pending_space_ = false;
    }
  }

  void emit(std::string text, int level) {
    emitted_ += text.size();
    if (emitted_ > max_text_bytes_) too_big_ = true;
    blocks_.push_back(Block{std::move(text), level > 0, level, std::nullopt});
  }

  void flush() {
    std::string_view text = buffer_;
    if (pre_depth_ > 0) {
      while (!text.empty() && (text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
      while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    } else {
      text = trim(text);
    }
    if (!text.empty()) emit(std::string(text), heading_level_);
    buffer_.clear();
    pending_space_ = false;
  }

  void end_row() {
    std::string row;
    for (const auto& cell : cells_) {
      std::string_view c = trim(cell);
      if (c.empty()) continue;
      if (!row.empty()) row += " | ";
      row += c;
    }
    cells_.clear();
    pending_space_ = false;
    if (!row.empty()) emit(std::move(row), 0);
  }

  uint64_t max_text_bytes_;
  uint64_t emitted_ = 0;
  bool too_big_ = false;
  std::vector<Block> blocks_;
  std::string buffer_;  // the paragraph or heading being collected
  bool pending_space_ = false;
  int heading_level_ = 0;  // of the heading being collected; 0 in a paragraph
  int pre_depth_ = 0;
  int row_depth_ = 0;               // table rows we are inside (nested tables flatten into a cell)
  std::vector<std::string> cells_;  // of the outermost row
};

}  // namespace

core::Result<Document> extract_html(std::string_view html, const ParseLimits& limits) {
  GumboTree tree(html);
  if (tree.root() == nullptr) return Error(Code::ProcessingError, "the HTML parser failed");

  BlockBuilder builder(limits.max_text_bytes);
  builder.walk(tree.root());
  if (builder.too_big()) {
    return Error(Code::InvalidFormat,
                 "the document's text exceeds " + std::to_string(limits.max_text_bytes) + " bytes");
  }
  Document doc;
  doc.mime = "text/html";
  if (const GumboNode* title = find_title(tree.root())) doc.title = text_of(title);
  Page page;
  page.blocks = std::move(builder.blocks());
  if (doc.title.empty()) {
    for (const auto& b : page.blocks) {
      if (b.heading) {
        doc.title = b.text;
        break;
      }
    }
  }
  doc.pages.push_back(std::move(page));
  return doc;
}

core::Result<Document> extract_html_file(const std::filesystem::path& file, const ParseLimits& limits) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec) return Error(Code::Internal, "cannot read the file: " + ec.message());
  if (size > limits.max_uncompressed_bytes) {
    return Error(Code::InvalidFormat,
                 "the HTML is larger than " + std::to_string(limits.max_uncompressed_bytes) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Error(Code::Internal, "cannot read the file");
  }
  return extract_html(bytes, limits);
}

}  // namespace docent::engines
