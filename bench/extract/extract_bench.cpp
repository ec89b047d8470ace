// bench/extract: the extraction engine over a generated corpus (tests/support/business_docs.h).
//
//   bench_extract [--text N] [--scanned N] [--seed S] [--keep DIR] [--verbose]
//
// Generates the corpus, then for every document reads its words (engines::pdf_words, OCR for
// scanned pages) and extracts its fields (engines::extract_fields), scoring each header field
// and line cell against the ground truth. Baseline, measured in the same run on the same files:
// engines::extract_pdf, docent's plain text extraction (with the same OCR for scans). Prints a
// Markdown report: precision, recall and F1 micro-averaged, text and scanned apart, and
// documents per second for both.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "engines/extraction.h"
#include "engines/layout.h"
#include "engines/pdf.h"
#include "support/business_docs.h"
#include "support/extraction_score.h"

namespace bd = docent::business_docs;
namespace engines = docent::engines;
using Clock = std::chrono::steady_clock;

namespace {

struct Group {
  bd::Score fields, lines, all;
  int docs = 0;
  double extract_s = 0, baseline_s = 0;
};

void row(const char* what, const bd::Score& s) {
  std::printf("| %s | %d | %d | %d | %.3f | %.3f | %.3f |\n", what, s.true_positive, s.false_positive, s.false_negative,
              s.precision(), s.recall(), s.f1());
}

}  // namespace

int main(int argc, char** argv) {
  int text = 40, scanned = 12;
  uint64_t seed = 2026;
  std::filesystem::path keep;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--text")
      text = std::atoi(next().c_str());
    else if (a == "--scanned")
      scanned = std::atoi(next().c_str());
    else if (a == "--seed")
      seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--keep")
      keep = next();
    else if (a == "--verbose")
      verbose = true;
    else {
      std::fprintf(stderr, "usage: bench_extract [--text N] [--scanned N] [--seed S] [--keep DIR] [--verbose]\n");
      return 2;
    }
  }
  const std::filesystem::path dir = keep.empty() ? std::filesystem::temp_directory_path() /
                                                       ("bench-extract-" + std::to_string(::getpid()))
                                                 : keep;
  std::filesystem::create_directories(dir);
  auto ocr = engines::Ocr::create("eng");
  if (!ocr) {
    std::fprintf(stderr, "tesseract: %s\n", ocr.error().message.c_str());
    return 1;
  }
  engines::ParseLimits limits;
  Group groups[2];
  int n = 0;
  for (const bd::Spec& spec : bd::corpus(text, scanned, seed)) {
    const auto pdf = dir / (std::to_string(n++) + "-" + spec.kind + (spec.scanned ? "-scan" : "") + ".pdf");
    auto truth = bd::write_document(pdf, spec);
    if (!truth) {
      std::fprintf(stderr, "could not write %s\n", pdf.c_str());
      return 1;
    }
    Group& g = groups[spec.scanned ? 1 : 0];
    auto t0 = Clock::now();
    auto pages = engines::pdf_words(pdf, limits, ocr->get());
    if (!pages) {
      std::fprintf(stderr, "%s: %s\n", pdf.c_str(), pages.error().message.c_str());
      return 1;
    }
    const engines::Extraction x = engines::extract_fields(*engines::parse_kind(spec.kind), *pages);
    auto t1 = Clock::now();
    auto doc = engines::extract_pdf(pdf, limits, ocr->get());
    auto t2 = Clock::now();
    if (!doc) return 1;
    g.extract_s += std::chrono::duration<double>(t1 - t0).count();
    g.baseline_s += std::chrono::duration<double>(t2 - t1).count();
    ++g.docs;
    bd::Score f = bd::score_fields(x, *truth), l = bd::score_lines(x, *truth);
    if (verbose && (!f.mismatches.empty() || !l.mismatches.empty())) {
      std::fprintf(stderr, "== %s (%s, %s, %d pages)\n", pdf.c_str(), truth->layout.c_str(), truth->font.c_str(),
                   truth->pages);
      for (const auto& m : f.mismatches) std::fprintf(stderr, "   %s\n", m.c_str());
      for (const auto& m : l.mismatches) std::fprintf(stderr, "   %s\n", m.c_str());
    }
    g.fields.add(f);
    g.lines.add(l);
    g.all.add(f);
    g.all.add(l);
  }
  if (keep.empty()) std::filesystem::remove_all(dir);

  std::printf(
      "Corpus: %d text and %d scanned documents (invoices, purchase orders, delivery challans, e-way bills; "
      "left-column and boxed layouts and the e-way bill form; DejaVu Sans, Serif and Sans Mono; "
      "one to three pages), seed %llu.\n\n",
      text, scanned, static_cast<unsigned long long>(seed));
  std::printf("| values | TP | FP | FN | precision | recall | F1 |\n|---|---:|---:|---:|---:|---:|---:|\n");
  const char* names[2] = {"text", "scanned"};
  for (int k = 0; k < 2; ++k) {
    if (groups[k].docs == 0) continue;
    std::string a = std::string(names[k]) + ": header fields", b = std::string(names[k]) + ": line cells",
                c = std::string("**") + names[k] + ": all**";
    row(a.c_str(), groups[k].fields);
    row(b.c_str(), groups[k].lines);
    row(c.c_str(), groups[k].all);
  }
  // Per field and per column: precision / recall, text and scanned side by side.
  std::printf(
      "\nBy field (header) and column (line cells): precision / recall (values counted).\n\n"
      "| field | text P | text R | text n | scanned P | scanned R | scanned n |\n"
      "|---|---:|---:|---:|---:|---:|---:|\n");
  auto ratio = [](int num, int den) {
    if (den == 0) return std::string("–");
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(num) / den);
    return std::string(buf);
  };
  for (const bool header : {true, false}) {
    std::set<std::string> names_seen;
    for (const Group& g : groups) {
      for (const auto& [n, c] : (header ? g.fields : g.lines).by_name) names_seen.insert(n);
    }
    for (const auto& n : names_seen) {
      std::printf("| %s%s |", header ? "" : "line: ", n.c_str());
      for (const Group& g : groups) {
        const auto& m = (header ? g.fields : g.lines).by_name;
        auto it = m.find(n);
        bd::Counts c = it == m.end() ? bd::Counts{} : it->second;
        std::printf(" %s | %s | %d |", ratio(c.true_positive, c.true_positive + c.false_positive).c_str(),
                    ratio(c.true_positive, c.true_positive + c.false_negative).c_str(),
                    c.true_positive + c.false_negative);
      }
      std::printf("\n");
    }
  }
  std::printf(
      "\n| documents | count | extraction docs/s | baseline (extract_pdf) docs/s | extraction time / baseline |\n"
      "|---|---:|---:|---:|---:|\n");
  for (int k = 0; k < 2; ++k) {
    const Group& g = groups[k];
    if (g.docs == 0) continue;
    std::printf("| %s | %d | %.1f | %.1f | %.2f |\n", names[k], g.docs, g.docs / g.extract_s, g.docs / g.baseline_s,
                g.extract_s / g.baseline_s);
  }
  return 0;
}
