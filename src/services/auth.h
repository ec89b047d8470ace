#pragma once
// Authentication: turns the credentials a request presented into a Principal. Transport-free:
// the HTTP layer extracts the header values and passes them here.

#include "services/devices.h"
#include "services/keys.h"

#include <optional>
#include <string>

namespace docent::services {

struct Credentials {
  std::optional<std::string> authorization;  // "Authorization" header, e.g. "Bearer dk_..."
  std::optional<std::string> api_key;        // "X-API-Key" header
  std::optional<std::string> device_id;      // "Device-Id" header (chatpdf's anonymous devices)
};

class Authenticator {
 public:
  Authenticator(KeyService& keys, DeviceService& devices) : keys_(keys), devices_(devices) {}

  // Precedence: Authorization: Bearer, then X-API-Key, then Device-Id. Unauthenticated with a
  // message saying what to send when nothing usable was presented.
  core::Result<Principal> authenticate(const Credentials& credentials);

 private:
  KeyService& keys_;
  DeviceService& devices_;
};

}  // namespace docent::services
