#include "engines/pptx.h"

#include "core/text.h"

#include "core/time.h"

#include <zip.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <utility>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

constexpr std::string_view kXmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
constexpr std::string_view kNs =
    " xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\""
    " xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
    " xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";
constexpr std::string_view kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

// Slide geometry in EMU (914400 per inch): 16:9 at 13.333 × 7.5 inches.
constexpr int64_t kSlideWidth = 12192000;
constexpr int64_t kSlideHeight = 6858000;

// Decodes one UTF-8 sequence at text[i], advancing i; U+FFFD for a malformed one.
char32_t next_code_point(std::string_view text, size_t& i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + extra >= text.size()) {
    i = text.size();
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) {
      i += k;
      return 0xFFFD;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  i += extra + 1;
  static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
  return cp;
}

// `text` as XML character data: markup characters escaped, malformed UTF-8 replaced, characters
// XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) dropped, and line breaks turned into spaces
// (a paragraph's run holds one line).
std::string xml_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char32_t cp = next_code_point(text, i);
    switch (cp) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\t': out += ' '; break;
      case '\n':
      case '\r': out += ' '; break;
      default:
        if (cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF) break;
        core::append_utf8(out, cp);
    }
  }
  return out;
}

std::string rel(std::string_view id, std::string_view type, std::string_view target) {
  std::string out = "<Relationship Id=\"";
  out += id;
  out += "\" Type=\"";
  out += type;
  out += "\" Target=\"";
  out += target;
  out += "\"/>";
  return out;
}

std::string office_rel(std::string_view id, std::string_view kind, std::string_view target) {
  return rel(id, std::string(kRelNs) + std::string(kind), target);
}

std::string relationships(const std::string& body) {
  return std::string(kXmlHeader) +
         "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" + body +
         "</Relationships>";
}

std::string content_types(size_t slides, const std::vector<bool>& has_notes) {
  constexpr std::string_view kPml = "application/vnd.openxmlformats-officedocument.presentationml.";
  std::string out(kXmlHeader);
  out += "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">";
  out += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>";
  out += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>";
  auto part = [&](const std::string& name, std::string_view type) {
    out += "<Override PartName=\"" + name + "\" ContentType=\"" + std::string(type) + "\"/>";
  };
  part("/ppt/presentation.xml", std::string(kPml) + "presentation.main+xml");
  part("/ppt/slideMasters/slideMaster1.xml", std::string(kPml) + "slideMaster+xml");
  part("/ppt/slideLayouts/slideLayout1.xml", std::string(kPml) + "slideLayout+xml");
  part("/ppt/slideLayouts/slideLayout2.xml", std::string(kPml) + "slideLayout+xml");
  part("/ppt/notesMasters/notesMaster1.xml", std::string(kPml) + "notesMaster+xml");
  part("/ppt/theme/theme1.xml", "application/vnd.openxmlformats-officedocument.theme+xml");
  part("/ppt/theme/theme2.xml", "application/vnd.openxmlformats-officedocument.theme+xml");
  part("/ppt/presProps.xml", std::string(kPml) + "presProps+xml");
  part("/ppt/tableStyles.xml", std::string(kPml) + "tableStyles+xml");
  for (size_t n = 1; n <= slides; ++n) {
    part("/ppt/slides/slide" + std::to_string(n) + ".xml", std::string(kPml) + "slide+xml");
    if (has_notes[n - 1]) {
      part("/ppt/notesSlides/notesSlide" + std::to_string(n) + ".xml", std::string(kPml) + "notesSlide+xml");
    }
  }
  part("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml");
  part("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml");
  out += "</Types>";
  return out;
}

std::string core_properties(const Deck& deck) {
  std::string now = core::rfc3339_now();
  std::string out(kXmlHeader);
  out +=
      "<cp:coreProperties"
      " xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\""
      " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\""
      " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">";
  out += "<dc:title>" + xml_text(deck.title) + "</dc:title>";
  if (!deck.author.empty()) out += "<dc:creator>" + xml_text(deck.author) + "</dc:creator>";
  out += "<dcterms:created xsi:type=\"dcterms:W3CDTF\">" + now + "</dcterms:created>";
  out += "<dcterms:modified xsi:type=\"dcterms:W3CDTF\">" + now + "</dcterms:modified>";
  out += "</cp:coreProperties>";
  return out;
}

