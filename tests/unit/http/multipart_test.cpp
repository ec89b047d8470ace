#include "http/multipart.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace docent::http {
namespace {

namespace fs = std::filesystem;
using core::Code;

constexpr std::string_view kBoundary = "----docentBoundary7MA4YWxk";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Part {
  std::string headers;  // header lines, each ending in CRLF
  std::string body;
};

Part field_part(std::string name, std::string value) {
  return {"Content-Disposition: form-data; name=\"" + name + "\"\r\n", std::move(value)};
}

Part file_part(std::string name, std::string filename, std::string content,
               std::string type = "application/octet-stream") {
  return {"Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename + "\"\r\n" +
              "Content-Type: " + type + "\r\n",
          std::move(content)};
}

std::string build_body(const std::vector<Part>& parts, std::string_view boundary = kBoundary) {
  std::string body;
  for (const auto& p : parts) {
    body += "--" + std::string(boundary) + "\r\n" + p.headers + "\r\n" + p.body + "\r\n";
  }
  body += "--" + std::string(boundary) + "--\r\n";
  return body;
}

// A canonical description of a parse outcome, so different chunkings can be compared exactly.
std::string describe(const core::Status& status, const MultipartForm& form) {
  std::ostringstream out;
  if (!status.ok()) {
    out << "error " << core::code_name(status.error().code) << ": " << status.error().message;
    return out.str();
  }
  for (const auto& f : form.fields) out << "field [" << f.name << "] [" << f.content_type << "] [" << f.value << "]\n";
  for (const auto& f : form.files) {
    out << "file [" << f.field_name << "] [" << f.filename << "] [" << f.content_type << "] " << f.size << " ["
        << read_file(f.path) << "]\n";
  }
  return out.str();
}

class MultipartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() /
           ("docent-multipart-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  size_t spooled_count() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }

  struct Outcome {
    core::Status status;
    MultipartForm form;
  };

  // Feeds `body` in the given piece sizes (cycled), then finishes.
  Outcome parse(std::string_view body, const std::vector<size_t>& sizes = {}, MultipartLimits limits = {},
                std::string_view boundary = kBoundary) {
    MultipartParser parser{std::string(boundary), limits, dir_};
    Outcome out;
    size_t i = 0;
    size_t k = 0;
    while (i < body.size()) {
      size_t n = sizes.empty() ? body.size() : std::max<size_t>(1, sizes[k++ % sizes.size()]);
      n = std::min(n, body.size() - i);
      out.status = parser.feed(body.substr(i, n));
      i += n;
      if (!out.status.ok()) return out;
    }
    out.status = parser.finish();
    if (out.status.ok()) out.form = parser.take();
    return out;
  }

  std::string parse_and_describe(std::string_view body, const std::vector<size_t>& sizes = {},
                                 MultipartLimits limits = {}) {
    auto out = parse(body, sizes, limits);
    return describe(out.status, out.form);
  }

  fs::path dir_;
};

// A body with fields, files and content built to look like the boundary.
std::string tricky_body() {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += std::string("\0\0\r\n\0", 5);
  return build_body({
      field_part("title", "hello world"),
      file_part("doc", "a.txt", "line1\r\n--" + std::string(kBoundary.substr(0, 10)) + "\r\n--not-it\r\n\r\r\n-"),
      file_part("bin", "b.bin", binary),
      field_part("empty", ""),
      file_part("doc", "c.txt", "\r\n--" + std::string(kBoundary) + "X still content\r\r"),
      field_part("last", "\r\n"),
  });
}

TEST_F(MultipartTest, ParsesFieldsAndFiles) {
  std::string body = build_body(
      {field_part("title", "My report"), file_part("upload", "report.pdf", "%PDF-1.4 data"), field_part("lang", "en")});
  auto out = parse(body);
  ASSERT_TRUE(out.status.ok()) << out.status.error().message;
  ASSERT_EQ(out.form.fields.size(), 2u);
  EXPECT_EQ(out.form.field("title")->value, "My report");
  EXPECT_EQ(out.form.field("lang")->value, "en");
  EXPECT_EQ(out.form.field("title")->content_type, "");
  EXPECT_EQ(out.form.field("missing"), nullptr);
  ASSERT_EQ(out.form.files.size(), 1u);
  const FormFile& f = out.form.files[0];
  EXPECT_EQ(f.field_name, "upload");
  EXPECT_EQ(f.filename, "report.pdf");
  EXPECT_EQ(f.content_type, "application/octet-stream");
  EXPECT_EQ(f.size, 13u);
  EXPECT_EQ(read_file(f.path), "%PDF-1.4 data");
  EXPECT_EQ(f.path.parent_path(), dir_);
  EXPECT_EQ(out.form.files_named("upload").size(), 1u);
  EXPECT_TRUE(out.form.files_named("title").empty());
}

TEST_F(MultipartTest, TrickyBodyParsesAsExpected) {
  std::string body = tricky_body();
  auto out = parse(body);
  ASSERT_TRUE(out.status.ok()) << out.status.error().message;
  ASSERT_EQ(out.form.fields.size(), 3u);
  EXPECT_EQ(out.form.fields[1].name, "empty");
  EXPECT_EQ(out.form.fields[1].value, "");
  EXPECT_EQ(out.form.field("last")->value, "\r\n");
  ASSERT_EQ(out.form.files.size(), 3u);
  EXPECT_EQ(read_file(out.form.files[0].path),
            "line1\r\n--" + std::string(kBoundary.substr(0, 10)) + "\r\n--not-it\r\n\r\r\n-");
  EXPECT_EQ(out.form.files[1].size, 261u);
  EXPECT_EQ(read_file(out.form.files[1].path)[0], '\0');
  EXPECT_EQ(read_file(out.form.files[2].path), "\r\n--" + std::string(kBoundary) + "X still content\r\r");
  auto docs = out.form.files_named("doc");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1]->filename, "c.txt");
}

