#include "engines/isolate.h"

#include "core/json.h"
#include "core/log.h"
#include "engines/extract.h"
#include "engines/ocr.h"
#include "engines/sniff.h"

#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace docent::engines {

namespace {

using core::Code;
using core::Error;
using Clock = std::chrono::steady_clock;

constexpr size_t kStderrTailBytes = 4096;

// A file descriptor, closed when it goes.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// The fd moved above stderr, so dup2 onto 0..2 in the child can never clobber another one.
UniqueFd above_stdio(int fd) {
  if (fd < 0 || fd > STDERR_FILENO) return UniqueFd(fd);
  int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  ::close(fd);
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

std::optional<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  Pipe p{above_stdio(fds[0]), above_stdio(fds[1])};
  if (!p.read || !p.write) return std::nullopt;
  return p;
}

// Kills and reaps the child unless told it has been reaped: no zombie and no orphan, whatever
// path (early return, exception) leaves extract_isolated.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ~ChildGuard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  void release() { pid_ = -1; }

 private:
  pid_t pid_;
};

// Everything the child needs between fork and exec, prepared beforehand: after fork, in a
// multi-threaded parent, only async-signal-safe calls are allowed (no malloc, no locks).
struct ChildSetup {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::vector<std::string> env;
  std::vector<char*> envp;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int exec_error_fd = -1;  // close-on-exec: EOF tells the parent exec worked
  pid_t parent = 0;
  rlimit memory{RLIM_INFINITY, RLIM_INFINITY};
  rlimit cpu{RLIM_INFINITY, RLIM_INFINITY};
  rlimit core{0, 0};
  unsigned max_fd = 1024;  // for closing descriptors where close_range is missing
  sigset_t empty_mask;
  struct sigaction default_action;
};

[[noreturn]] void run_child(const ChildSetup& s) {
  // Async-signal-safe calls only from here on.
  if (::dup2(s.stdin_fd, STDIN_FILENO) < 0 || ::dup2(s.stdout_fd, STDOUT_FILENO) < 0 ||
      ::dup2(s.stderr_fd, STDERR_FILENO) < 0) {
    int e = errno;
    (void)!::write(s.exec_error_fd, &e, sizeof e);
    ::_exit(127);
  }
  for (int sig :
       {SIGPIPE, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGXCPU, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) {
    ::sigaction(sig, &s.default_action, nullptr);
  }
  ::sigprocmask(SIG_SETMASK, &s.empty_mask, nullptr);
  // Die with the parent: a server that goes away leaves no parser running.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.parent) ::_exit(127);
  ::setrlimit(RLIMIT_AS, &s.memory);
  ::setrlimit(RLIMIT_CPU, &s.cpu);
  ::setrlimit(RLIMIT_CORE, &s.core);
  // Inherit nothing but stdio (and the exec-error pipe, which closes itself on exec).
  const auto keep = static_cast<unsigned>(s.exec_error_fd);
  if ((keep > 3 && ::close_range(3, keep - 1, 0) != 0) || ::close_range(keep + 1, ~0U, 0) != 0) {
    for (unsigned fd = 3; fd < s.max_fd; ++fd) {
      if (fd != keep) ::close(static_cast<int>(fd));
    }
  }
  ::execve(s.argv[0], s.argv.data(), s.envp.data());
  int e = errno;
  (void)!::write(s.exec_error_fd, &e, sizeof e);
  ::_exit(127);
}

std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "OMP_THREAD_LIMIT=", 17) != 0) env.emplace_back(*e);
  }
  env.emplace_back("OMP_THREAD_LIMIT=1");  // tesseract: one thread per worker process
  return env;
}

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()) + " s"; }

Error processing_error(std::string message) { return Error(Code::ProcessingError, std::move(message)); }

