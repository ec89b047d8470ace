#include "app/cli.h"

#include "app/serve.h"
#include "core/config.h"
#include "core/log.h"

#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <optional>
#include <string>

namespace docent::app {

namespace {

// Flags shared by every subcommand that reads the configuration. Each one given on the command
// line becomes a flag-level setting (the highest precedence).
struct ConfigFlags {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> values;  // dotted key -> text
  std::vector<std::string> sets;              // --set key=value

  void add_to(CLI::App& cmd) {
    cmd.add_option("-c,--config", config_file, "Configuration file (default: $DOCENT_CONFIG or ./docent.toml)");
    add(cmd, "--host", "server.host", "Address to listen on");
    add(cmd, "-p,--port", "server.port", "Port to listen on; 0 picks a free port");
    add(cmd, "-d,--data", "data.dir", "Data folder (database, blobs, master key)");
    add(cmd, "--threads", "server.threads", "Network threads (0 = one per core)");
    add(cmd, "--workers", "server.workers", "Handler worker threads (0 = automatic)");
    add(cmd, "--log-level", "log.level", "trace, debug, info, warn, error or off");
    add(cmd, "--log-format", "log.format", "text or json");
    add(cmd, "--web-dir", "server.web_dir", "Folder of the web UI");
    add(cmd, "--llm-url", "llm.url", "OpenAI-compatible upstream base URL");
    add(cmd, "--llm-model", "llm.model", "Default upstream model");
    cmd.add_option("--set", sets, "Any setting as key=value, e.g. --set server.max_body_bytes=2MiB");
  }

  void add(CLI::App& cmd, const std::string& flag, const std::string& key, const std::string& help) {
    cmd.add_option_function<std::string>(flag, [this, key](const std::string& v) { values[key] = v; }, help);
  }

  core::Result<core::Config> load() {
    core::ConfigInputs in;
    in.flags = values;
    for (const auto& s : sets) {
      auto eq = s.find('=');
      if (eq == std::string::npos || eq == 0) {
        return core::Error(core::Code::InvalidInput, "--set expects key=value, got '" + s + "'");
      }
      in.flags[s.substr(0, eq)] = s.substr(eq + 1);
    }
    in.env = core::current_environment();
    if (config_file) in.file = *config_file;
    return core::load_config(in);
  }
};

}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"docent: a self-hosted AI document and chat server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(DOCENT_VERSION));

  ConfigFlags serve_flags;
  auto* serve_cmd = app.add_subcommand("serve", "Start the HTTP server");
  serve_flags.add_to(*serve_cmd);

  ConfigFlags config_flags;
  auto* config_cmd = app.add_subcommand("config", "Print the effective configuration (secrets masked)");
  config_flags.add_to(*config_cmd);

  auto* version_cmd = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (version_cmd->parsed()) {
    std::cout << "docent " << DOCENT_VERSION << "\n";
    return 0;
  }
  ConfigFlags& flags = serve_cmd->parsed() ? serve_flags : config_flags;
  auto config = flags.load();
  if (!config) {
    std::cerr << "docent: configuration error: " << config.error().message << "\n";
    return 2;
  }
  if (config_cmd->parsed()) {
    std::cout << core::render_config(*config);
    return 0;
  }
  core::init_logging(config->log.level, config->log.format);
  for (const auto& w : config->warnings) core::log::warn(w);
  return serve(*config);
}

}  // namespace docent::app
