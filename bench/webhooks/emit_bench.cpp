// bench/webhooks/emit_bench: what WebhookService::emit adds to the write transaction of the change
// that causes an event, on a real SQLite database in a temporary folder (no HTTP, no uploads: the
// request's own cost is identical either way and only blurs the difference on a busy host).
//
// Three arms, interleaved one transaction each so drift hits all of them alike:
//   plain       the change alone (one row updated: store::auth_generation::bump)
//   no webhook  the change + emit for an account with no endpoint (one indexed read, no write)
//   webhook     the change + emit for an account whose endpoint subscribes (the event row and
//               one delivery row written in the same transaction: the outbox)
// Delivery workers are off (webhooks.workers = 0): delivery is asynchronous and not part of the
// causing request. Prints one JSON object: p50/p99 in milliseconds per arm.

#include "core/id.h"
#include "core/time.h"
#include "services/events.h"
#include "services/secrets.h"
#include "services/webhooks.h"
#include "store/accounts.h"
#include "store/auth_generation.h"
#include "store/database.h"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

namespace {

using namespace docent;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const double k = (static_cast<double>(v.size()) - 1) * p / 100;
  const auto lo = static_cast<size_t>(k);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (k - static_cast<double>(lo));
}

std::string make_account(store::Database& db, const std::string& login) {
  store::AccountRecord a;
  a.id = core::new_id();
  a.login = login;
  a.plan = "unlimited";
  a.created_at = a.updated_at = core::rfc3339_now();
  if (!db.write([&](store::Tx& tx) { return store::accounts::insert(tx, a); })) std::exit(1);
  return a.id;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 3000;
  const auto dir = std::filesystem::temp_directory_path() / ("docent-emit-bench-" + core::random_hex(8));
  std::filesystem::create_directories(dir);
  int rc = 0;
  {
    auto opened = store::open_sqlite(dir / "docent.db");
    if (!opened) {
      std::cerr << "emit_bench: " << opened.error().message << "\n";
      return 1;
    }
    auto db = std::move(*opened);
    services::Secrets secrets(std::string(32, 'k'));
    services::WebhookOptions options;
    options.workers = 0;
    options.allow_http = options.allow_private = true;
    services::WebhookService webhooks(*db, secrets, options);
    const std::string quiet = make_account(*db, "quiet");
    const std::string hooked = make_account(*db, "hooked");
    services::Principal owner;
    owner.account_id = hooked;
    auto made = webhooks.create(owner, {"http://127.0.0.1:9/hook", {"file.uploaded"}, std::nullopt, ""});
    if (!made) {
      std::cerr << "emit_bench: " << made.error().message << "\n";
      return 1;
    }
    const json::object data{{"file_id", "file-0123456789"},
                            {"filename", "invoice.pdf"},
                            {"size", 48213},
                            {"type", "application/pdf"}};

    // Arm 0: the change alone; 1: + emit, nobody subscribed; 2: + emit, one endpoint subscribed.
    auto once = [&](int arm) {
      const auto t0 = Clock::now();
      auto st = db->write([&](store::Tx& tx) -> core::Status {
        if (auto g = store::auth_generation::bump(tx); !g) return g.error();
        if (arm == 0) return {};
        return webhooks.emit(tx, arm == 1 ? quiet : hooked, services::events::kFileUploaded, data);
      });
      if (!st) {
        std::cerr << "emit_bench: " << st.error().message << "\n";
        std::exit(1);
      }
      return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    };
    std::vector<double> times[3];
    for (int i = -200; i < rounds; ++i) {
      for (int k = 0; k < 3; ++k) {
        const int arm = ((i + k) % 3 + 3) % 3;  // rotate which arm goes first; i < 0 is the warm-up
        const double ms = once(arm);
        if (i >= 0) times[arm].push_back(ms);
      }
    }
    json::object out{{"rounds", rounds}};
    const char* names[3] = {"plain", "no_webhook", "webhook"};
    for (int a = 0; a < 3; ++a) {
      out[names[a]] = json::object{{"p50_ms", percentile(times[a], 50)}, {"p99_ms", percentile(times[a], 99)}};
    }
    std::cout << json::serialize(out) << std::endl;
  }
  std::filesystem::remove_all(dir);
  return rc;
}
