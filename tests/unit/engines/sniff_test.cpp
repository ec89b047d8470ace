#include "engines/sniff.h"
#include "unit/engines/docx_fixtures.h"
#include "unit/store/temp_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using store::testing::TempDir;

const std::string kPdf =
    "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    "2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

// The PNG signature and an IHDR chunk for a 1x1 8-bit gray image: all libmagic looks at.
const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\0\0\0\0\x3a\x7e\x9b\x55", 33);

const std::string kHtml =
    "<!DOCTYPE html>\n<html><head><title>Hello</title></head><body><p>Hi there</p></body></html>\n";

const std::string kText = "Hello world. This is an ordinary plain text file,\nwith two lines.\n";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

fs::path write(const TempDir& dir, const std::string& name, const std::string& bytes) {
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

TEST(SniffTest, BytesOfEachFormat) {
  EXPECT_EQ(sniff_mime_bytes(kPdf), "application/pdf");
  EXPECT_EQ(sniff_mime_bytes(kPng), "image/png");
  EXPECT_EQ(sniff_mime_bytes(kHtml), "text/html");
  EXPECT_EQ(sniff_mime_bytes(kText), "text/plain");
  EXPECT_EQ(sniff_mime_bytes(std::string("\x7f"
                                         "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0",
                                         16))
                .substr(0, 12),
            "application/");
}

TEST(SniffTest, DocxBytesAndFile) {
  TempDir dir;
  fs::path docx = dir / "report.docx";
  ASSERT_TRUE(
      fixtures::write_docx(docx, {{"word/document.xml", fixtures::document_xml(fixtures::paragraph_xml("x"))}}));
  EXPECT_EQ(sniff_mime(docx), kDocxMime);
  EXPECT_EQ(sniff_mime_bytes(read(docx)), kDocxMime);
  EXPECT_EQ(kind_of(sniff_mime(docx), "report.docx"), DocumentKind::Docx);
}

TEST(SniffTest, DocxThatLibmagicCallsZipIsStillDocx) {
  // No [Content_Types].xml first: libmagic cannot tell it from any zip, the member list can.
  TempDir dir;
  fs::path docx = dir / "odd.docx";
  fixtures::ZipWriter zip(docx);
  ASSERT_TRUE(zip.add("word/document.xml", fixtures::document_xml(fixtures::paragraph_xml("x"))));
  ASSERT_TRUE(zip.close());
  EXPECT_EQ(sniff_mime(docx), kDocxMime);
  EXPECT_EQ(sniff_mime_bytes(read(docx)), kDocxMime);

  fs::path plain_zip = dir / "archive.docx";
  fixtures::ZipWriter other(plain_zip);
  ASSERT_TRUE(other.add("notes.txt", "just a zip"));
  ASSERT_TRUE(other.close());
  EXPECT_EQ(sniff_mime(plain_zip), "application/zip");
  EXPECT_EQ(kind_of(sniff_mime(plain_zip), "archive.docx"), DocumentKind::Unsupported);
}

TEST(SniffTest, FilesOnDisk) {
  TempDir dir;
  EXPECT_EQ(sniff_mime(write(dir, "a.pdf", kPdf)), "application/pdf");
  EXPECT_EQ(sniff_mime(write(dir, "a.png", kPng)), "image/png");
  EXPECT_EQ(sniff_mime(write(dir, "a.html", kHtml)), "text/html");
  EXPECT_EQ(sniff_mime(write(dir, "a.txt", kText)), "text/plain");
  EXPECT_EQ(sniff_mime(write(dir, "empty", "")), "inode/x-empty");
  EXPECT_EQ(sniff_mime(dir / "missing"), "application/octet-stream");
}

TEST(SniffTest, TheBytesDecideNotTheName) {
  TempDir dir;
  EXPECT_EQ(kind_of(sniff_mime(write(dir, "report.txt", kPdf)), "report.txt"), DocumentKind::Pdf);
  EXPECT_EQ(kind_of(sniff_mime(write(dir, "notes.pdf", kText)), "notes.pdf"), DocumentKind::Text);
  EXPECT_EQ(kind_of(sniff_mime(write(dir, "page.md", kHtml)), "page.md"), DocumentKind::Html);
  EXPECT_EQ(kind_of(sniff_mime(write(dir, "pic.docx", kPng)), "pic.docx"), DocumentKind::Image);
  EXPECT_EQ(kind_of("application/x-executable", "invoice.pdf"), DocumentKind::Unsupported);
  EXPECT_EQ(kind_of("application/octet-stream", "notes.md"), DocumentKind::Unsupported);
}

TEST(SniffTest, ExtensionOnlyRefinesText) {
  EXPECT_EQ(kind_of("text/plain", "notes.md"), DocumentKind::Markdown);
  EXPECT_EQ(kind_of("text/plain", "NOTES.MARKDOWN"), DocumentKind::Markdown);
  EXPECT_EQ(kind_of("text/plain", "data.csv"), DocumentKind::Csv);
  EXPECT_EQ(kind_of("text/plain", "dir/data.tsv"), DocumentKind::Csv);
  EXPECT_EQ(kind_of("text/plain", "page.htm"), DocumentKind::Html);
  EXPECT_EQ(kind_of("text/plain", "readme"), DocumentKind::Text);
  EXPECT_EQ(kind_of("text/plain", ""), DocumentKind::Text);
  EXPECT_EQ(kind_of("text/x-c", "main.c"), DocumentKind::Text);
  EXPECT_EQ(kind_of("text/csv", "data.txt"), DocumentKind::Csv);
  EXPECT_EQ(kind_of("application/json", "x.json"), DocumentKind::Text);
  EXPECT_EQ(kind_of("text/rtf", "letter.txt"), DocumentKind::Unsupported);
  EXPECT_EQ(kind_of("image/jpeg", "photo.md"), DocumentKind::Image);
  EXPECT_EQ(kind_of("image/svg+xml", "logo.svg"), DocumentKind::Unsupported);
  EXPECT_EQ(kind_of("application/pdf", "x.csv"), DocumentKind::Pdf);
}

TEST(SniffTest, KindNames) {
  EXPECT_EQ(kind_name(DocumentKind::Pdf), "pdf");
  EXPECT_EQ(kind_name(DocumentKind::Markdown), "markdown");
  EXPECT_EQ(kind_name(DocumentKind::Unsupported), "unsupported");
}

TEST(SniffTest, ConcurrentSniffingIsSafe) {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < 50; ++i) {
        if (sniff_mime_bytes(kPdf) != "application/pdf") ++wrong[t];
        if (sniff_mime_bytes(kPng) != "image/png") ++wrong[t];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int w : wrong) EXPECT_EQ(w, 0);
}

}  // namespace
}  // namespace docent::engines