std::string app_properties(size_t slides, size_t notes) {
  return std::string(kXmlHeader) +
         "<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\">"
         "<Application>docent</Application><PresentationFormat>Widescreen</PresentationFormat>"
         "<Slides>" +
         std::to_string(slides) + "</Slides><Notes>" + std::to_string(notes) + "</Notes></Properties>";
}

std::string presentation(size_t slides) {
  std::string out(kXmlHeader);
  out += "<p:presentation" + std::string(kNs) + " saveSubsetFonts=\"1\">";
  out += "<p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst>";
  out += "<p:notesMasterIdLst><p:notesMasterId r:id=\"rId2\"/></p:notesMasterIdLst>";
  out += "<p:sldIdLst>";
  for (size_t n = 1; n <= slides; ++n) {
    out += "<p:sldId id=\"" + std::to_string(255 + n) + "\" r:id=\"rId" + std::to_string(9 + n) + "\"/>";
  }
  out += "</p:sldIdLst>";
  out += "<p:sldSz cx=\"" + std::to_string(kSlideWidth) + "\" cy=\"" + std::to_string(kSlideHeight) + "\"/>";
  out += "<p:notesSz cx=\"6858000\" cy=\"9144000\"/>";
  out += "</p:presentation>";
  return out;
}

std::string presentation_rels(size_t slides) {
  std::string body = office_rel("rId1", "slideMaster", "slideMasters/slideMaster1.xml") +
                     office_rel("rId2", "notesMaster", "notesMasters/notesMaster1.xml") +
                     office_rel("rId3", "presProps", "presProps.xml") +
                     office_rel("rId4", "theme", "theme/theme1.xml") +
                     office_rel("rId5", "tableStyles", "tableStyles.xml");
  for (size_t n = 1; n <= slides; ++n) {
    body += office_rel("rId" + std::to_string(9 + n), "slide", "slides/slide" + std::to_string(n) + ".xml");
  }
  return relationships(body);
}

// A group shape's required header (the slide's shape tree root).
constexpr std::string_view kTreeHeader =
    "<p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>"
    "<p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/>"
    "<a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>";

struct Box {
  int64_t x, y, cx, cy;
};

std::string xfrm(const Box& b) {
  return "<a:xfrm><a:off x=\"" + std::to_string(b.x) + "\" y=\"" + std::to_string(b.y) + "\"/><a:ext cx=\"" +
         std::to_string(b.cx) + "\" cy=\"" + std::to_string(b.cy) + "\"/></a:xfrm>";
}

// A placeholder shape. `ph` is the p:ph element's attributes; `box` null: inherit the position;
// `paragraphs` is the txBody's a:p elements (empty: an empty paragraph).
std::string placeholder(int id, std::string_view name, std::string_view ph, const Box* box,
                        const std::string& paragraphs, std::string_view body_pr = "<a:bodyPr/>") {
  std::string out = "<p:sp><p:nvSpPr><p:cNvPr id=\"" + std::to_string(id) + "\" name=\"" + std::string(name) +
                    "\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph " + std::string(ph) +
                    "/></p:nvPr></p:nvSpPr>";
  if (box != nullptr) {
    out += "<p:spPr>" + xfrm(*box) + "<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr>";
  } else {
    out += "<p:spPr/>";
  }
  out += "<p:txBody>" + std::string(body_pr) + "<a:lstStyle/>";
  out += paragraphs.empty() ? "<a:p><a:endParaRPr lang=\"en-US\"/></a:p>" : paragraphs;
  out += "</p:txBody></p:sp>";
  return out;
}

std::string paragraph(std::string_view text, int level = 0) {
  std::string out = "<a:p>";
  if (level > 0) out += "<a:pPr lvl=\"" + std::to_string(level) + "\"/>";
  out += "<a:r><a:rPr lang=\"en-US\" dirty=\"0\"/><a:t>" + xml_text(text) + "</a:t></a:r></a:p>";
  return out;
}

constexpr Box kTitleBox{838200, 365125, 10515600, 1325563};
constexpr Box kBodyBox{838200, 1825625, 10515600, 4351338};
constexpr Box kCenterTitleBox{1524000, 1122363, 9144000, 2387600};
constexpr Box kSubtitleBox{1524000, 3602038, 9144000, 1655762};

