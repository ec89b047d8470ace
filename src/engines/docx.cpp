#include "engines/docx.h"

#include "engines/sniff.h"

#include <pugixml.hpp>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

constexpr int kMaxDepth = 256;
constexpr std::string_view kMainNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr std::string_view kStrictNamespace = "http://purl.oclc.org/ooxml/wordprocessingml/main";

Error not_docx() { return Error(Code::InvalidFormat, "not a DOCX file"); }

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileClose {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipDiscard>;
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileClose>;

// The archive, read member by member against one budget of inflated bytes.
class Archive {
 public:
  static core::Result<Archive> open(const std::filesystem::path& file, uint64_t budget) {
    int error = 0;
    zip_t* z = zip_open(file.c_str(), ZIP_RDONLY, &error);
    if (z == nullptr) {
      if (error == ZIP_ER_NOENT) return Error(Code::NotFound, "the file does not exist");
      if (error == ZIP_ER_OPEN) return Error(Code::Internal, "cannot open the file");
      return not_docx();
    }
    return Archive(ZipPtr(z), budget);
  }

  // The member's bytes, std::nullopt when there is no such member.
  core::Result<std::optional<std::string>> read(const char* name) {
    zip_int64_t index = zip_name_locate(zip_.get(), name, ZIP_FL_NOCASE);
    if (index < 0) return std::optional<std::string>();
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_.get(), static_cast<zip_uint64_t>(index), 0, &st) != 0) return not_docx();
    if ((st.valid & ZIP_STAT_SIZE) != 0) {
      if (st.size > remaining()) return too_big();
      if ((st.valid & ZIP_STAT_COMP_SIZE) != 0 && st.size > kCompressionRatioFloorBytes &&
          st.size / std::max<zip_uint64_t>(st.comp_size, 1) > kMaxCompressionRatio) {
        return Error(Code::InvalidFormat, "the DOCX looks like a zip bomb (" + std::string(name) + " would expand " +
                                              std::to_string(st.size / std::max<zip_uint64_t>(st.comp_size, 1)) +
                                              " times)");
      }
    }
    ZipFilePtr member(zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!member) return Error(Code::InvalidFormat, "the DOCX member " + std::string(name) + " cannot be read");
    std::string bytes;
    if ((st.valid & ZIP_STAT_SIZE) != 0) bytes.reserve(static_cast<size_t>(st.size));
    char chunk[64 * 1024];
    while (true) {
      zip_int64_t n = zip_fread(member.get(), chunk, sizeof chunk);
      if (n < 0) return Error(Code::InvalidFormat, "the DOCX member " + std::string(name) + " is corrupt");
      if (n == 0) break;
      // Count what actually inflates: the declared size may lie.
      if (static_cast<uint64_t>(n) > remaining()) return too_big();
      used_ += static_cast<uint64_t>(n);
      bytes.append(chunk, static_cast<size_t>(n));
    }
    return std::optional<std::string>(std::move(bytes));
  }

 private:
  Archive(ZipPtr zip, uint64_t budget) : zip_(std::move(zip)), budget_(budget) {}
  uint64_t remaining() const { return budget_ - used_; }
  Error too_big() const {
    return Error(Code::InvalidFormat, "the DOCX expands beyond " + std::to_string(budget_) + " bytes");
  }

  ZipPtr zip_;
  uint64_t budget_;
  uint64_t used_ = 0;
};

// Element names compared with the document's own prefix for the WordprocessingML namespace
// (almost always "w:", but the namespace, not the prefix, is what counts).
class Names {
 public:
  explicit Names(pugi::xml_node root) {
    for (pugi::xml_attribute a : root.attributes()) {
      std::string_view name = a.name();
      std::string_view value = a.value();
      if (value != kMainNamespace && value != kStrictNamespace) continue;
      if (name == "xmlns") {
        prefix_.clear();
        return;
      }
      if (name.substr(0, 6) == "xmlns:") {
        prefix_ = std::string(name.substr(6)) + ":";
        return;
      }
    }
  }

  bool is(pugi::xml_node node, std::string_view local) const {
    std::string_view name = node.name();
    return name.size() == prefix_.size() + local.size() && name.substr(0, prefix_.size()) == prefix_ &&
           name.substr(prefix_.size()) == local;
  }
  pugi::xml_node child(pugi::xml_node node, std::string_view local) const {
    for (pugi::xml_node c : node.children()) {
      if (is(c, local)) return c;
    }
    return {};
  }
  std::string_view attr(pugi::xml_node node, std::string_view local) const {
    for (pugi::xml_attribute a : node.attributes()) {
      std::string_view name = a.name();
      if (name.size() == prefix_.size() + local.size() && name.substr(0, prefix_.size()) == prefix_ &&
          name.substr(prefix_.size()) == local) {
        return a.value();
      }
    }
    return {};
  }