std::optional<Code> code_from_name(std::string_view name) {
  static constexpr std::array kCodes = {
      Code::InvalidInput,
      Code::MissingField,
      Code::InvalidJson,
      Code::InvalidFormat,
      Code::BadRequest,
      Code::Unauthenticated,
      Code::PermissionDenied,
      Code::NotFound,
      Code::MethodNotAllowed,
      Code::Conflict,
      Code::NotReady,
      Code::PayloadTooLarge,
      Code::UnsupportedMediaType,
      Code::HeadersTooLarge,
      Code::RateLimited,
      Code::QuotaExceeded,
      Code::Internal,
      Code::ProcessingError,
      Code::UpstreamError,
      Code::ServiceUnavailable,
      Code::Timeout,
  };
  for (Code c : kCodes) {
    if (core::code_name(c) == name) return c;
  }
  return std::nullopt;
}

// What the child printed, when it exited on its own.
core::Result<boost::json::value> read_output(int exit_status, const std::string& out, const ParseLimits& limits) {
  if (exit_status == kWorkerExitOutOfMemory) {
    Error e = processing_error("the parser ran out of memory");
    e.details["memory_limit_bytes"] = limits.max_memory_bytes;
    return e;
  }
  auto json = core::parse_json(out, 32);
  if (exit_status == kWorkerExitOk && json) return std::move(*json);
  if (exit_status == kWorkerExitError && json && json->is_object()) {
    const auto* error = json->get_object().if_contains("error");
    if (error != nullptr && error->is_object()) {
      std::string code;
      std::string message;
      core::ObjectReader r(*error);
      r.required("code", code).required("message", message);
      if (r.ok()) {
        return Error(code_from_name(code).value_or(Code::ProcessingError), message);
      }
    }
  }
  return processing_error("the parser failed (exit status " + std::to_string(exit_status) + ")");
}

core::Result<boost::json::value> outcome(int status, bool timed_out, const std::string& out,
                                         const std::string& err_tail, const ParseLimits& limits) {
  if (timed_out) {
    Error e = processing_error("the parser took longer than " + seconds_text(limits.timeout));
    e.details["timeout_seconds"] = limits.timeout.count();
    return e;
  }
  if (WIFEXITED(status)) return read_output(WEXITSTATUS(status), out, limits);
  if (!WIFSIGNALED(status)) return processing_error("the parser failed");
  const int sig = WTERMSIG(status);
  if (sig == SIGXCPU) {
    Error e = processing_error("the parser took longer than " + seconds_text(limits.timeout) + " of CPU time");
    e.details["timeout_seconds"] = limits.timeout.count();
    return e;
  }
  // std::bad_alloc escaping a noexcept frame ends in abort(); the runtime says so on stderr.
  if (sig == SIGABRT && err_tail.find("bad_alloc") != std::string::npos) {
    Error e = processing_error("the parser ran out of memory");
    e.details["memory_limit_bytes"] = limits.max_memory_bytes;
    return e;
  }
  if (sig == SIGKILL) return processing_error("the parser was killed (signal 9)");
  return processing_error("the parser crashed (signal " + std::to_string(sig) + ")");
}

}  // namespace

std::filesystem::path self_executable() { return "/proc/self/exe"; }

std::vector<std::string> worker_arguments(const std::filesystem::path& file, std::string_view filename,
                                          const ParseLimits& limits, const IsolateOptions& options) {
  return {"--file",
          file.string(),
          "--name",
          std::string(filename),
          "--max-pages",
          std::to_string(limits.max_pages),
          "--max-text-bytes",
          std::to_string(limits.max_text_bytes),
          "--max-uncompressed-bytes",
          std::to_string(limits.max_uncompressed_bytes),
          "--ocr-dpi",
          std::to_string(limits.ocr_dpi),
          "--timeout",
          std::to_string(limits.timeout.count()),
          "--max-memory",
          std::to_string(limits.max_memory_bytes),
          "--ocr",
          options.ocr ? "1" : "0",
          "--ocr-lang",
          options.ocr_language,
          "--tessdata",
          options.tessdata_dir};
}

