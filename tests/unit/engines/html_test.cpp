#include "engines/html.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

using core::Code;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> texts(const Document& doc) {
  std::vector<std::string> out;
  for (const auto& p : doc.pages) {
    for (const auto& b : p.blocks) out.push_back(b.text);
  }
  return out;
}

TEST(HtmlTest, HeadingsParagraphsAndTitle) {
  const char* html = R"(<!DOCTYPE html>
<html><head>
  <title>  The   Page
  Title </title>
  <meta charset="utf-8"><style>body { color: red }</style><script>var hidden = 1;</script>
</head>
<body>
  <h1>Main   heading</h1>
  <p>First
     paragraph with <b>bold</b> and <a href="#">a link</a>.</p>
  <h3>Sub <em>heading</em></h3>
  <div>Div text<div>nested div</div>tail</div>
  <ul><li>one</li><li>two</li></ul>
  <blockquote>Quoted words</blockquote>
</body></html>)";
  auto doc = extract_html(html, ParseLimits{});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->mime, "text/html");
  EXPECT_EQ(doc->title, "The Page Title");
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_EQ(doc->pages[0].number, 1);
  EXPECT_THAT(texts(*doc), ElementsAre("Main heading", "First paragraph with bold and a link.", "Sub heading",
                                       "Div text", "nested div", "tail", "one", "two", "Quoted words"));
  const auto& b = doc->pages[0].blocks;
  EXPECT_TRUE(b[0].heading);
  EXPECT_EQ(b[0].level, 1);
  EXPECT_FALSE(b[1].heading);
  EXPECT_EQ(b[1].level, 0);
  EXPECT_TRUE(b[2].heading);
  EXPECT_EQ(b[2].level, 3);
}

TEST(HtmlTest, SkipsScriptStyleNoscriptTemplateAndHead) {
  const char* html =
      "<html><head><title>T</title><meta name=x content='not text'></head><body>"
      "<script>document.write('no')</script><style>.a{}</style><noscript>enable js</noscript>"
      "<template><p>templated</p></template><iframe>frame text</iframe><p>visible</p></body></html>";
  auto doc = extract_html(html, ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("visible"));
}

TEST(HtmlTest, EntitiesAreDecodedAndWhitespaceCollapsed) {
  auto doc = extract_html("<p>Fish&nbsp;&amp;&nbsp;chips &lt;3 &eacute;t&eacute; &#8364;5\t\n  end</p>", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("Fish & chips <3 \xC3\xA9t\xC3\xA9 \xE2\x82\xAC"
                                       "5 end"));
}

TEST(HtmlTest, PreKeepsItsWhitespace) {
  auto doc = extract_html("<p>before</p><pre>\nint main() {\n    return  0;\n}\n</pre><p>after</p>", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("before", "int main() {\n    return  0;\n}", "after"));
}

TEST(HtmlTest, TableRowsAreOneBlockEach) {
  auto doc = extract_html(
      "<table><thead><tr><th>Name</th><th>Qty</th></tr></thead>"
      "<tbody><tr><td>Apples</td><td> 3 </td></tr><tr><td><p>Pears</p><p>green</p></td><td></td></tr></tbody></table>",
      ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("Name | Qty", "Apples | 3", "Pears green"));
}

TEST(HtmlTest, LineBreaksSplitLines) {
  auto doc = extract_html("<p>line one<br>line two<br/>line three</p>", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("line one\nline two\nline three"));
}

TEST(HtmlTest, TagSoupStillParses) {
  auto doc = extract_html("<p>one<p>two<div>three<h2>four</div><b>unclosed", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("one", "two", "three", "four", "unclosed"));
}

TEST(HtmlTest, TitleFallsBackToFirstHeading) {
  auto doc = extract_html("<body><p>intro</p><h2>Section A</h2><h1>Later</h1></body>", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->title, "Section A");
}

TEST(HtmlTest, EmptyDocumentHasOnePageAndNoBlocks) {
  auto doc = extract_html("", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_TRUE(doc->pages[0].blocks.empty());
}

TEST(HtmlTest, InvalidUtf8BecomesReplacementCharacters) {
  auto doc = extract_html("<p>caf\xE9 ok</p>", ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("caf\xEF\xBF\xBD ok"));
}

TEST(HtmlTest, DeepNestingDoesNotOverflowTheStack) {
  std::string html;
  for (int i = 0; i < 20000; ++i) html += "<span>";
  html += "deep";
  auto doc = extract_html(html, ParseLimits{});
  ASSERT_TRUE(doc.ok());
  EXPECT_THAT(texts(*doc), ElementsAre("deep"));
}

TEST(HtmlTest, TextLimitIsEnforced) {
  ParseLimits limits;
  limits.max_text_bytes = 100;
  auto doc = extract_html("<p>" + std::string(80, 'a') + "</p><p>" + std::string(80, 'b') + "</p>", limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_THAT(doc.error().message, HasSubstr("exceeds 100 bytes"));
}

TEST(HtmlTest, ReadsFiles) {
  store::testing::TempDir dir;
  std::ofstream(dir / "page.html") << "<html><head><title>File</title></head><body><h1>Hi</h1></body></html>";
  auto doc = extract_html_file(dir / "page.html", ParseLimits{});
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "File");
  EXPECT_THAT(texts(*doc), ElementsAre("Hi"));
  EXPECT_FALSE(extract_html_file(dir / "missing.html", ParseLimits{}).ok());
}

}  // namespace
}  // namespace docent::engines