std::string level_style(int level, int size_hundredths, bool bullet) {
  std::string tag = "a:lvl" + std::to_string(level) + "pPr";
  int indent = 228600;
  int margin = 228600 + (level - 1) * 457200;
  std::string out = "<" + tag;
  if (bullet) out += " marL=\"" + std::to_string(margin) + "\" indent=\"-" + std::to_string(indent) + "\"";
  out += " algn=\"l\">";
  out += bullet
             ? "<a:spcBef><a:spcPts val=\"1000\"/></a:spcBef><a:buFont typeface=\"Arial\"/><a:buChar char=\"&#8226;\"/>"
             : "<a:buNone/>";
  out += "<a:defRPr sz=\"" + std::to_string(size_hundredths) +
         "\" kern=\"1200\"><a:solidFill><a:schemeClr val=\"tx1\"/></a:solidFill>" +
         (bullet ? "<a:latin typeface=\"+mn-lt\"/>" : "<a:latin typeface=\"+mj-lt\"/>") + "</a:defRPr>";
  out += "</" + tag + ">";
  return out;
}

constexpr std::string_view kColorMap =
    "<p:clrMap bg1=\"lt1\" tx1=\"dk1\" bg2=\"lt2\" tx2=\"dk2\" accent1=\"accent1\" accent2=\"accent2\""
    " accent3=\"accent3\" accent4=\"accent4\" accent5=\"accent5\" accent6=\"accent6\" hlink=\"hlink\""
    " folHlink=\"folHlink\"/>";

std::string slide_master() {
  std::string out(kXmlHeader);
  out += "<p:sldMaster" + std::string(kNs) + ">";
  out += "<p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg><p:spTree>";
  out += kTreeHeader;
  out += placeholder(2, "Title Placeholder 1", "type=\"title\"", &kTitleBox, paragraph("Title"),
                     "<a:bodyPr vert=\"horz\" lIns=\"91440\" tIns=\"45720\" rIns=\"91440\" bIns=\"45720\" "
                     "rtlCol=\"0\" anchor=\"ctr\"><a:normAutofit/></a:bodyPr>");
  out += placeholder(3, "Text Placeholder 2", "type=\"body\" idx=\"1\"", &kBodyBox, paragraph("Text"),
                     "<a:bodyPr vert=\"horz\" lIns=\"91440\" tIns=\"45720\" rIns=\"91440\" bIns=\"45720\" "
                     "rtlCol=\"0\"><a:normAutofit/></a:bodyPr>");
  out += "</p:spTree></p:cSld>";
  out += kColorMap;
  out +=
      "<p:sldLayoutIdLst><p:sldLayoutId id=\"2147483649\" r:id=\"rId1\"/>"
      "<p:sldLayoutId id=\"2147483650\" r:id=\"rId2\"/></p:sldLayoutIdLst>";
  out += "<p:txStyles><p:titleStyle>" + level_style(1, 4000, false) + "</p:titleStyle>";
  out += "<p:bodyStyle>" + level_style(1, 2400, true) + level_style(2, 2000, true) + level_style(3, 1800, true) +
         "</p:bodyStyle>";
  out += "<p:otherStyle>" + level_style(1, 1800, false) + "</p:otherStyle></p:txStyles>";
  out += "</p:sldMaster>";
  return out;
}

std::string slide_master_rels() {
  return relationships(office_rel("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml") +
                       office_rel("rId2", "slideLayout", "../slideLayouts/slideLayout2.xml") +
                       office_rel("rId3", "theme", "../theme/theme1.xml"));
}

std::string layout(bool title_slide) {
  std::string out(kXmlHeader);
  out += "<p:sldLayout" + std::string(kNs) + (title_slide ? " type=\"title\"" : " type=\"obj\"") + " preserve=\"1\">";
  out += std::string("<p:cSld name=\"") + (title_slide ? "Title Slide" : "Title and Content") + "\"><p:spTree>";
  out += kTreeHeader;
  if (title_slide) {
    out += placeholder(2, "Title 1", "type=\"ctrTitle\"", &kCenterTitleBox, "",
                       "<a:bodyPr anchor=\"b\"><a:normAutofit/></a:bodyPr>");
    out += placeholder(3, "Subtitle 2", "type=\"subTitle\" idx=\"1\"", &kSubtitleBox, "");
  } else {
    out += placeholder(2, "Title 1", "type=\"title\"", nullptr, "");
    out += placeholder(3, "Content Placeholder 2", "idx=\"1\"", nullptr, "");
  }
  out += "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sldLayout>";
  return out;
}

std::string layout_rels() {
  return relationships(office_rel("rId1", "slideMaster", "../slideMasters/slideMaster1.xml"));
}

