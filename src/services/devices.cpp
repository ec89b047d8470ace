#include "services/devices.h"

#include "core/id.h"
#include "core/time.h"
#include "services/rate_limiter.h"
#include "store/accounts.h"
#include "store/devices.h"

namespace docent::services {

using core::Code;
using core::Error;

namespace {

constexpr std::string_view kPurpose = "device";

core::Status check_device_id(std::string_view id) {
  if (id.empty()) return Error(Code::MissingField, "deviceId is required", "deviceId");
  if (id.size() > 256) return Error(Code::InvalidInput, "deviceId must be at most 256 characters", "deviceId");
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f)
      return Error(Code::InvalidInput, "deviceId must not contain control characters", "deviceId");
  }
  return {};
}

Account account_of(const store::AccountRecord& r) {
  Account a;
  a.id = r.id;
  a.seq = r.seq;
  a.login = r.login;
  a.role = r.role == "admin" ? Role::Admin : Role::User;
  a.plan = r.plan;
  a.user_type = r.user_type;
  a.version = r.version;
  a.email = r.email;
  a.created_at = r.created_at;
  a.updated_at = r.updated_at;
  return a;
}

Device device_of_record(const store::DeviceRecord& d, std::string plain_id) {
  return Device{std::move(plain_id), d.location, d.is_sync, d.email, d.created_at, d.updated_at};
}

}  // namespace

DeviceService::DeviceService(store::Database& db, const Secrets& secrets, const core::Config& config)
    : db_(db), secrets_(secrets), config_(config) {}

core::Result<DeviceAccount> DeviceService::register_device(std::string_view device_id, const RequestOrigin& origin) {
  if (auto st = check_device_id(device_id); !st) return st.error();
  const std::string digest = secrets_.digest(kPurpose, device_id);
  std::optional<DeviceAccount> out;
  auto attempt = [&]() -> core::Status {
    return db_.write([&](store::Tx& tx) -> core::Status {
      auto existing = store::devices::by_digest(tx, digest);
      if (!existing) return existing.error();
      if (*existing) {
        auto account = store::accounts::by_id(tx, (*existing)->account_id);
        if (!account) return account.error();
        if (!*account) return Error(Code::NotFound, "this device's account was deleted");
        out = DeviceAccount{account_of(**account), device_of_record(**existing, std::string(device_id))};
        return {};
      }
      std::string now = core::rfc3339_now();
      store::AccountRecord a;
      a.id = core::new_id();
      a.login = "device-" + a.id;
      a.plan = config_.accounts.device_plan;
      a.user_type = "ANONYMOUS";
      a.created_at = a.updated_at = now;
      if (auto st = store::accounts::insert(tx, a); !st) return st;
      store::DeviceRecord d;
      d.digest = digest;
      d.sealed = secrets_.seal(device_id);
      d.account_id = a.id;
      d.created_at = d.updated_at = now;
      if (auto st = store::devices::insert(tx, d); !st) return st;
      out = DeviceAccount{account_of(a), device_of_record(d, std::string(device_id))};
      if (!audit_) return {};
      auto e = AuditEntry::anonymous(origin, "account.create").on("account", a.id, a.id);
      e.actor_account_id = a.id;  // the device made its own account
      e.actor_device = true;
      return audit_->record(tx, e.with("user_type", a.user_type).with("plan", a.plan));
    });
  };
  auto st = attempt();
  if (!st && st.error().code == Code::Conflict) st = attempt();  // lost a race: the winner's row is there now
  if (!st) return st.error();
  return std::move(*out);
}

const core::Error& DeviceService::denied() {
  static const Error kDenied(Code::Unauthenticated, "unknown Device-Id; register it with POST /auth/register-device");
  return kDenied;
}

std::optional<std::string> DeviceService::digest_of(std::string_view device_id) const {
  if (!check_device_id(device_id)) return std::nullopt;
  return secrets_.digest(kPurpose, device_id);
}

core::Result<std::optional<Principal>> DeviceService::resolve_digest(const std::string& digest) {
  std::optional<Principal> principal;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto device = store::devices::by_digest(tx, digest);
    if (!device) return device.error();
    if (!*device) return {};
    auto account = store::accounts::by_id(tx, (*device)->account_id);
    if (!account) return account.error();
    if (!*account) return {};
    principal = Principal{(*account)->id, (*account)->role == "admin" ? Role::Admin : Role::User, (*account)->plan, "",
                          true};
    principal->tier = (*account)->tier;
    principal->rate_limits = parse_rate_overrides((*account)->rate_limits);
    return {};
  });
  if (!st) return st.error();
  return principal;
}

core::Result<Principal> DeviceService::authenticate(std::string_view device_id) {
  auto digest = digest_of(device_id);
  if (!digest) return denied();
  auto principal = resolve_digest(*digest);
  if (!principal) return principal.error();
  if (!*principal) return denied();
  return std::move(**principal);
}

core::Result<std::optional<Device>> DeviceService::device_of(std::string_view account_id) {
  std::optional<store::DeviceRecord> record;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto d = store::devices::by_account(tx, account_id);
    if (!d) return d.error();
    record = std::move(*d);
    return {};
  });
  if (!st) return st.error();
  if (!record) return std::optional<Device>();
  auto plain = secrets_.open(record->sealed);
  if (!plain) return plain.error();
  return std::optional<Device>(device_of_record(*record, std::move(*plain)));
}

}  // namespace docent::services