 private:
  std::string prefix_ = "w:";
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "heading 3" / "Heading3" -> 3, "title" -> 1, else 0.
int level_from_name(std::string_view name) {
  std::string n = lower(name);
  if (n == "title") return 1;
  if (n.size() < 8 || n.substr(0, 7) != "heading") return 0;
  std::string_view rest = std::string_view(n).substr(7);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.size() == 1 && rest[0] >= '1' && rest[0] <= '9') return rest[0] - '0';
  return 0;
}

int level_from_outline(std::string_view value) {
  if (value.size() == 1 && value[0] >= '0' && value[0] <= '8') return value[0] - '0' + 1;
  return 0;  // 9 is body text
}

// Paragraph style id -> heading level (0: not a heading), from word/styles.xml.
class StyleLevels {
 public:
  void load(const pugi::xml_document& styles) {
    pugi::xml_node root = styles.document_element();
    Names w(root);
    for (pugi::xml_node s : root.children()) {
      if (!w.is(s, "style") || w.attr(s, "type") != "paragraph") continue;
      Style style;
      style.name = w.attr(w.child(s, "name"), "val");
      style.based_on = w.attr(w.child(s, "basedOn"), "val");
      style.outline = level_from_outline(w.attr(w.child(w.child(s, "pPr"), "outlineLvl"), "val"));
      styles_[std::string(w.attr(s, "styleId"))] = std::move(style);
    }
  }

  int level(std::string_view id) const {
    for (int hops = 0; hops < 16 && !id.empty(); ++hops) {
      auto it = styles_.find(std::string(id));
      if (it == styles_.end()) return level_from_name(id);
      if (int l = level_from_name(it->second.name); l > 0) return l;
      if (hops == 0) {
        if (int l = level_from_name(id); l > 0) return l;
      }
      if (it->second.outline > 0) return it->second.outline;
      id = it->second.based_on;
    }
    return 0;
  }

 private:
  struct Style {
    std::string name;
    std::string based_on;
    int outline = 0;
  };
  std::map<std::string, Style, std::less<>> styles_;
};

// Walks w:body in document order and lays its text out as pages of blocks.
class BodyWalker {
 public:
  BodyWalker(const Names& w, const StyleLevels& styles, const ParseLimits& limits)
      : w_(w), styles_(styles), limits_(limits) {
    pages_.push_back(Page{1, {}, false});
  }

  core::Status walk(pugi::xml_node body) {
    container(body, 0);
    if (error_) return *error_;
    return core::Status::Ok();
  }

  std::vector<Page> take_pages() { return std::move(pages_); }

 private:
  // Block-level content: paragraphs, tables, and the wrappers (content controls, custom XML)
  // that hold them.
  void container(pugi::xml_node parent, int depth) {
    if (!deep_enough(depth)) return;
    for (pugi::xml_node n : parent.children()) {
      if (error_) return;
      if (w_.is(n, "p")) {
        paragraph(n, depth + 1);
      } else if (w_.is(n, "tbl")) {
        table(n, depth + 1);
      } else if (w_.is(n, "sdt")) {
        container(w_.child(n, "sdtContent"), depth + 1);
      } else if (w_.is(n, "customXml") || w_.is(n, "ins") || w_.is(n, "sdtContent")) {
        container(n, depth + 1);
      }
    }
  }

  void paragraph(pugi::xml_node p, int depth) {
    pugi::xml_node ppr = w_.child(p, "pPr");
    level_ = styles_.level(w_.attr(w_.child(ppr, "pStyle"), "val"));
    if (int outline = level_from_outline(w_.attr(w_.child(ppr, "outlineLvl"), "val")); outline > 0) {
      level_ = outline;
    }
    pugi::xml_node before = w_.child(ppr, "pageBreakBefore");
    if (before && w_.attr(before, "val") != "0" && w_.attr(before, "val") != "false") hard_break();
    runs(p, depth + 1);
    end_paragraph();
    level_ = 0;
  }