TEST_F(MultipartTest, EverySplitSizeGivesTheSameResult) {
  std::string body = tricky_body();
  std::string expected = parse_and_describe(body);
  ASSERT_EQ(expected.rfind("error", 0), std::string::npos) << expected;
  for (size_t k = 1; k <= body.size(); ++k) {
    ASSERT_EQ(parse_and_describe(body, {k}), expected) << "split size " << k;
  }
  EXPECT_EQ(spooled_count(), 0u);
}

TEST_F(MultipartTest, EveryTwoPieceSplitGivesTheSameResult) {
  std::string body = tricky_body();
  std::string expected = parse_and_describe(body);
  for (size_t i = 1; i < body.size(); ++i) {
    ASSERT_EQ(parse_and_describe(body, {i, body.size()}), expected) << "split at " << i;
  }
}

TEST_F(MultipartTest, RandomSplitPointsGiveTheSameResult) {
  std::string body = tricky_body();
  std::string expected = parse_and_describe(body);
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    std::vector<size_t> sizes;
    std::uniform_int_distribution<size_t> dist(1, round % 2 ? 8 : 120);
    for (int j = 0; j < 64; ++j) sizes.push_back(dist(rng));
    ASSERT_EQ(parse_and_describe(body, sizes), expected) << "round " << round;
  }
}

TEST_F(MultipartTest, ErrorsAreTheSameAtEverySplitSize) {
  std::string body = build_body({field_part("a", "1"), file_part("f", "x", "abc")});
  body.insert(body.find("--", 10) + 2 + kBoundary.size(), "-junk");  // second boundary line broken
  std::string expected = parse_and_describe(body);
  EXPECT_EQ(expected.rfind("error BAD_REQUEST", 0), 0u) << expected;
  for (size_t k = 1; k <= body.size(); ++k) ASSERT_EQ(parse_and_describe(body, {k}), expected) << k;
}

