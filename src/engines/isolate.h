#pragma once
// Parsing untrusted files in a child process, so that a crash, a hang or a memory balloon in
// poppler, tesseract, libzip or gumbo costs one upload, never the server (DESIGN.md §3).
//
//   auto doc = extract_isolated(self_executable(), blob_path, "report.pdf", limits);
//
// The server runs its own binary as `docent __extract --file F --name N ...` (extract_worker_main
// is that child's main). Between fork and exec the child gets an address-space limit
// (limits.max_memory_bytes), a CPU-time limit (limits.timeout + 1 s), no core dumps, stdin from
// /dev/null and no inherited descriptors but stdout and stderr; the parent enforces the wall
// clock (limits.timeout) itself and kills the child with SIGKILL at the deadline. The child
// writes the Document as JSON on stdout (extract.h's to_json).
//
// Requirements on the server process: SIGCHLD must not be ignored (the exit status is how a
// crash is told from success), and the call blocks its thread until the child is done or killed,
// so make it from a worker pool, never from a network thread.

#include "core/error.h"
#include "engines/document.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

// argv[1] of the docent binary that makes main() call extract_worker_main.
inline constexpr std::string_view kExtractCommand = "__extract";

// TEST HOOK, never set in production: when this environment variable is set in the worker's
// environment (it inherits the server's), the worker misbehaves on purpose before parsing, so
// the isolation can be tested: "crash" raises SIGSEGV, "hang" sleeps forever, "balloon"
// allocates memory until allocation fails (only when an address-space limit is set). Unset, or
// any other value, changes nothing.
inline constexpr const char* kTestFaultVariable = "DOCENT_EXTRACT_TEST_FAULT";

// The worker's exit statuses.
inline constexpr int kWorkerExitOk = 0;           // stdout holds the Document
inline constexpr int kWorkerExitError = 2;        // stdout holds {"error": {"code", "message"}}
inline constexpr int kWorkerExitOutOfMemory = 3;  // an allocation failed

struct IsolateOptions {
  bool ocr = true;                   // read scanned PDF pages and images with tesseract
  std::string ocr_language = "eng";  // tesseract's language name(s), e.g. "eng+deu"
  std::string tessdata_dir;          // empty: tesseract's default location
};

// Runs extract_file(file, filename, limits, ocr) (extract.h) in a child process made from
// `docent_exe`, bounded by limits.timeout (wall clock) and limits.max_memory_bytes (address
// space); a zero bound means none.
//
// Returns the Document, or:
//  * the parser's own error as the child reported it (Code::InvalidFormat "unsupported file type
//    ...", "not a DOCX file", ...);
//  * Code::ProcessingError "the parser crashed (signal N)" when a signal ended the child,
//    "the parser took longer than N s" when the deadline passed (or the CPU limit was hit),
//    "the parser ran out of memory" when an allocation failed, and "the parser failed ..." for
//    any other exit or output that is not a Document;
//  * Code::Internal when the child cannot be started.
// Never throws for anything the child does; thread-safe.
core::Result<Document> extract_isolated(const std::filesystem::path& docent_exe, const std::filesystem::path& file,
                                        std::string_view filename, const ParseLimits& limits,
                                        const IsolateOptions& options = {});

// The running executable, as a path that stays valid when the binary on disk is replaced by an
// upgrade while the server runs ("/proc/self/exe" on Linux): the usual `docent_exe`.
std::filesystem::path self_executable();

// The child's main: argv[0] is kExtractCommand, followed by the options extract_isolated passes
// (--file, --name, --max-pages, --max-text-bytes, --max-uncompressed-bytes, --ocr-dpi,
// --timeout, --max-memory, --ocr, --ocr-lang, --tessdata). Writes the result on stdout and
// returns one of the kWorkerExit* statuses. Anything a library prints on stdout is sent to
// stderr instead, so stdout carries only the JSON.
int extract_worker_main(int argc, char** argv);

// ---- the machinery every isolated command shares (`__extract`, layout.h's `__words`) ----------

// The options extract_isolated passes its child (--file, --name, the limits and OCR settings).
std::vector<std::string> worker_arguments(const std::filesystem::path& file, std::string_view filename,
                                          const ParseLimits& limits, const IsolateOptions& options);

// Runs `docent_exe command arguments...` in a child with the bounds described at the top of this
// file and returns the JSON it printed, or the errors listed at extract_isolated. `label` names
// the file in the log; output beyond max_output bytes (0: 2 * limits.max_text_bytes + 16 MiB)
// is an error.
core::Result<boost::json::value> run_isolated_worker(const std::filesystem::path& docent_exe, std::string_view command,
                                                     std::vector<std::string> arguments, const ParseLimits& limits,
                                                     std::string_view label, uint64_t max_output = 0);

// What a worker was asked to do (the options worker_arguments writes).
struct WorkerArgs {
  std::string file;
  std::string name;
  ParseLimits limits;
  bool ocr = true;
  std::string ocr_language = "eng";
  std::string tessdata_dir;
  std::string out;      // --out: a file the worker writes besides its JSON (audio_decode.h's samples)
  int max_seconds = 0;  // --max-seconds: the longest decoded audio (audio_decode.h)
};

// A worker's main around `body`: parses the options (`usage` on a malformed command line), lowers
// its own limits, honours kTestFaultVariable, and prints body's JSON (or its error) on a stdout
// nothing else may write to. Returns a kWorkerExit* status.
int run_worker_main(int argc, char** argv, std::string_view usage,
                    const std::function<core::Result<boost::json::value>(const WorkerArgs&)>& body);

}  // namespace docent::engines
