// Writes a corpus of generated business documents and their ground truth:
//
//   make_business_docs OUT_DIR [TEXT_COUNT [SCANNED_COUNT [SEED]]]
//
// OUT_DIR/NNN-<kind>.pdf and OUT_DIR/NNN-<kind>.json (support/business_docs.h's to_json), and
// OUT_DIR/index.json listing them.

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/business_docs.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: make_business_docs OUT_DIR [TEXT_COUNT [SCANNED_COUNT [SEED]]]\n");
    return 2;
  }
  namespace bd = docent::business_docs;
  const std::filesystem::path dir = argv[1];
  const int text = argc > 2 ? std::atoi(argv[2]) : 8;
  const int scanned = argc > 3 ? std::atoi(argv[3]) : 4;
  const uint64_t seed = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1;
  std::filesystem::create_directories(dir);
  boost::json::array index;
  int n = 0;
  for (const bd::Spec& spec : bd::corpus(text, scanned, seed)) {
    char stem[64];
    std::snprintf(stem, sizeof stem, "%03d-%s%s", n++, spec.kind.c_str(), spec.scanned ? "-scan" : "");
    const auto pdf = dir / (std::string(stem) + ".pdf");
    auto truth = bd::write_document(pdf, spec);
    if (!truth) {
      std::fprintf(stderr, "could not write %s\n", pdf.c_str());
      return 1;
    }
    std::ofstream(dir / (std::string(stem) + ".json")) << boost::json::serialize(bd::to_json(*truth)) << "\n";
    index.push_back(boost::json::object{{"pdf", pdf.filename().string()},
                                        {"truth", std::string(stem) + ".json"},
                                        {"kind", spec.kind},
                                        {"scanned", spec.scanned}});
  }
  std::ofstream(dir / "index.json") << boost::json::serialize(index) << "\n";
  std::printf("%d documents in %s\n", n, dir.c_str());
  return 0;
}