std::string slide(const DeckSlide& s, bool title_slide) {
  std::string out(kXmlHeader);
  out += "<p:sld" + std::string(kNs) + "><p:cSld><p:spTree>";
  out += kTreeHeader;
  if (title_slide) {
    out += placeholder(2, "Title 1", "type=\"ctrTitle\"", nullptr, paragraph(s.title));
    std::string sub;
    for (const std::string& line : s.bullets) sub += paragraph(line);
    out += placeholder(3, "Subtitle 2", "type=\"subTitle\" idx=\"1\"", nullptr, sub);
  } else {
    out += placeholder(2, "Title 1", "type=\"title\"", nullptr, paragraph(s.title));
    std::string body;
    for (const std::string& line : s.bullets) body += paragraph(line);
    out += placeholder(3, "Content Placeholder 2", "idx=\"1\"", nullptr, body);
  }
  out += "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>";
  return out;
}

std::string slide_rels(size_t n, bool title_slide, bool notes) {
  std::string body = office_rel("rId1", "slideLayout",
                                title_slide ? "../slideLayouts/slideLayout1.xml" : "../slideLayouts/slideLayout2.xml");
  if (notes) body += office_rel("rId2", "notesSlide", "../notesSlides/notesSlide" + std::to_string(n) + ".xml");
  return relationships(body);
}

constexpr Box kNotesImageBox{685800, 1143000, 5486400, 3086100};
constexpr Box kNotesBodyBox{685800, 4400550, 5486400, 3600450};

std::string notes_master() {
  std::string out(kXmlHeader);
  out += "<p:notesMaster" + std::string(kNs) + ">";
  out += "<p:cSld><p:bg><p:bgRef idx=\"1001\"><a:schemeClr val=\"bg1\"/></p:bgRef></p:bg><p:spTree>";
  out += kTreeHeader;
  out +=
      "<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" "
      "noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldImg\" idx=\"2\"/></p:nvPr></p:nvSpPr>"
      "<p:spPr>" +
      xfrm(kNotesImageBox) +
      "<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom><a:noFill/><a:ln w=\"12700\"><a:solidFill>"
      "<a:prstClr val=\"black\"/></a:solidFill></a:ln></p:spPr></p:sp>";
  out += placeholder(3, "Notes Placeholder 2", "type=\"body\" sz=\"quarter\" idx=\"3\"", &kNotesBodyBox,
                     paragraph("Notes"));
  out += "</p:spTree></p:cSld>";
  out += kColorMap;
  out += "<p:notesStyle>" + level_style(1, 1200, false) + "</p:notesStyle>";
  out += "</p:notesMaster>";
  return out;
}

std::string notes_master_rels() { return relationships(office_rel("rId1", "theme", "../theme/theme2.xml")); }

std::string notes_slide(const DeckSlide& s) {
  std::string out(kXmlHeader);
  out += "<p:notes" + std::string(kNs) + "><p:cSld><p:spTree>";
  out += kTreeHeader;
  out +=
      "<p:sp><p:nvSpPr><p:cNvPr id=\"2\" name=\"Slide Image Placeholder 1\"/><p:cNvSpPr><a:spLocks noGrp=\"1\" "
      "noRot=\"1\" noChangeAspect=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldImg\"/></p:nvPr></p:nvSpPr>"
      "<p:spPr/></p:sp>";
  // One paragraph per line of the notes.
  std::string paragraphs;
  size_t start = 0;
  while (start <= s.notes.size()) {
    size_t end = s.notes.find('\n', start);
    if (end == std::string::npos) end = s.notes.size();
    paragraphs += paragraph(std::string_view(s.notes).substr(start, end - start));
    start = end + 1;
  }
  out += placeholder(3, "Notes Placeholder 2", "type=\"body\" idx=\"1\"", nullptr, paragraphs);
  out += "</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:notes>";
  return out;
}

std::string notes_slide_rels(size_t n) {
  return relationships(office_rel("rId1", "notesMaster", "../notesMasters/notesMaster1.xml") +
                       office_rel("rId2", "slide", "../slides/slide" + std::to_string(n) + ".xml"));
}