TEST_F(MultipartTest, PartialBoundaryAtChunkEdgeIsContent) {
  // The piece ends inside what looks like a delimiter; the next piece shows it was content.
  std::string prefix = "--" + std::string(kBoundary) +
                       "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\n\r\nAAA\r\n--" +
                       std::string(kBoundary.substr(0, 5));
  std::string rest = "nope\r\n--" + std::string(kBoundary) + "--\r\n";
  MultipartParser parser{std::string(kBoundary), {}, dir_};
  ASSERT_TRUE(parser.feed(prefix).ok());
  ASSERT_TRUE(parser.feed(rest).ok());
  ASSERT_TRUE(parser.finish().ok());
  auto form = parser.take();
  ASSERT_EQ(form.files.size(), 1u);
  EXPECT_EQ(read_file(form.files[0].path), "AAA\r\n--" + std::string(kBoundary.substr(0, 5)) + "nope");
}

TEST_F(MultipartTest, BinaryContentWithNulsIsExact) {
  std::string content;
  std::mt19937 rng(7);
  for (int i = 0; i < 300000; ++i) content.push_back(static_cast<char>(rng() % 4 == 0 ? 0 : rng()));
  content += std::string(100, '\0');
  content += "\r\n--";
  std::string body = build_body({file_part("blob", "blob.bin", content)});
  for (size_t k : {size_t{1} << 20, size_t{65536}, size_t{4093}, size_t{3}}) {
    auto out = parse(body, {k});
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    ASSERT_EQ(out.form.files.size(), 1u);
    EXPECT_EQ(out.form.files[0].size, content.size());
    EXPECT_TRUE(read_file(out.form.files[0].path) == content) << "split " << k;
  }
}

TEST_F(MultipartTest, LargeFileInLargeAndSmallPieces) {
  std::string content(5 * 1024 * 1024, 'x');
  for (size_t i = 0; i < content.size(); i += 997) content[i] = '\r';
  std::string body = build_body({field_part("a", "b"), file_part("big", "big.txt", content)});
  for (std::vector<size_t> sizes : {std::vector<size_t>{}, {65536}, {100000, 7, 131072}}) {
    auto out = parse(body, sizes);
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    ASSERT_EQ(out.form.files.size(), 1u);
    EXPECT_TRUE(read_file(out.form.files[0].path) == content);
  }
}

TEST_F(MultipartTest, MissingFinalBoundaryIsBadRequest) {
  std::string body = build_body({field_part("a", "1"), file_part("f", "f.txt", "data")});
  for (std::string truncated : {body.substr(0, body.size() - 4), body.substr(0, body.find("data") + 2),
                                body.substr(0, body.find("\r\n\r\n")), std::string("preamble only"), std::string()}) {
    auto out = parse(truncated);
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::BadRequest);
    EXPECT_EQ(out.status.error().message, "multipart body ended before the closing boundary");
    EXPECT_EQ(spooled_count(), 0u);
  }
}

TEST_F(MultipartTest, ClosingBoundaryWithoutPartsIsAnEmptyForm) {
  auto out = parse("--" + std::string(kBoundary) + "--");
  ASSERT_TRUE(out.status.ok());
  EXPECT_TRUE(out.form.fields.empty());
  EXPECT_TRUE(out.form.files.empty());
}

TEST_F(MultipartTest, PreambleAndEpilogueAreIgnored) {
  std::string body = "This is the preamble.\r\n--" + std::string(kBoundary.substr(0, 8)) + "\r\n" +
                     build_body({field_part("a", "1")}) + "epilogue\r\n--" + std::string(kBoundary) +
                     "\r\nContent-Disposition: form-data; name=\"ignored\"\r\n\r\nx";
  for (size_t k : {size_t{1}, size_t{5}, body.size()}) {
    auto out = parse(body, {k});
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    ASSERT_EQ(out.form.fields.size(), 1u);
    EXPECT_EQ(out.form.fields[0].value, "1");
  }
}

TEST_F(MultipartTest, TransportPaddingAfterBoundaryIsTolerated) {
  std::string b(kBoundary);
  std::string body = "--" + b + " \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + b +
                     "  \r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--" + b + "--  \r\n";
  for (size_t k = 1; k <= body.size(); ++k) {
    auto out = parse(body, {k});
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    ASSERT_EQ(out.form.fields.size(), 2u);
    EXPECT_EQ(out.form.field("b")->value, "2");
  }
}

