#pragma once
// `docent extract --kind invoice|po|dc|ewaybill IN.pdf... -o OUT.xlsx`: business documents into
// one Excel workbook on this machine, no server needed. Each PDF is read in a bounded child
// process (as the server does) by the rules of engines/extraction.h; the model pass needs a
// server's upstream and is not run here.

#include "core/config.h"

#include <string>
#include <vector>

namespace docent::app {

struct ExtractArgs {
  std::string kind;
  std::vector<std::string> inputs;
  std::string output;
  bool json = false;  // print every document's extraction as JSON instead of the summary
};

// Writes the workbook of every readable input and prints a line per document on stdout (problems
// on stderr). Exit status: 0 when every input was read, 1 when some could not be (the workbook
// then holds the others; none is written when no input was read), 2 for a usage error.
int extract_command(const core::Config& config, const ExtractArgs& args);

}  // namespace docent::app