std::string theme(std::string_view name) {
  auto colour = [](std::string_view slot, std::string_view rgb) {
    return "<a:" + std::string(slot) + "><a:srgbClr val=\"" + std::string(rgb) + "\"/></a:" + std::string(slot) + ">";
  };
  std::string fills;
  for (int k = 0; k < 3; ++k) fills += "<a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>";
  std::string lines;
  for (int w : {6350, 12700, 19050}) {
    lines += "<a:ln w=\"" + std::to_string(w) +
             "\" cap=\"flat\" cmpd=\"sng\" algn=\"ctr\"><a:solidFill><a:schemeClr val=\"phClr\"/></a:solidFill>"
             "<a:prstDash val=\"solid\"/><a:miter lim=\"800000\"/></a:ln>";
  }
  std::string effects;
  for (int k = 0; k < 3; ++k) effects += "<a:effectStyle><a:effectLst/></a:effectStyle>";
  std::string out(kXmlHeader);
  out += "<a:theme xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" name=\"" + std::string(name) +
         "\"><a:themeElements>";
  out += "<a:clrScheme name=\"docent\">";
  out += "<a:dk1><a:sysClr val=\"windowText\" lastClr=\"000000\"/></a:dk1>";
  out += "<a:lt1><a:sysClr val=\"window\" lastClr=\"FFFFFF\"/></a:lt1>";
  out += colour("dk2", "1F2937") + colour("lt2", "E5E7EB") + colour("accent1", "2563EB") + colour("accent2", "DC2626") +
         colour("accent3", "16A34A") + colour("accent4", "9333EA") + colour("accent5", "EA580C") +
         colour("accent6", "0891B2") + colour("hlink", "1D4ED8") + colour("folHlink", "6D28D9");
  out += "</a:clrScheme>";
  out +=
      "<a:fontScheme name=\"docent\"><a:majorFont><a:latin typeface=\"Liberation Sans\"/><a:ea typeface=\"\"/>"
      "<a:cs typeface=\"\"/></a:majorFont><a:minorFont><a:latin typeface=\"Liberation Sans\"/><a:ea typeface=\"\"/>"
      "<a:cs typeface=\"\"/></a:minorFont></a:fontScheme>";
  out += "<a:fmtScheme name=\"docent\"><a:fillStyleLst>" + fills + "</a:fillStyleLst><a:lnStyleLst>" + lines +
         "</a:lnStyleLst><a:effectStyleLst>" + effects + "</a:effectStyleLst><a:bgFillStyleLst>" + fills +
         "</a:bgFillStyleLst></a:fmtScheme>";
  out += "</a:themeElements><a:objectDefaults/><a:extraClrSchemeLst/></a:theme>";
  return out;
}

std::string pres_props() { return std::string(kXmlHeader) + "<p:presentationPr" + std::string(kNs) + "/>"; }

std::string table_styles() {
  return std::string(kXmlHeader) +
         "<a:tblStyleLst xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" "
         "def=\"{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}\"/>";
}

}  // namespace

core::Status check_deck(const Deck& deck) {
  auto too_long = [](const std::string& text) { return text.size() > kMaxDeckTextBytes; };
  if (deck.title.empty()) return Error(Code::InvalidInput, "the presentation needs a title");
  if (too_long(deck.title) || too_long(deck.subtitle) || too_long(deck.author)) {
    return Error(Code::InvalidInput,
                 "a title, subtitle or author is longer than " + std::to_string(kMaxDeckTextBytes) + " bytes");
  }
  if (deck.slides.size() > kMaxDeckSlides) {
    return Error(Code::InvalidInput, "a presentation has at most " + std::to_string(kMaxDeckSlides) + " slides");
  }
  for (size_t i = 0; i < deck.slides.size(); ++i) {
    const DeckSlide& s = deck.slides[i];
    std::string which = "slide " + std::to_string(i + 1);
    if (s.title.empty()) return Error(Code::InvalidInput, which + " has no title");
    if (s.bullets.size() > kMaxSlideBullets) {
      return Error(Code::InvalidInput, which + " has more than " + std::to_string(kMaxSlideBullets) + " bullets");
    }
    bool long_text = too_long(s.title) || s.notes.size() > kMaxDeckTextBytes * 4;
    for (const std::string& b : s.bullets) long_text = long_text || too_long(b);
    if (long_text) return Error(Code::InvalidInput, which + " has a text longer than the limit");
  }
  return {};
}

namespace {

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};

// Parts are added from strings the archive owns until it closes.
class Package {
 public:
  explicit Package(zip_t* z) : zip_(z) {}