core::Result<Document> extract_isolated(const std::filesystem::path& docent_exe, const std::filesystem::path& file,
                                        std::string_view filename, const ParseLimits& limits,
                                        const IsolateOptions& options) {
  auto json = run_isolated_worker(docent_exe, kExtractCommand, worker_arguments(file, filename, limits, options),
                                  limits, filename);
  if (!json) return std::move(json).error();
  auto doc = document_from_json(*json);
  if (doc) return doc;
  return processing_error("the parser returned malformed output (" + doc.error().message + ")");
}

core::Result<boost::json::value> run_isolated_worker(const std::filesystem::path& docent_exe, std::string_view command,
                                                     std::vector<std::string> arguments, const ParseLimits& limits,
                                                     std::string_view label, uint64_t max_output) {
  ChildSetup setup;
  setup.args = {docent_exe.string(), std::string(command)};
  for (auto& a : arguments) setup.args.push_back(std::move(a));
  for (auto& a : setup.args) setup.argv.push_back(a.data());
  setup.argv.push_back(nullptr);
  setup.env = child_environment();
  for (auto& e : setup.env) setup.envp.push_back(e.data());
  setup.envp.push_back(nullptr);

  auto out = make_pipe();
  auto err = make_pipe();
  auto exec_error = make_pipe();
  UniqueFd devnull = above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!out || !err || !exec_error || !devnull) {
    return Error(Code::Internal, std::string("cannot start the parser: ") + std::strerror(errno));
  }
  setup.stdin_fd = devnull.get();
  setup.stdout_fd = out->write.get();
  setup.stderr_fd = err->write.get();
  setup.exec_error_fd = exec_error->write.get();
  setup.parent = ::getpid();
  if (limits.max_memory_bytes > 0) setup.memory = {limits.max_memory_bytes, limits.max_memory_bytes};
  if (limits.timeout.count() > 0) {
    const auto cpu = static_cast<rlim_t>(limits.timeout.count());
    setup.cpu = {cpu + 1, cpu + 2};  // SIGXCPU at the soft limit, SIGKILL at the hard one
  }
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    setup.max_fd = static_cast<unsigned>(std::min<rlim_t>(files.rlim_cur, 1u << 16));
  }
  sigemptyset(&setup.empty_mask);
  std::memset(&setup.default_action, 0, sizeof setup.default_action);
  setup.default_action.sa_handler = SIG_DFL;
  sigemptyset(&setup.default_action.sa_mask);

  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return Error(Code::Internal, std::string("cannot start the parser: ") + std::strerror(errno));
  if (pid == 0) run_child(setup);

  ChildGuard guard(pid);
  out->write.reset();
  err->write.reset();
  exec_error->write.reset();
  devnull.reset();

  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_error->read.get(), &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    return Error(Code::Internal, "cannot start the parser " + docent_exe.string() + ": " + std::strerror(exec_errno));
  }

  const bool bounded = limits.timeout.count() > 0;
  const auto deadline = started + limits.timeout;
  if (max_output == 0) max_output = 2 * limits.max_text_bytes + (16ull << 20);
  std::string output;
  std::string err_tail;
  bool timed_out = false;
  bool too_much = false;
  std::array<pollfd, 2> fds{{{out->read.get(), POLLIN, 0}, {err->read.get(), POLLIN, 0}}};
  std::array<char, 64 * 1024> buffer;
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int wait_ms = -1;
    if (bounded) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<long long>(left, 60'000));
    }
    int ready = ::poll(fds.data(), fds.size(), wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Error(Code::Internal, std::string("waiting for the parser: ") + std::strerror(errno));
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        fds[i].fd = -1;  // EOF (or a read error: nothing more will come)
        continue;
      }
      if (i == 0) {
        output.append(buffer.data(), static_cast<size_t>(got));
        if (output.size() > max_output) too_much = true;
      } else {
        err_tail.append(buffer.data(), static_cast<size_t>(got));
        if (err_tail.size() > 2 * kStderrTailBytes) err_tail.erase(0, err_tail.size() - kStderrTailBytes);
      }
    }
    if (too_much) break;
  }

  // Both pipes are closed (or we gave up on the child): reap it, still within the deadline.
  if (timed_out || too_much) ::kill(pid, SIGKILL);
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    pid_t r = ::waitpid(pid, &status, (timed_out || too_much) ? 0 : WNOHANG);
    if (r == pid) {
      reaped = true;
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else if (r < 0) {
      break;  // ECHILD: the status is lost (SIGCHLD ignored); judge by the output alone
    } else if (bounded && Clock::now() >= deadline) {
      timed_out = true;
      ::kill(pid, SIGKILL);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  guard.release();

  if (too_much) {
    return processing_error("the parser's output exceeded " + std::to_string(max_output) + " bytes");
  }
  if (!reaped) status = 0;  // W_EXITCODE(0, 0): the output decides
  auto result = outcome(status, timed_out, output, err_tail, limits);
  if (!result && result.error().code == Code::ProcessingError) {
    if (err_tail.size() > kStderrTailBytes) err_tail.erase(0, err_tail.size() - kStderrTailBytes);
    core::log::warn("isolated parser failed",
                    {{"file", label},
                     {"error", result.error().message},
                     {"ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()},
                     {"stderr", err_tail}});
  }
  return result;
}

// --- the child ------------------------------------------------------------------------------

namespace {

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int report_error(int fd, const Error& e) {
  boost::json::object error{{"code", core::code_name(e.code)}, {"message", e.message}};
  write_all(fd, boost::json::serialize(boost::json::object{{"error", std::move(error)}}) + "\n");
  return kWorkerExitError;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

core::Result<WorkerArgs> parse_worker_args(int argc, char** argv, std::string_view usage) {
  WorkerArgs a;
  std::map<std::string_view, std::string_view> values;
  for (int i = 1; i < argc; i += 2) {
    std::string_view key = argv[i];
    if (key.substr(0, 2) != "--" || i + 1 >= argc) {
      return Error(Code::InvalidInput, std::string(usage));
    }
    values[key.substr(2)] = argv[i + 1];
  }
  int64_t timeout = a.limits.timeout.count();
  bool ok = true;
  for (auto [key, value] : values) {
    if (key == "file") {
      a.file = value;
    } else if (key == "name") {
      a.name = value;
    } else if (key == "max-pages") {
      ok = ok && parse_number(value, a.limits.max_pages);
    } else if (key == "max-text-bytes") {
      ok = ok && parse_number(value, a.limits.max_text_bytes);
    } else if (key == "max-uncompressed-bytes") {
      ok = ok && parse_number(value, a.limits.max_uncompressed_bytes);
    } else if (key == "ocr-dpi") {
      ok = ok && parse_number(value, a.limits.ocr_dpi);
    } else if (key == "timeout") {
      ok = ok && parse_number(value, timeout);
    } else if (key == "max-memory") {
      ok = ok && parse_number(value, a.limits.max_memory_bytes);
    } else if (key == "ocr") {
      a.ocr = value != "0";
    } else if (key == "ocr-lang") {
      a.ocr_language = value;
    } else if (key == "tessdata") {
      a.tessdata_dir = value;
    } else if (key == "out") {
      a.out = value;
    } else if (key == "max-seconds") {
      ok = ok && parse_number(value, a.max_seconds);
    } else {
      return Error(Code::InvalidInput, "unknown option --" + std::string(key));
    }
    if (!ok) return Error(Code::InvalidInput, "--" + std::string(key) + " expects a number");
  }
  a.limits.timeout = std::chrono::seconds(timeout);
  if (a.file.empty()) return Error(Code::InvalidInput, "--file is required");
  return a;
}

// The parent set these between fork and exec; setting them again (never raising them) keeps a
// worker started some other way, e.g. by hand, just as bounded.
void apply_own_limits(const ParseLimits& limits) {
  auto lower = [](int resource, rlim_t value) {
    rlimit current{};
    if (::getrlimit(resource, &current) != 0) return;
    if (current.rlim_cur != RLIM_INFINITY && current.rlim_cur <= value) return;
    rlimit wanted = current;  // the soft limit only: the hard one stays where the parent put it
    wanted.rlim_cur = current.rlim_max != RLIM_INFINITY ? std::min(value, current.rlim_max) : value;
    ::setrlimit(resource, &wanted);
  };
  if (limits.max_memory_bytes > 0) lower(RLIMIT_AS, limits.max_memory_bytes);
  if (limits.timeout.count() > 0) lower(RLIMIT_CPU, static_cast<rlim_t>(limits.timeout.count()) + 1);
  lower(RLIMIT_CORE, 0);
}

bool has_empty_page(const Document& doc) {
  for (const auto& page : doc.pages) {
    if (page.blocks.empty()) return true;
  }
  return false;
}

// See kTestFaultVariable.
void inject_test_fault() {
  const char* fault = std::getenv(kTestFaultVariable);
  if (fault == nullptr) return;
  const std::string_view f = fault;
  if (f == "crash") {
    std::raise(SIGSEGV);
    std::abort();
  }
  if (f == "hang") {
    while (true) ::pause();
  }
  if (f == "balloon") {
    rlimit as{};
    if (::getrlimit(RLIMIT_AS, &as) != 0 || as.rlim_cur == RLIM_INFINITY) return;  // never eat the machine
    std::vector<std::unique_ptr<char[]>> hoard;
    constexpr size_t kChunk = 16u << 20;
    while (true) {
      hoard.push_back(std::make_unique<char[]>(kChunk));  // value-initialized: every page touched
    }
  }
}

}  // namespace

int run_worker_main(int argc, char** argv, std::string_view usage,
                    const std::function<core::Result<boost::json::value>(const WorkerArgs&)>& body) {
  // stdout carries only our JSON: keep a private descriptor for it and point fd 1 (where a
  // library's stray printf would go) at stderr.
  const int out = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  if (out < 0) return kWorkerExitError;
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  try {
    auto args = parse_worker_args(argc, argv, usage);
    if (!args) return report_error(out, args.error());
    apply_own_limits(args->limits);
    inject_test_fault();
    auto result = body(*args);
    if (!result) return report_error(out, result.error());
    std::string json = boost::json::serialize(*result);
    json += '\n';
    if (!write_all(out, json)) return kWorkerExitError;
    return kWorkerExitOk;
  } catch (const std::bad_alloc&) {
    return kWorkerExitOutOfMemory;
  } catch (const std::exception& e) {
    return report_error(out, Error(Code::ProcessingError, std::string("the parser failed: ") + e.what()));
  }
}

int extract_worker_main(int argc, char** argv) {
  return run_worker_main(argc, argv, "usage: docent __extract --file PATH [--name NAME] [--max-pages N] ...",
                         [](const WorkerArgs& args) -> core::Result<boost::json::value> {
                           // Loading tesseract costs about as much as parsing a typical PDF, so a PDF is first read
                           // without it, and again with it only when a page came out empty (a scan).
                           std::unique_ptr<Ocr> ocr;
                           const DocumentKind kind = kind_of(sniff_mime(args.file), args.name);
                           if (args.ocr && kind == DocumentKind::Image) {
                             auto created = Ocr::create(args.ocr_language, args.tessdata_dir);
                             if (!created) return std::move(created).error();
                             ocr = std::move(*created);
                           }
                           auto doc = extract_file(args.file, args.name, args.limits, ocr.get());
                           if (doc && args.ocr && kind == DocumentKind::Pdf && has_empty_page(*doc)) {
                             auto created = Ocr::create(args.ocr_language, args.tessdata_dir);
                             if (created) {  // else the text layer is all there is
                               ocr = std::move(*created);
                               doc = extract_file(args.file, args.name, args.limits, ocr.get());
                             }
                           }
                           if (!doc) return std::move(doc).error();
                           return to_json(*doc);
                         });
}

}  // namespace docent::engines
