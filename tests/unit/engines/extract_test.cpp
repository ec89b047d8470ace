#include "engines/extract.h"
#include "engines/sniff.h"
#include "unit/engines/docx_fixtures.h"
#include "unit/store/temp_dir.h"

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using core::Code;
using store::testing::TempDir;
using ::testing::HasSubstr;

class ExtractTest : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  TempDir dir_;
  ParseLimits limits_;
};

TEST_F(ExtractTest, DispatchesOnTheSniffedType) {
  auto md = extract_file(write("upload-1", "# Notes\n\nSome body text.\n"), "notes.md", limits_, nullptr);
  ASSERT_TRUE(md.ok()) << md.error().message;
  EXPECT_EQ(md->mime, "text/markdown");
  EXPECT_EQ(md->title, "Notes");
  ASSERT_EQ(md->pages.size(), 1u);
  EXPECT_TRUE(md->pages[0].blocks[0].heading);

  auto csv = extract_file(write("upload-2", "city,population\nOslo,700000\n"), "cities.csv", limits_, nullptr);
  ASSERT_TRUE(csv.ok()) << csv.error().message;
  EXPECT_EQ(csv->mime, "text/csv");
  EXPECT_EQ(csv->pages[0].blocks.back().text, "city: Oslo; population: 700000");

  auto html = extract_file(
      write("upload-3", "<!DOCTYPE html><html><head><title>Page</title></head><body><h1>Hi</h1></body></html>"),
      "page.pdf", limits_, nullptr);  // a lying name changes nothing
  ASSERT_TRUE(html.ok()) << html.error().message;
  EXPECT_EQ(html->mime, "text/html");
  EXPECT_EQ(html->title, "Page");

  fs::path docx = dir_ / "upload-4";
  ASSERT_TRUE(
      fixtures::write_docx(docx, {{"word/document.xml", fixtures::document_xml(fixtures::paragraph_xml("Body"))}}));
  auto d = extract_file(docx, "whatever.txt", limits_, nullptr);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->mime, kDocxMime);
  EXPECT_EQ(d->pages[0].blocks[0].text, "Body");

  auto txt = extract_file(write("upload-5", "just words\n"), "", limits_, nullptr);
  ASSERT_TRUE(txt.ok());
  EXPECT_EQ(txt->mime, "text/plain");
}

TEST_F(ExtractTest, EmptyFileIsInvalidFormat) {
  auto doc = extract_file(write("empty", ""), "empty.pdf", limits_, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "the file is empty");
}

TEST_F(ExtractTest, UnsupportedTypeNamesTheMime) {
  auto doc = extract_file(write("blob", std::string("\x01\x02\x03\x04\xff\xfe\x00\x10garbage", 14)), "x.pdf", limits_,
                          nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::InvalidFormat);
  EXPECT_EQ(doc.error().message, "unsupported file type application/octet-stream");

  fixtures::ZipWriter zip(dir_ / "archive");
  ASSERT_TRUE(zip.add("a.txt", "a"));
  ASSERT_TRUE(zip.close());
  auto z = extract_file(dir_ / "archive", "archive.docx", limits_, nullptr);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().message, "unsupported file type application/zip");
}

TEST_F(ExtractTest, MissingFileIsNotFound) {
  auto doc = extract_file(dir_ / "nope", "nope.txt", limits_, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::NotFound);
}

TEST_F(ExtractTest, ImagesNeedOcr) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\0\0\0\0\x3a\x7e\x9b\x55", 33);
  auto doc = extract_file(write("pic", png), "pic.png", limits_, nullptr);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::ServiceUnavailable);
}

Document sample() {
  Document doc;
  doc.mime = "application/pdf";
  doc.title = "T\xC3\xADtulo \"quoted\"";
  Page one;
  one.number = 1;
  one.blocks.push_back(Block{"Heading", true, 2, Box{1.5, 2.25, 300, 40.125}});
  one.blocks.push_back(Block{"Body\nline\ttab", false, 0, std::nullopt});
  Page two;
  two.number = 2;
  two.ocr = true;
  doc.pages = {one, two};
  return doc;
}

TEST(ExtractJsonTest, RoundTrips) {
  const Document doc = sample();
  const std::string text = boost::json::serialize(to_json(doc));
  auto back = document_from_json(boost::json::parse(text));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->mime, doc.mime);
  EXPECT_EQ(back->title, doc.title);
  ASSERT_EQ(back->pages.size(), 2u);
  EXPECT_EQ(back->pages[1].number, 2);
  EXPECT_TRUE(back->pages[1].ocr);
  EXPECT_FALSE(back->pages[0].ocr);
  ASSERT_EQ(back->pages[0].blocks.size(), 2u);
  const Block& h = back->pages[0].blocks[0];
  EXPECT_EQ(h.text, "Heading");
  EXPECT_TRUE(h.heading);
  EXPECT_EQ(h.level, 2);
  ASSERT_TRUE(h.box.has_value());
  EXPECT_DOUBLE_EQ(h.box->x0, 1.5);
  EXPECT_DOUBLE_EQ(h.box->y1, 40.125);
  const Block& p = back->pages[0].blocks[1];
  EXPECT_EQ(p.text, "Body\nline\ttab");
  EXPECT_FALSE(p.heading);
  EXPECT_FALSE(p.box.has_value());
}

TEST(ExtractJsonTest, CompactForm) {
  auto v = to_json(sample());
  const auto& block = v.at("pages").at(0).at("blocks").at(1).as_object();
  EXPECT_FALSE(block.contains("heading"));
  EXPECT_FALSE(block.contains("box"));
  EXPECT_EQ(v.at("pages").at(0).at("blocks").at(0).at("box").as_array().size(), 4u);
}

TEST(ExtractJsonTest, InvalidUtf8IsRepairedSoTheOutputParses) {
  Document doc;
  doc.pages.push_back(Page{1, {Block{"bad \xFF byte", false, 0, std::nullopt}}, false});
  const std::string text = boost::json::serialize(to_json(doc));
  boost::system::error_code ec;
  auto parsed = boost::json::parse(text, ec);
  ASSERT_FALSE(ec) << ec.message();
  auto back = document_from_json(parsed);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->pages[0].blocks[0].text, "bad \xEF\xBF\xBD byte");
}

TEST(ExtractJsonTest, WrongShapesAreErrors) {
  EXPECT_FALSE(document_from_json(boost::json::parse("[]")).ok());
  EXPECT_FALSE(document_from_json(boost::json::parse(R"({"mime":"x"})")).ok());
  EXPECT_FALSE(document_from_json(boost::json::parse(R"({"pages":[{"blocks":[]}]})")).ok());
  auto bad_text = document_from_json(boost::json::parse(R"({"pages":[{"number":1,"blocks":[{"text":5}]}]})"));
  ASSERT_FALSE(bad_text.ok());
  EXPECT_THAT(bad_text.error().message, HasSubstr("pages[0].blocks[0].text"));
  EXPECT_FALSE(
      document_from_json(boost::json::parse(R"({"pages":[{"number":1,"blocks":[{"text":"a","box":[1,2]}]}]})")).ok());
  EXPECT_TRUE(document_from_json(boost::json::parse(R"({"pages":[]})")).ok());
}

}  // namespace
}  // namespace docent::engines
