#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef DOCENT_BINARY
#error "DOCENT_BINARY must name the docent executable"
#endif

namespace docent::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    fs::path p = fs::temp_directory_path() / ("docent-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// fork + exec with stdout/stderr redirected to files; the child gets `env` on top of ours.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const fs::path& out,
            const fs::path& err, const fs::path& cwd) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    dup2(in, 0);
    dup2(o, 1);
    dup2(e, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

ServerProcess::ServerProcess(ServerOptions options) {
  temp_ = std::make_unique<TempDir>();
  data_dir_ = options.data_dir.empty() ? temp_->path() / "data" : options.data_dir;
  out_path_ = temp_->path() / "stdout.txt";
  err_path_ = temp_->path() / "stderr.txt";
  std::vector<std::string> argv{DOCENT_BINARY, options.subcommand, "--host",          "127.0.0.1", "--port",
                                "0",           "--data",           data_dir_.string()};
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  std::map<std::string, std::string> env = options.env;
  if (!env.count("DOCENT_LOG_LEVEL")) env["DOCENT_LOG_LEVEL"] = "warn";
  pid_ = spawn(argv, env, out_path_, err_path_, temp_->path());

  static const std::regex kUrl(R"(http://127\.0\.0\.1:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string out = read_file(out_path_);
    if (std::regex_search(out, m, kUrl)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1].str()));
      static const std::regex kAdminKey(R"(admin key: (dk_[0-9A-Za-z]+))");
      std::smatch k;
      if (std::regex_search(out, k, kAdminKey)) admin_key_ = k[1].str();
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("docent exited before listening; stderr:\n" + read_file(err_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop(SIGKILL);
  throw std::runtime_error("docent did not print its URL within 20 s; stderr:\n" + read_file(err_path_));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGTERM);
}

int ServerProcess::stop(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string ServerProcess::stdout_text() const { return read_file(out_path_); }
std::string ServerProcess::stderr_text() const { return read_file(err_path_); }

CommandResult run_docent(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         const fs::path& cwd) {
  std::vector<std::string> argv{DOCENT_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, env, cwd);
}

CommandResult run_program(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                          const fs::path& cwd) {
  TempDir tmp;
  pid_t pid = spawn(argv, env, tmp.path() / "out", tmp.path() / "err", cwd.empty() ? tmp.path() : cwd);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(tmp.path() / "out");
  r.err = read_file(tmp.path() / "err");
  return r;
}

}  // namespace docent::testing