TEST_F(MultipartTest, LfOnlyLineEndsAreAnErrorAtEverySplit) {
  std::string b(kBoundary);
  std::string body = "--" + b + "\nContent-Disposition: form-data; name=\"a\"\n\n1\n--" + b + "--\n";
  for (size_t k = 1; k <= body.size(); ++k) {
    auto out = parse(body, {k});
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::BadRequest);
  }
  // LF-only header lines after a proper boundary line: never a valid header block.
  std::string mixed = "--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\n\n1\r\n--" + b + "--\r\n";
  for (size_t k = 1; k <= mixed.size(); ++k) {
    auto out = parse(mixed, {k});
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::BadRequest);
  }
}

TEST_F(MultipartTest, HugePartHeadersAreTooLarge) {
  MultipartLimits limits;
  limits.max_part_header_bytes = 1024;
  std::string b(kBoundary);
  std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " + std::string(5000, 'p') +
                     "\r\n\r\nv\r\n--" + b + "--\r\n";
  for (size_t k : {size_t{1}, size_t{100}, body.size()}) {
    auto out = parse(body, {k}, limits);
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::PayloadTooLarge);
    EXPECT_EQ(out.status.error().details.at("limit").as_uint64(), 1024u);
  }
  // Headers of exactly the limit are fine.
  std::string cd = "Content-Disposition: form-data; name=\"a\"";
  std::string exact = "--" + b + "\r\n" + cd + "\r\nX: " + std::string(1024 - cd.size() - 5, 'p') + "\r\n\r\nv\r\n--" +
                      b + "--";
  EXPECT_TRUE(parse(exact, {}, limits).status.ok());
  EXPECT_TRUE(parse(exact, {1}, limits).status.ok());
  std::string over = "--" + b + "\r\n" + cd + "\r\nX: " + std::string(1024 - cd.size() - 4, 'p') + "\r\n\r\nv\r\n--" +
                     b + "--";
  EXPECT_EQ(parse(over, {}, limits).status.error().code, Code::PayloadTooLarge);
}

TEST_F(MultipartTest, TooManyPartsIsInvalidInput) {
  MultipartLimits limits;
  limits.max_parts = 3;
  std::vector<Part> parts = {field_part("a", "1"), field_part("b", "2"), file_part("c", "c.txt", "3")};
  EXPECT_TRUE(parse(build_body(parts), {}, limits).status.ok());
  parts.push_back(file_part("d", "d.txt", "4"));
  auto out = parse(build_body(parts), {}, limits);
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code, Code::InvalidInput);
  EXPECT_NE(out.status.error().message.find('3'), std::string::npos) << out.status.error().message;
  EXPECT_EQ(spooled_count(), 0u);
}

TEST_F(MultipartTest, FieldOverItsLimit) {
  MultipartLimits limits;
  limits.max_field_bytes = 10;
  EXPECT_TRUE(parse(build_body({field_part("a", std::string(10, 'x'))}), {}, limits).status.ok());
  for (size_t k : {size_t{1}, size_t{1000}}) {
    auto out = parse(build_body({field_part("a", std::string(11, 'x'))}), {k}, limits);
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::PayloadTooLarge);
    EXPECT_EQ(out.status.error().details.at("limit").as_uint64(), 10u);
    EXPECT_EQ(out.status.error().field, "a");
  }
}

TEST_F(MultipartTest, FileOverItsLimit) {
  MultipartLimits limits;
  limits.max_file_bytes = 100;
  EXPECT_TRUE(parse(build_body({file_part("f", "f", std::string(100, 'x'))}), {}, limits).status.ok());
  for (size_t k : {size_t{1}, size_t{1000}}) {
    auto out = parse(build_body({file_part("f", "f", std::string(101, 'x'))}), {k}, limits);
    ASSERT_FALSE(out.status.ok());
    EXPECT_EQ(out.status.error().code, Code::PayloadTooLarge);
    EXPECT_EQ(out.status.error().details.at("limit").as_uint64(), 100u);
    EXPECT_EQ(spooled_count(), 0u);
  }
}

