#pragma once
// Anonymous device accounts (chatpdf): registering a device id creates, or finds, the account
// bound to it; the id then authenticates that account through the Device-Id header.

#include "core/config.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "services/principal.h"
#include "services/secrets.h"
#include "store/database.h"

#include <optional>
#include <string>

namespace docent::services {

struct Device {
  std::string device_id;
  std::string location;
  bool is_sync = false;
  std::string email;
  std::string created_at, updated_at;
};

struct DeviceAccount {
  Account account;
  Device device;
};

class DeviceService {
 public:
  DeviceService(store::Database& db, const Secrets& secrets, const core::Config& config);

  // Creates the device's account on first sight, returns it afterwards (idempotent, and safe
  // when two registrations of one id race). InvalidInput for an empty or oversized id. A new
  // account is recorded as account.create (the device id itself is never recorded).
  core::Result<DeviceAccount> register_device(std::string_view device_id, const RequestOrigin& origin = {});
  // Records account.create in `audit` from now on (null: none). Set by the composition root.
  void set_audit(AuditTrail* audit) { audit_ = audit; }
  // Unauthenticated when the id was never registered or its account is gone. Reads the database
  // every time; services::Authenticator answers from its cache first.
  core::Result<Principal> authenticate(std::string_view device_id);
  // The two halves of authenticate(): the lookup digest of a presented id (nullopt when it cannot
  // be one) and the principal for a digest (nullopt when no live account is bound to it).
  std::optional<std::string> digest_of(std::string_view device_id) const;
  core::Result<std::optional<Principal>> resolve_digest(const std::string& digest);
  static const core::Error& denied();
  // The device bound to an account, if it has one.
  core::Result<std::optional<Device>> device_of(std::string_view account_id);

 private:
  store::Database& db_;
  const Secrets& secrets_;
  const core::Config& config_;
  AuditTrail* audit_ = nullptr;
};

}  // namespace docent::services
