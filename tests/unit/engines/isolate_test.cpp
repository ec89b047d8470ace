// The isolated parser, end to end: these tests start the real docent binary (DOCENT_BINARY) as
// `docent __extract`, and use its DOCENT_EXTRACT_TEST_FAULT hook to make it crash, hang and
// balloon.

#include "engines/isolate.h"
#include "unit/engines/pdf_fixtures.h"
#include "unit/store/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
using core::Code;
using store::testing::TempDir;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

const fs::path kDocent = DOCENT_BINARY;

// Sets the test-fault variable for one test; the worker inherits it.
class ScopedFault {
 public:
  explicit ScopedFault(const char* fault) { ::setenv(kTestFaultVariable, fault, 1); }
  ~ScopedFault() { ::unsetenv(kTestFaultVariable); }
  ScopedFault(const ScopedFault&) = delete;
  ScopedFault& operator=(const ScopedFault&) = delete;
};

class IsolateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kTestFaultVariable);
    limits_.timeout = std::chrono::seconds(30);
  }

  fs::path write(const std::string& name, const std::string& bytes) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  TempDir dir_;
  ParseLimits limits_;
};

TEST_F(IsolateTest, ExtractsMarkdownInAChild) {
  fs::path file = write("upload", "# Isolated\n\nParsed in another process.\n\n## Part two\n\nMore.\n");
  auto doc = extract_isolated(kDocent, file, "notes.md", limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->mime, "text/markdown");
  EXPECT_EQ(doc->title, "Isolated");
  ASSERT_EQ(doc->pages.size(), 1u);
  ASSERT_EQ(doc->pages[0].blocks.size(), 4u);
  EXPECT_EQ(doc->pages[0].blocks[2].text, "Part two");
  EXPECT_EQ(doc->pages[0].blocks[2].level, 2);
}

TEST_F(IsolateTest, ExtractsHtmlInAChild) {
  fs::path file = write("page",
                        "<!DOCTYPE html><html><head><title>Caf\xC3\xA9</title></head>"
                        "<body><h1>Menu</h1><p>Soup &amp; bread</p></body></html>");
  auto doc = extract_isolated(kDocent, file, "page.html", limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->title, "Caf\xC3\xA9");
  ASSERT_EQ(doc->pages.size(), 1u);
  ASSERT_EQ(doc->pages[0].blocks.size(), 2u);
  EXPECT_EQ(doc->pages[0].blocks[1].text, "Soup & bread");
}

TEST_F(IsolateTest, ExtractsAPdfInAChild) {
  fs::path file = dir_ / "upload.pdf";
  ASSERT_TRUE(fixtures::write_text_pdf(file, {{"Isolation", {"The parser ran in a child process."}}}, "Child PDF"));
  auto doc = extract_isolated(kDocent, file, "report.pdf", limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->mime, "application/pdf");
  EXPECT_EQ(doc->title, "Child PDF");
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_THAT(doc->pages[0].text(), HasSubstr("child process"));
}

TEST_F(IsolateTest, AScannedPdfIsReadWithOcrOnlyWhenAllowed) {
  fs::path file = dir_ / "scan.pdf";
  ASSERT_TRUE(fixtures::write_scanned_pdf(file, "Isolated scanning works"));
  auto doc = extract_isolated(kDocent, file, "scan.pdf", limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  ASSERT_EQ(doc->pages.size(), 1u);
  EXPECT_TRUE(doc->pages[0].ocr);
  EXPECT_THAT(doc->pages[0].text(), HasSubstr("scanning"));

  IsolateOptions no_ocr;
  no_ocr.ocr = false;
  auto text_only = extract_isolated(kDocent, file, "scan.pdf", limits_, no_ocr);
  ASSERT_TRUE(text_only.ok()) << text_only.error().message;
  ASSERT_EQ(text_only->pages.size(), 1u);
  EXPECT_FALSE(text_only->pages[0].ocr);
  EXPECT_TRUE(text_only->pages[0].blocks.empty());
}

TEST_F(IsolateTest, TheParsersErrorComesBackAsIs) {
  auto empty = extract_isolated(kDocent, write("empty", ""), "empty.pdf", limits_);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, Code::InvalidFormat);
  EXPECT_EQ(empty.error().message, "the file is empty");

  auto binary = extract_isolated(kDocent, write("blob", std::string("\x01\x02\x03\x04\xff\xfe\x00\x10garbage", 14)),
                                 "blob.docx", limits_);
  ASSERT_FALSE(binary.ok());
  EXPECT_EQ(binary.error().code, Code::InvalidFormat);
  EXPECT_EQ(binary.error().message, "unsupported file type application/octet-stream");

  auto missing = extract_isolated(kDocent, dir_ / "missing", "missing.txt", limits_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Code::NotFound);
}

