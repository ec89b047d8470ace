#include "support/extraction_support.h"

#include "support/server_process.h"
#include "support/test_data.h"

#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace docent::testing {

HttpResponse post_files(HttpClient& client, const std::string& path, const std::string& key,
                        const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<MultipartPart> parts;
  for (const auto& [name, bytes] : files) parts.push_back({"file", name, "application/pdf", bytes});
  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "multipart/form-data; boundary=xoutb0undary"}};
  if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
  return client.request("POST", path, multipart_body("xoutb0undary", parts), headers);
}

std::set<std::string> member_names(const boost::json::value& object) {
  std::set<std::string> out;
  if (!object.is_object()) return out;
  for (const auto& kv : object.as_object()) out.insert(std::string(kv.key()));
  return out;
}

std::pair<int, std::string> run_shell(const std::string& command) {
  std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

FakeJsonUpstream::FakeJsonUpstream(const std::filesystem::path& dir, const std::string& answer)
    : log_(dir / "requests.jsonl") {
  auto port_file = dir / "port";
  std::ofstream(dir / "answer.json") << answer;
  auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                               "/tests/integration/fake_json_upstream.py' \"$(cat '" + (dir / "answer.json").string() +
                               "')\" '" + log_.string() + "' > '" + port_file.string() + "' & echo $!");
  pid_ = code == 0 ? std::stoi(out) : -1;
  for (int i = 0; i < 200 && port_.empty(); ++i) {
    std::ifstream in(port_file);
    std::getline(in, port_);
    if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

FakeJsonUpstream::~FakeJsonUpstream() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

boost::json::value read_workbook_file(const std::filesystem::path& xlsx) {
  auto [code, out] = run_shell("/usr/bin/python3 '" + std::string(DOCENT_SOURCE_DIR) +
                               "/tests/integration/read_xlsx.py' '" + xlsx.string() + "'");
  if (code != 0) return boost::json::object{{"read_error", out}};
  return boost::json::parse(out);
}

boost::json::value read_workbook(const std::string& xlsx_bytes) {
  TempDir dir;
  auto path = dir.path() / "book.xlsx";
  std::ofstream(path, std::ios::binary) << xlsx_bytes;
  return read_workbook_file(path);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::filesystem::path sample_pdf(const std::string& relative) { return test_data("pdf-sample-files/" + relative); }

}  // namespace docent::testing
