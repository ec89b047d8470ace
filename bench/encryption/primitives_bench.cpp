// bench/encryption: the payload-encryption primitives on a 1 MB JSON body (docs/ENCRYPTION.md),
// beside what every JSON request costs anyway in the same run: parsing the same body with
// Boost.JSON. bench/encryption/run.sh runs it with --benchmark_format=json.

#include "core/payload_crypto.h"

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <string>

namespace {

using docent::core::crypto::PayloadDirection;
using docent::core::crypto::PayloadKeys;

constexpr int64_t kTs = 1765000000;
constexpr std::string_view kKey = "dk_BenchKeyBenchKeyBenchKeyBenchKeyBenchKey0";

// A JSON body of about `bytes` bytes: an object with an array of short text messages.
std::string json_body(size_t bytes) {
  std::string s = R"({"model":"bench","input":[)";
  for (int i = 0; s.size() + 80 < bytes; ++i) {
    if (i) s += ',';
    s += "\"message " + std::to_string(i) + " the quick brown fox jumps over the lazy dog 0123456789\"";
  }
  s += "]}";
  return s;
}

const std::string& body() {
  static const std::string b = json_body(1'000'000);
  return b;
}

void BM_ParseJson(benchmark::State& state) {  // the baseline: every JSON handler does this
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::parse(body()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body().size()));
}
BENCHMARK(BM_ParseJson)->Unit(benchmark::kMillisecond);

void BM_DeriveKeys(benchmark::State& state) {  // once a request
  for (auto _ : state) benchmark::DoNotOptimize(PayloadKeys::derive(kKey));
}
BENCHMARK(BM_DeriveKeys)->Unit(benchmark::kMicrosecond);

void BM_Seal(benchmark::State& state) {  // a 1 MB response encrypted
  const auto keys = PayloadKeys::derive(kKey);
  for (auto _ : state) benchmark::DoNotOptimize(seal_payload(keys, PayloadDirection::Response, body(), kTs));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body().size()));
}
BENCHMARK(BM_Seal)->Unit(benchmark::kMillisecond);

void BM_Open(benchmark::State& state) {  // a 1 MB request body decrypted (parse, base64, MAC, AES)
  const auto keys = PayloadKeys::derive(kKey);
  const std::string envelope = seal_payload(keys, PayloadDirection::Request, body(), kTs);
  for (auto _ : state) {
    auto opened = open_payload(keys, PayloadDirection::Request, envelope, kTs, 300);
    if (!opened) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(opened);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body().size()));
}
BENCHMARK(BM_Open)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