TEST_F(IsolateTest, ACrashIsAProcessingError) {
  ScopedFault fault("crash");
  auto doc = extract_isolated(kDocent, write("upload", "hello\n"), "a.txt", limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::ProcessingError);
  EXPECT_EQ(doc.error().message, "the parser crashed (signal 11)");
}

TEST_F(IsolateTest, AHangIsKilledAtTheDeadline) {
  ScopedFault fault("hang");
  limits_.timeout = std::chrono::seconds(2);
  const auto start = Clock::now();
  auto doc = extract_isolated(kDocent, write("upload", "hello\n"), "a.txt", limits_);
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::ProcessingError);
  EXPECT_EQ(doc.error().message, "the parser took longer than 2 s");
  EXPECT_GE(elapsed, std::chrono::milliseconds(1900));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
}

TEST_F(IsolateTest, AMemoryBalloonHitsTheLimit) {
  ScopedFault fault("balloon");
  limits_.max_memory_bytes = 768ull << 20;  // the binary maps OpenCV and FFmpeg too
  auto doc = extract_isolated(kDocent, write("upload", "hello\n"), "a.txt", limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::ProcessingError);
  EXPECT_EQ(doc.error().message, "the parser ran out of memory");
}

TEST_F(IsolateTest, TheMemoryLimitLeavesRoomForRealWork) {
  limits_.max_memory_bytes = 768ull << 20;  // the binary maps OpenCV and FFmpeg too
  auto doc = extract_isolated(kDocent, write("upload", "# Small\n\nfile\n"), "a.md", limits_);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
}

TEST_F(IsolateTest, AMissingExecutableIsInternal) {
  auto doc = extract_isolated(dir_ / "no-such-docent", write("upload", "x\n"), "a.txt", limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::Internal);
  EXPECT_THAT(doc.error().message, HasSubstr("cannot start the parser"));
}

TEST_F(IsolateTest, AnExecutableThatIsNotAWorkerIsAProcessingError) {
  auto doc = extract_isolated("/bin/true", write("upload", "x\n"), "a.txt", limits_);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().code, Code::ProcessingError);
}

TEST_F(IsolateTest, ManyAtOnce) {
  std::vector<std::future<core::Result<Document>>> results;
  for (int i = 0; i < 6; ++i) {
    fs::path file = write("upload" + std::to_string(i), "# Doc " + std::to_string(i) + "\n\nbody\n");
    results.push_back(std::async(std::launch::async, [this, file, i] {
      return extract_isolated(kDocent, file, "doc" + std::to_string(i) + ".md", limits_);
    }));
  }
  for (int i = 0; i < 6; ++i) {
    auto doc = results[i].get();
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    EXPECT_EQ(doc->title, "Doc " + std::to_string(i));
  }
}

TEST_F(IsolateTest, TheWorkerRefusesBadArguments) {
  std::string command = kDocent.string();
  command.insert(0, 1, '\'').append("' __extract --bogus 1");
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[256];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), kWorkerExitError);
  EXPECT_THAT(out, HasSubstr(R"({"error":{"code":"INVALID_INPUT")"));
}

}  // namespace
}  // namespace docent::engines
