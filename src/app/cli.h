#pragma once
// The command line: `docent serve|config|version`, each with --help.

namespace docent::app {

int run_cli(int argc, char** argv);

}  // namespace docent::app