TEST_F(MultipartTest, TotalLimitCountsEveryByte) {
  std::string body = build_body({field_part("a", "1"), file_part("f", "f", std::string(200, 'x'))});
  MultipartLimits limits;
  limits.max_total_bytes = body.size();
  EXPECT_TRUE(parse(body, {7}, limits).status.ok());
  limits.max_total_bytes = body.size() - 1;
  auto out = parse(body, {7}, limits);
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code, Code::PayloadTooLarge);
  EXPECT_EQ(out.status.error().details.at("limit").as_uint64(), body.size() - 1);
  EXPECT_EQ(spooled_count(), 0u);
  // Epilogue bytes count too.
  limits.max_total_bytes = body.size();
  EXPECT_FALSE(parse(body + "x", {}, limits).status.ok());
}

TEST_F(MultipartTest, ErrorIsStickyAndFilesAreDeleted) {
  MultipartLimits limits;
  limits.max_field_bytes = 4;
  std::string body = build_body({file_part("f", "f.txt", "file data"), field_part("big", "12345")});
  MultipartParser parser{std::string(kBoundary), limits, dir_};
  size_t cut = body.find("12345");
  ASSERT_TRUE(parser.feed(body.substr(0, cut)).ok());
  EXPECT_EQ(spooled_count(), 1u);
  auto first = parser.feed(body.substr(cut));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().code, Code::PayloadTooLarge);
  EXPECT_EQ(spooled_count(), 0u);
  auto again = parser.feed("--" + std::string(kBoundary) + "--");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, first.error().code);
  EXPECT_EQ(again.error().message, first.error().message);
  auto fin = parser.finish();
  ASSERT_FALSE(fin.ok());
  EXPECT_EQ(fin.error().message, first.error().message);
  EXPECT_TRUE(parser.take().files.empty());
}

TEST_F(MultipartTest, SpooledFilesDeletedWithTheForm) {
  std::string body = build_body({file_part("a", "a.txt", "A"), file_part("b", "b.txt", "B")});
  std::vector<fs::path> paths;
  {
    auto out = parse(body);
    ASSERT_TRUE(out.status.ok());
    for (const auto& f : out.form.files) {
      paths.push_back(f.path);
      EXPECT_TRUE(fs::exists(f.path));
      struct stat st {};
      ASSERT_EQ(::stat(f.path.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u);
    }
  }
  ASSERT_EQ(paths.size(), 2u);
  for (const auto& p : paths) EXPECT_FALSE(fs::exists(p));
  EXPECT_EQ(spooled_count(), 0u);
}

TEST_F(MultipartTest, SpooledFilesDeletedWhenParserDiesWithoutTake) {
  std::string body = build_body({file_part("a", "a.txt", "A")});
  {
    MultipartParser parser{std::string(kBoundary), {}, dir_};
    ASSERT_TRUE(parser.feed(body).ok());
    EXPECT_EQ(spooled_count(), 1u);
  }
  EXPECT_EQ(spooled_count(), 0u);
  {
    MultipartParser parser{std::string(kBoundary), {}, dir_};
    ASSERT_TRUE(parser.feed(body.substr(0, body.size() - 20)).ok());  // mid-file
    EXPECT_EQ(spooled_count(), 1u);
  }
  EXPECT_EQ(spooled_count(), 0u);
}

TEST_F(MultipartTest, ReleasedFileOutlivesTheForm) {
  std::string body = build_body({file_part("a", "a.txt", "keep me"), file_part("b", "b.txt", "drop me")});
  fs::path kept;
  fs::path dropped;
  {
    auto out = parse(body);
    ASSERT_TRUE(out.status.ok());
    out.form.release(out.form.files[0]);
    kept = out.form.files[0].path;
    dropped = out.form.files[1].path;
  }
  EXPECT_FALSE(fs::exists(dropped));
  ASSERT_TRUE(fs::exists(kept));
  EXPECT_EQ(read_file(kept), "keep me");
  fs::remove(kept);
}

TEST_F(MultipartTest, MovedFromFormOwnsNothing) {
  auto out = parse(build_body({file_part("a", "a.txt", "A")}));
  ASSERT_TRUE(out.status.ok());
  fs::path path = out.form.files[0].path;
  MultipartForm moved(std::move(out.form));
  EXPECT_TRUE(out.form.files.empty());  // NOLINT(bugprone-use-after-move): checking the contract
  { MultipartForm destroyed = std::move(out.form); }
  EXPECT_TRUE(fs::exists(path));
  MultipartForm assigned;
  assigned = std::move(moved);
  EXPECT_TRUE(fs::exists(path));
  auto other = parse(build_body({file_part("b", "b.txt", "B")}));
  fs::path other_path = other.form.files[0].path;
  assigned = std::move(other.form);  // drops the first form's file
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::exists(other_path));
}