  bool add(const std::string& name, std::string body) {
    parts_.push_back(std::make_unique<std::string>(std::move(body)));
    const std::string& data = *parts_.back();
    zip_source_t* source = zip_source_buffer(zip_.get(), data.data(), data.size(), 0);
    if (source == nullptr) return false;
    if (zip_file_add(zip_.get(), name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(source);
      return false;
    }
    return true;
  }

  // Writes the archive; false when libzip fails (the archive is then discarded).
  bool close() {
    if (zip_close(zip_.get()) != 0) return false;
    (void)zip_.release();
    return true;
  }

 private:
  std::unique_ptr<zip_t, ZipDiscard> zip_;
  std::vector<std::unique_ptr<std::string>> parts_;
};

}  // namespace

core::Status write_presentation(const std::filesystem::path& out, const Deck& deck) {
  if (auto ok = check_deck(deck); !ok) return ok;

  // The title slide first, then the deck's slides.
  std::vector<DeckSlide> slides;
  slides.reserve(deck.slides.size() + 1);
  DeckSlide cover{.title = deck.title, .bullets = {}, .notes = {}};
  if (!deck.subtitle.empty()) cover.bullets.push_back(deck.subtitle);
  slides.push_back(std::move(cover));
  slides.insert(slides.end(), deck.slides.begin(), deck.slides.end());
  std::vector<bool> has_notes;
  size_t notes = 0;
  for (const DeckSlide& s : slides) {
    has_notes.push_back(!s.notes.empty());
    notes += s.notes.empty() ? 0 : 1;
  }

  std::random_device rd;
  std::filesystem::path temp = out;
  temp += ".tmp-" + std::to_string(rd());
  int error = 0;
  zip_t* z = zip_open(temp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (z == nullptr) return Error(Code::Internal, "cannot create the presentation file");
  Package pkg(z);
  bool ok = pkg.add("[Content_Types].xml", content_types(slides.size(), has_notes)) &&
            pkg.add("_rels/.rels",
                    relationships(rel("rId1", std::string(kRelNs) + "officeDocument", "ppt/presentation.xml") +
                                  rel("rId2",
                                      "http://schemas.openxmlformats.org/package/2006/relationships/"
                                      "metadata/core-properties",
                                      "docProps/core.xml") +
                                  office_rel("rId3", "extended-properties", "docProps/app.xml"))) &&
            pkg.add("docProps/core.xml", core_properties(deck)) &&
            pkg.add("docProps/app.xml", app_properties(slides.size(), notes)) &&
            pkg.add("ppt/presentation.xml", presentation(slides.size())) &&
            pkg.add("ppt/_rels/presentation.xml.rels", presentation_rels(slides.size())) &&
            pkg.add("ppt/presProps.xml", pres_props()) && pkg.add("ppt/tableStyles.xml", table_styles()) &&
            pkg.add("ppt/theme/theme1.xml", theme("docent")) &&
            pkg.add("ppt/theme/theme2.xml", theme("docent notes")) &&
            pkg.add("ppt/slideMasters/slideMaster1.xml", slide_master()) &&
            pkg.add("ppt/slideMasters/_rels/slideMaster1.xml.rels", slide_master_rels()) &&
            pkg.add("ppt/slideLayouts/slideLayout1.xml", layout(true)) &&
            pkg.add("ppt/slideLayouts/_rels/slideLayout1.xml.rels", layout_rels()) &&
            pkg.add("ppt/slideLayouts/slideLayout2.xml", layout(false)) &&
            pkg.add("ppt/slideLayouts/_rels/slideLayout2.xml.rels", layout_rels()) &&
            pkg.add("ppt/notesMasters/notesMaster1.xml", notes_master()) &&
            pkg.add("ppt/notesMasters/_rels/notesMaster1.xml.rels", notes_master_rels());
  for (size_t n = 1; ok && n <= slides.size(); ++n) {
    const DeckSlide& s = slides[n - 1];
    std::string base = std::to_string(n) + ".xml";
    ok = pkg.add("ppt/slides/slide" + base, slide(s, n == 1)) &&
         pkg.add("ppt/slides/_rels/slide" + base + ".rels", slide_rels(n, n == 1, has_notes[n - 1]));
    if (ok && has_notes[n - 1]) {
      ok = pkg.add("ppt/notesSlides/notesSlide" + base, notes_slide(s)) &&
           pkg.add("ppt/notesSlides/_rels/notesSlide" + base + ".rels", notes_slide_rels(n));
    }
  }
  std::error_code ec;
  if (!ok || !pkg.close()) {
    std::filesystem::remove(temp, ec);
    return Error(Code::Internal, "cannot write the presentation file");
  }
  std::filesystem::rename(temp, out, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    return Error(Code::Internal, "cannot move the presentation into place");
  }
  return {};
}

}  // namespace docent::engines
