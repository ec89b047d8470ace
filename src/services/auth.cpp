#include "services/auth.h"

#include <algorithm>
#include <cctype>

namespace docent::services {

core::Result<Principal> Authenticator::authenticate(const Credentials& c) {
  if (c.authorization && !c.authorization->empty()) {
    std::string_view v = *c.authorization;
    constexpr std::string_view kBearer = "bearer ";
    if (v.size() <= kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), v.begin(), [](char a, char b) { return a == std::tolower(b); })) {
      return core::Error(core::Code::Unauthenticated, "Authorization must be 'Bearer <API key>'");
    }
    v.remove_prefix(kBearer.size());
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    return keys_.authenticate(v);
  }
  if (c.api_key && !c.api_key->empty()) return keys_.authenticate(*c.api_key);
  if (c.device_id && !c.device_id->empty()) return devices_.authenticate(*c.device_id);
  return core::Error(core::Code::Unauthenticated,
                     "missing credentials: send 'Authorization: Bearer <API key>', 'X-API-Key: <API key>' or "
                     "'Device-Id: <registered device id>'");
}

}  // namespace docent::services
