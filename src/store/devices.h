#pragma once
// Device bindings (chatpdf's anonymous accounts) and usage counters.

#include "store/database.h"

#include <optional>
#include <string>

namespace docent::store {

struct DeviceRecord {
  std::string digest;
  std::string sealed;
  std::string account_id;
  std::string location = "mobile";
  bool is_sync = false;
  std::string email;
  std::string created_at, updated_at;
};

namespace devices {

// Conflict when the device is registered already (two concurrent registrations).
core::Status insert(Tx& tx, const DeviceRecord& device);
core::Result<std::optional<DeviceRecord>> by_digest(Tx& tx, std::string_view digest);
core::Result<std::optional<DeviceRecord>> by_account(Tx& tx, std::string_view account_id);
core::Status touch(Tx& tx, std::string_view digest, std::string_view at);

}  // namespace devices

namespace usage {

// Adds `n` to a counter, creating it at 0 first.
core::Status add(Tx& tx, std::string_view account_id, std::string_view metric, std::string_view period, int64_t n);
// The counter's value; 0 when it was never incremented.
core::Result<int64_t> get(Tx& tx, std::string_view account_id, std::string_view metric, std::string_view period);

struct UsageValue {
  std::string metric;
  std::string period;
  int64_t value = 0;
};
// Every counter of `metrics` for either period, in one statement (point lookups on the key);
// counters never incremented are absent.
core::Result<std::vector<UsageValue>> of(Tx& tx, std::string_view account_id, const std::vector<std::string>& metrics,
                                         std::string_view day, std::string_view month);

}  // namespace usage
}  // namespace docent::store
