#pragma once
// Starts the real `docent serve` binary on 127.0.0.1 with a fresh temporary data folder, waits
// for the URL it prints, and stops it (SIGTERM, then SIGKILL) when destroyed. Every integration
// test builds on this.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace docent::testing {

// A temporary folder removed (recursively) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ServerOptions {
  std::vector<std::string> args;           // extra arguments after `serve ...`
  std::map<std::string, std::string> env;  // extra environment variables
  std::filesystem::path data_dir;          // empty: a fresh temporary folder
  std::string subcommand = "serve";
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  // The first-start admin key the server printed (empty when the data folder had accounts).
  const std::string& admin_key() const { return admin_key_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  // Sends `sig` and waits up to `timeout` for the process to exit; returns its exit status as
  // from waitpid (use WIFEXITED/WEXITSTATUS), or -1 if it had to be killed.
  int stop(int sig, std::chrono::milliseconds timeout = std::chrono::milliseconds(15000));
  bool running() const { return pid_ > 0; }

  // What the server wrote to stdout and stderr so far.
  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  std::unique_ptr<TempDir> temp_;
  std::filesystem::path data_dir_;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string admin_key_;
};

// Runs the docent binary with arguments to completion; returns exit status and stdout.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_docent(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                         const std::filesystem::path& cwd = {});
// Runs any program (argv[0] an absolute path) to completion, with `env` on top of ours.
CommandResult run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
                          const std::filesystem::path& cwd = {});

}  // namespace docent::testing