  // The text of everything inside a paragraph, in order.
  void runs(pugi::xml_node parent, int depth) {
    if (!deep_enough(depth)) return;
    for (pugi::xml_node n : parent.children()) {
      if (error_) return;
      if (n.type() != pugi::node_element) continue;
      if (w_.is(n, "t")) {
        add_text(n.text().get());
      } else if (w_.is(n, "tab")) {
        add_text("\t");
      } else if (w_.is(n, "br")) {
        std::string_view type = w_.attr(n, "type");
        if (type == "page") {
          hard_break();
        } else {
          add_text("\n");
        }
      } else if (w_.is(n, "cr")) {
        add_text("\n");
      } else if (w_.is(n, "noBreakHyphen")) {
        add_text("-");
      } else if (w_.is(n, "lastRenderedPageBreak")) {
        rendered_break();
      } else if (w_.is(n, "pPr") || w_.is(n, "rPr") || w_.is(n, "delText") || w_.is(n, "instrText") ||
                 w_.is(n, "del") || w_.is(n, "moveFrom")) {
        continue;
      } else if (std::string_view(n.name()).ends_with("Fallback")) {
        continue;  // mc:Fallback repeats mc:Choice (text boxes drawn twice)
      } else if (w_.is(n, "p")) {
        add_text(" ");  // a paragraph in a text box inside this one
        runs(n, depth + 1);
        add_text(" ");
      } else {
        runs(n, depth + 1);  // w:r, w:hyperlink, w:ins, w:smartTag, w:fldSimple, drawings ...
      }
    }
  }

  void table(pugi::xml_node tbl, int depth) {
    if (!deep_enough(depth)) return;
    for (pugi::xml_node tr : tbl.children()) {
      if (error_) return;
      if (!w_.is(tr, "tr")) continue;
      std::vector<std::string> cells;
      for (pugi::xml_node tc : tr.children()) {
        if (!w_.is(tc, "tc")) continue;
        cells.push_back(cell_text(tc, depth + 2));
      }
      std::string row;
      for (const auto& c : cells) {
        std::string_view t = trim(c);
        if (t.empty()) continue;
        if (!row.empty()) row += " | ";
        row += t;
      }
      if (row_page_break_) {
        row_page_break_ = false;
        new_page();
      }
      if (!row.empty()) emit(std::move(row), 0);
    }
  }

  // A cell's paragraphs (and nested tables) as one line of text.
  std::string cell_text(pugi::xml_node tc, int depth) {
    std::string saved = std::move(text_);
    text_.clear();
    ++in_table_;
    cell_content(tc, depth);
    --in_table_;
    std::string out = collapse_lines(text_);
    text_ = std::move(saved);
    return out;
  }

  void cell_content(pugi::xml_node parent, int depth) {
    if (!deep_enough(depth)) return;
    for (pugi::xml_node n : parent.children()) {
      if (error_) return;
      if (w_.is(n, "p")) {
        runs(n, depth + 1);
        text_ += ' ';
      } else if (w_.is(n, "tbl")) {
        for (pugi::xml_node tr : n.children()) {
          if (!w_.is(tr, "tr")) continue;
          for (pugi::xml_node tc : tr.children()) {
            if (!w_.is(tc, "tc")) continue;
            cell_content(tc, depth + 3);
            text_ += ' ';
          }
        }
      } else if (w_.is(n, "sdt")) {
        cell_content(w_.child(n, "sdtContent"), depth + 1);
      } else if (w_.is(n, "customXml") || w_.is(n, "sdtContent")) {
        cell_content(n, depth + 1);
      }
    }
  }

  static std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
  }

  // Whitespace runs (line breaks and tabs included) as one space.
  static std::string collapse_lines(std::string_view s) {
    std::string out;
    bool space = false;
    for (char c : s) {
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
    return out;
  }

  bool deep_enough(int depth) {
    if (depth <= kMaxDepth) return true;
    if (!error_)
      error_ = Error(Code::InvalidFormat, "the DOCX nests deeper than " + std::to_string(kMaxDepth) + " levels");
    return false;
  }

  void add_text(std::string_view t) {
    if (t.empty()) return;
    text_ += t;
    if (in_table_ == 0 && t.find_first_not_of(" \t\n") != std::string_view::npos) fresh_hard_break_ = false;
    if (emitted_ + text_.size() > limits_.max_text_bytes) fail_text();
  }

  void end_paragraph() {
    std::string_view t = trim(text_);
    if (!t.empty()) emit(std::string(t), level_);
    text_.clear();
  }

  void emit(std::string text, int level) {
    emitted_ += text.size();
    if (emitted_ > limits_.max_text_bytes) fail_text();
    fresh_hard_break_ = false;
    pages_.back().blocks.push_back(Block{std::move(text), level > 0, level, std::nullopt});
  }

  void hard_break() {
    if (in_table_ > 0) {
      row_page_break_ = true;
      return;
    }
    end_paragraph();
    new_page();
    fresh_hard_break_ = true;
  }

  // Word's record of where a page ended when it last laid the document out. Right after a hard
  // break (with no text between) it marks the same page boundary, so it is not a new one.
  void rendered_break() {
    if (fresh_hard_break_) return;
    if (in_table_ > 0) {
      row_page_break_ = true;
      return;
    }
    if (pages_.size() == 1 && pages_.back().blocks.empty() && trim(text_).empty()) return;
    end_paragraph();
    new_page();
  }

  void new_page() {
    if (static_cast<int64_t>(pages_.size()) >= limits_.max_pages) {
      if (!error_) {
        error_ = Error(Code::InvalidFormat,
                       "the document has more than " + std::to_string(limits_.max_pages) + " pages");
      }
      return;
    }
    pages_.push_back(Page{static_cast<int>(pages_.size()) + 1, {}, false});
  }

  void fail_text() {
    if (!error_) {
      error_ = Error(Code::InvalidFormat,
                     "the document's text exceeds " + std::to_string(limits_.max_text_bytes) + " bytes");
    }
  }

  const Names& w_;
  const StyleLevels& styles_;
  const ParseLimits& limits_;
  std::vector<Page> pages_;
  std::string text_;  // of the paragraph (or cell) being read
  int level_ = 0;     // heading level of the paragraph being read
  int in_table_ = 0;
  bool row_page_break_ = false;    // a page break inside the current table row
  bool fresh_hard_break_ = false;  // a hard page break and no text since
  uint64_t emitted_ = 0;
  std::optional<Error> error_;
};

