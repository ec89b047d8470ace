#include "app/extract_command.h"

#include "app/runtime.h"
#include "engines/xlsx.h"
#include "services/extraction.h"

#include <boost/json.hpp>

#include <algorithm>
#include <iostream>

namespace docent::app {

namespace {

int usage(const std::string& message) {
  std::cerr << "docent extract: " << message << "\n"
            << "usage: docent extract --kind invoice|po|dc|ewaybill IN.pdf... -o OUT.xlsx\n";
  return 2;
}

// "INV-7 of 2026-04-01: 18 fields, 3 lines, 9 of 9 checks passed".
std::string summary(const engines::Extraction& x) {
  std::string out;
  if (const auto* n = x.field("document_number")) out += n->raw;
  if (const auto* d = x.field("document_date")) out += (out.empty() ? "dated " : " of ") + d->value.text;
  if (!out.empty()) out += ": ";
  const auto passed = std::count_if(x.checks.begin(), x.checks.end(), [](const auto& c) { return c.passed; });
  out += std::to_string(x.fields.size()) + " fields, " + std::to_string(x.lines.size()) + " lines, " +
         std::to_string(passed) + " of " + std::to_string(x.checks.size()) + " checks passed";
  return out;
}

}  // namespace

int extract_command(const core::Config& config, const ExtractArgs& args) {
  auto kind = engines::parse_kind(args.kind);
  if (!kind) return usage("--kind must be invoice, po, dc or ewaybill");
  if (args.inputs.empty()) return usage("name at least one PDF");
  if (args.output.empty()) return usage("-o OUT.xlsx is required");
  const auto options = extraction_options(config);
  if (static_cast<int>(args.inputs.size()) > options.max_files) {
    return usage("at most " + std::to_string(options.max_files) + " PDFs at once (extraction.max_files)");
  }

  std::vector<std::pair<std::string, engines::Extraction>> read;
  bool failed = false;
  for (const auto& input : args.inputs) {
    const std::string name = std::filesystem::path(input).filename().string();
    auto x = services::read_document(options.docent_exe, input, name, *kind, options.limits, options.isolate);
    if (!x) {
      std::cerr << "docent extract: " << x.error().message << "\n";
      failed = true;
      continue;
    }
    read.emplace_back(name, std::move(*x));
  }
  if (read.empty()) return 1;

  std::vector<engines::WorkbookDocument> book;
  for (const auto& [name, x] : read) book.push_back({name, &x});
  if (auto st = engines::write_workbook(args.output, book); !st) {
    std::cerr << "docent extract: " << st.error().message << "\n";
    return 1;
  }
  for (const auto& [name, x] : read) {
    if (args.json) {
      boost::json::object o = engines::to_json(x).as_object();
      o["file_name"] = name;
      std::cout << boost::json::serialize(o) << "\n";
      continue;
    }
    std::cout << name << ": " << summary(x) << "\n";
    for (const auto& w : x.warnings) std::cout << "  note: " << w << "\n";
    for (const auto& c : x.checks) {
      if (!c.passed) std::cout << "  check failed: " << c.name << " (" << c.field << "): " << c.detail << "\n";
    }
  }
  std::cerr << "wrote " << args.output << "\n";
  return failed ? 1 : 0;
}

}  // namespace docent::app