TEST_F(MultipartTest, SpoolNameNeverComesFromTheClient) {
  auto out = parse(build_body({file_part("a", "../../../etc/passwd", "x"), file_part("b", "/tmp/evil", "y")}));
  ASSERT_TRUE(out.status.ok());
  for (const auto& f : out.form.files) {
    EXPECT_EQ(f.path.parent_path(), dir_);
    EXPECT_EQ(f.path.filename().string().find("passwd"), std::string::npos);
    EXPECT_EQ(f.path.filename().string().find("evil"), std::string::npos);
  }
  EXPECT_EQ(out.form.files[0].filename, "../../../etc/passwd");
  EXPECT_NE(out.form.files[0].path, out.form.files[1].path);
}

TEST_F(MultipartTest, HeaderParsingVariants) {
  std::string b(kBoundary);
  auto one = [&](std::string headers, std::string content = "v") {
    return "--" + b + "\r\n" + headers + "\r\n\r\n" + content + "\r\n--" + b + "--\r\n";
  };
  {
    auto out = parse(
        one("content-disposition: FORM-DATA;NAME=plain ; FileName=\"x y.txt\"\r\nCONTENT-TYPE:  text/plain "));
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    ASSERT_EQ(out.form.files.size(), 1u);
    EXPECT_EQ(out.form.files[0].field_name, "plain");
    EXPECT_EQ(out.form.files[0].filename, "x y.txt");
    EXPECT_EQ(out.form.files[0].content_type, "text/plain");
  }
  {
    auto out = parse(one("Content-Disposition: form-data; name=\"a\\\"b\"; filename=\"C:\\dir\\f.txt\""));
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    EXPECT_EQ(out.form.files[0].field_name, "a\"b");
    EXPECT_EQ(out.form.files[0].filename, "C:\\dir\\f.txt");
  }
  {
    auto out = parse(
        one("Content-Disposition: form-data; name=f; filename=\"fallback.txt\"; "
            "filename*=UTF-8''%E2%82%AC%20rates.txt"));
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    EXPECT_EQ(out.form.files[0].filename, "\xE2\x82\xAC rates.txt");
  }
  {
    auto out = parse(one("Content-Disposition: form-data; name=f; filename*=iso-8859-1'en'%E9t%E9.txt"));
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    EXPECT_EQ(out.form.files[0].filename, "\xC3\xA9t\xC3\xA9.txt");
  }
  {
    auto out = parse(one("X-Other: 1\r\nContent-Disposition: form-data;\r\n name=\"folded\""));
    ASSERT_TRUE(out.status.ok()) << out.status.error().message;
    EXPECT_EQ(out.form.field("folded")->value, "v");
  }
  {
    auto out = parse(one("Content-Disposition: form-data; name=\"t\"\r\nContent-Type: text/plain; charset=utf-8"));
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(out.form.field("t")->content_type, "text/plain; charset=utf-8");
  }
  {
    auto out = parse(one("Content-Disposition: form-data; name=\"e\"; filename=\"\"", ""));
    ASSERT_TRUE(out.status.ok());
    ASSERT_EQ(out.form.files.size(), 1u);
    EXPECT_EQ(out.form.files[0].filename, "");
    EXPECT_EQ(out.form.files[0].size, 0u);
  }
}

