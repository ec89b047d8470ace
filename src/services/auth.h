#pragma once
// Authentication: turns the credentials a request presented into a Principal. Transport-free:
// the HTTP layer extracts the header values and passes them here.

#include "services/auth_cache.h"
#include "services/devices.h"
#include "services/keys.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace docent::services {

// The header names a device id may arrive in, in order of preference: the chatpdf seed writes
// Device-Id, Device-ID and DeviceId (header names are case-insensitive, so two spellings remain).
inline constexpr std::array<std::string_view, 2> kDeviceIdHeaders = {"Device-Id", "DeviceId"};

struct Credentials {
  std::optional<std::string> authorization;  // "Authorization" header, e.g. "Bearer dk_..."
  std::optional<std::string> api_key;        // "X-API-Key" header
  std::optional<std::string> device_id;      // any of kDeviceIdHeaders (chatpdf's anonymous devices)
};

class Authenticator {
 public:
  // `cache` (may be null: every call reads the database) answers known credentials without a
  // database read; the services that change what a credential resolves to invalidate it.
  Authenticator(KeyService& keys, DeviceService& devices, AuthCache* cache = nullptr)
      : keys_(keys), devices_(devices), cache_(cache) {}

  // Precedence: Authorization: Bearer, then X-API-Key, then Device-Id. Unauthenticated with a
  // message saying what to send when nothing usable was presented.
  core::Result<Principal> authenticate(const Credentials& credentials);

  // What authenticate() would answer, when the cache can tell without waiting on anything (see
  // AuthCache::find_if_fresh); nullopt when only authenticate() can (a miss, a stale cache,
  // malformed or missing credentials). For a network thread deciding whether a request can be
  // handled where it is.
  std::optional<Principal> cached(const Credentials& credentials);

 private:
  struct Presented {
    bool device = false;     // a device id, else an API key
    std::string_view value;  // points into the Credentials
  };
  static core::Result<Presented> presented(const Credentials& credentials);

  core::Result<Principal> by_key(std::string_view presented);
  core::Result<Principal> by_device(std::string_view device_id);

  KeyService& keys_;
  DeviceService& devices_;
  AuthCache* cache_;
};

}  // namespace docent::services
