#pragma once
// Helpers of the extraction tests: uploads to the PDF endpoints, workbooks read back with
// Debian's openpyxl (tests/integration/read_xlsx.py), and the sample PDFs of tests/data.

#include "support/http_client.h"

#include <boost/json.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace docent::testing {

// POSTs (file name, bytes) pairs as `file` parts of one multipart body; `key` empty sends none.
HttpResponse post_files(HttpClient& client, const std::string& path, const std::string& key,
                        const std::vector<std::pair<std::string, std::string>>& files);

// The member names of a JSON object.
std::set<std::string> member_names(const boost::json::value& object);

// The workbook's every sheet as read_xlsx.py prints it.
boost::json::value read_workbook(const std::string& xlsx_bytes);
boost::json::value read_workbook_file(const std::filesystem::path& xlsx);

std::string read_file(const std::filesystem::path& path);
// A file of tests/data/pdf-sample-files.
std::filesystem::path sample_pdf(const std::string& relative);

// Runs a shell command; returns its exit status and what it wrote on stdout (stderr follows it).
std::pair<int, std::string> run_shell(const std::string& command);

// An OpenAI-compatible model server on loopback (tests/integration/fake_json_upstream.py) that
// answers every chat with `answer` and logs each request body; stopped when destroyed.
class FakeJsonUpstream {
 public:
  FakeJsonUpstream(const std::filesystem::path& dir, const std::string& answer);
  ~FakeJsonUpstream();
  FakeJsonUpstream(const FakeJsonUpstream&) = delete;
  FakeJsonUpstream& operator=(const FakeJsonUpstream&) = delete;
  std::string url() const { return "http://127.0.0.1:" + port_ + "/v1"; }
  // The request bodies it received, one JSON document per line.
  std::string requests() const { return read_file(log_); }

 private:
  std::filesystem::path log_;
  int pid_ = -1;
  std::string port_;
};

}  // namespace docent::testing