TEST_F(MultipartTest, BadPartHeadersAreBadRequest) {
  std::string b(kBoundary);
  auto one = [&](std::string headers) { return "--" + b + "\r\n" + headers + "\r\n\r\nv\r\n--" + b + "--\r\n"; };
  const char* cases[] = {
      "Content-Type: text/plain",                            // no Content-Disposition
      "Content-Disposition: form-data",                      // no name
      "Content-Disposition: form-data; name=\"\"",           // empty name
      "Content-Disposition: form-data; filename=\"a.txt\"",  // file without name
      "Content-Disposition: attachment; name=\"a\"",         // not form-data
      "Content-Disposition: form-data; name=\"a",            // unterminated quote
      "Content-Disposition: form-data; name=\"a\" junk",     // junk after a value
      "Content-Disposition: form-data; name",                // no '='
      "Content-Disposition: form-data; name=a; name=b",      // duplicate parameter
      "Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b",
      "Content-Disposition: form-data; name=a; filename*=UTF-8''%zz",   // bad percent escape
      "Content-Disposition: form-data; name=a; filename*=koi8-r''abc",  // unsupported charset
      "Content-Disposition: form-data; name=a; filename*=abc",          // no charset
      "no colon here\r\nContent-Disposition: form-data; name=a",
      "Content-Disposition : form-data; name=a",  // space before colon
      " folded-first: x\r\nContent-Disposition: form-data; name=a",
  };
  for (const char* headers : cases) {
    auto out = parse(one(headers));
    ASSERT_FALSE(out.status.ok()) << headers;
    EXPECT_EQ(out.status.error().code, Code::BadRequest) << headers;
  }
  // A part with no headers at all.
  auto out = parse("--" + b + "\r\n\r\nv\r\n--" + b + "--\r\n");
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code, Code::BadRequest);
  // A NUL inside the header block.
  out = parse(one(std::string("Content-Disposition: form-data; name=a\0b", 40)));
  ASSERT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.error().code, Code::BadRequest);
}

TEST_F(MultipartTest, JunkAfterBoundaryIsBadRequest) {
  std::string b(kBoundary);
  for (std::string body : {"--" + b + "-x", "--" + b + " x\r\n", "--" + b + "\rX", "--" + b + "\n"}) {
    auto out = parse(body);
    ASSERT_FALSE(out.status.ok()) << body;
    EXPECT_EQ(out.status.error().code, Code::BadRequest);
  }
}

TEST_F(MultipartTest, InvalidBoundaryFailsEveryFeed) {
  for (std::string boundary : {std::string(), std::string(71, 'a'), std::string("a\r\nb"), std::string("trail ")}) {
    MultipartParser parser{boundary, {}, dir_};
    auto st = parser.feed("--" + boundary + "--");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Code::BadRequest);
    EXPECT_FALSE(parser.finish().ok());
  }
  EXPECT_TRUE(parse("--" + std::string(70, 'a') + "--", {}, {}, std::string(70, 'a')).status.ok());
}

TEST_F(MultipartTest, MissingSpoolDirIsInternal) {
  MultipartParser parser{std::string(kBoundary), {}, dir_ / "does-not-exist"};
  auto st = parser.feed(build_body({file_part("a", "a.txt", "A")}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Code::Internal);
}

TEST(MultipartBoundary, Cases) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;BOUNDARY=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"),
            "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  EXPECT_EQ(multipart_boundary("  multipart/form-data ; boundary=x ; foo=\"bar;baz\""), "x");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'z')), std::string(70, 'z'));

  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'z')), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary="), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"\""), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=abc"), std::nullopt);
  EXPECT_EQ(multipart_boundary("application/x-www-form-urlencoded"), std::nullopt);
  EXPECT_EQ(multipart_boundary(""), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"abc"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=a; boundary=b"), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"trailing \""), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a\r\nb\""), std::nullopt);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=a{b}"), std::nullopt);
}

}  // namespace
}  // namespace docent::http