// Parses XML we own the buffer of. pugixml never expands external or user-defined entities, so
// no XXE or billion-laughs. Whitespace-only text is kept when it is an element's only child:
// <w:t xml:space="preserve"> </w:t> is the space between two words.
core::Status parse_xml(pugi::xml_document& doc, std::string& bytes, std::string_view part) {
  constexpr unsigned kOptions = pugi::parse_default | pugi::parse_ws_pcdata_single;
  pugi::xml_parse_result r = doc.load_buffer_inplace(bytes.data(), bytes.size(), kOptions);
  if (!r) {
    return Error(Code::InvalidFormat, "the DOCX's " + std::string(part) + " is not well-formed XML (" +
                                          r.description() + " at byte " + std::to_string(r.offset) + ")");
  }
  return core::Status::Ok();
}

std::string core_title(pugi::xml_node root) {
  for (pugi::xml_node n : root.children()) {
    std::string_view name = n.name();
    if (name == "dc:title" || name == "title" || name.ends_with(":title")) {
      std::string title = n.text().get();
      size_t b = title.find_first_not_of(" \t\r\n");
      size_t e = title.find_last_not_of(" \t\r\n");
      return b == std::string::npos ? std::string() : title.substr(b, e - b + 1);
    }
  }
  return {};
}

}  // namespace

core::Result<Document> extract_docx(const std::filesystem::path& file, const ParseLimits& limits) {
  auto archive = Archive::open(file, limits.max_uncompressed_bytes);
  if (!archive) return std::move(archive).error();

  auto document_xml = archive->read("word/document.xml");
  if (!document_xml) return std::move(document_xml).error();
  if (!document_xml->has_value()) return not_docx();

  StyleLevels styles;
  auto styles_xml = archive->read("word/styles.xml");
  if (!styles_xml) return std::move(styles_xml).error();
  pugi::xml_document styles_doc;
  if (styles_xml->has_value()) {
    // A broken styles part only costs us localized heading names; the text is still there.
    if (parse_xml(styles_doc, **styles_xml, "word/styles.xml").ok()) styles.load(styles_doc);
  }

  Document doc;
  doc.mime = std::string(kDocxMime);
  auto core_xml = archive->read("docProps/core.xml");
  if (!core_xml) return std::move(core_xml).error();
  pugi::xml_document core_doc;
  if (core_xml->has_value() && parse_xml(core_doc, **core_xml, "docProps/core.xml").ok()) {
    doc.title = core_title(core_doc.document_element());
  }

  pugi::xml_document xml;
  if (auto s = parse_xml(xml, **document_xml, "word/document.xml"); !s) return s.error();
  pugi::xml_node root = xml.document_element();
  Names w(root);
  if (!w.is(root, "document")) return not_docx();

  BodyWalker walker(w, styles, limits);
  if (auto s = walker.walk(w.child(root, "body")); !s) return s.error();
  doc.pages = walker.take_pages();
  if (doc.title.empty()) {
    for (const auto& page : doc.pages) {
      auto it = std::find_if(page.blocks.begin(), page.blocks.end(), [](const Block& b) { return b.heading; });
      if (it != page.blocks.end()) {
        doc.title = it->text;
        break;
      }
    }
  }
  return doc;
}

}  // namespace docent::engines
