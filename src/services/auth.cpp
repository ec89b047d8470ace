#include "services/auth.h"

#include <algorithm>
#include <cctype>

namespace docent::services {

namespace {

core::Result<Principal> resolved(core::Result<std::optional<Principal>> r, const core::Error& denied) {
  if (!r) return r.error();
  if (!*r) return denied;
  return std::move(**r);
}

}  // namespace

core::Result<Principal> Authenticator::by_key(std::string_view presented) {
  auto digest = keys_.digest_of(presented);
  if (!digest) return KeyService::denied();
  if (!cache_) return resolved(keys_.resolve_digest(*digest), KeyService::denied());
  return resolved(cache_->resolve(*digest, [&] { return keys_.resolve_digest(*digest); }), KeyService::denied());
}

core::Result<Principal> Authenticator::by_device(std::string_view device_id) {
  auto digest = devices_.digest_of(device_id);
  if (!digest) return DeviceService::denied();
  if (!cache_) return resolved(devices_.resolve_digest(*digest), DeviceService::denied());
  return resolved(cache_->resolve(*digest, [&] { return devices_.resolve_digest(*digest); }), DeviceService::denied());
}

core::Result<Authenticator::Presented> Authenticator::presented(const Credentials& c) {
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
    return Presented{false, v};
  }
  if (c.api_key && !c.api_key->empty()) return Presented{false, *c.api_key};
  if (c.device_id && !c.device_id->empty()) return Presented{true, *c.device_id};
  return core::Error(core::Code::Unauthenticated,
                     "missing credentials: send 'Authorization: Bearer <API key>', 'X-API-Key: <API key>' or "
                     "'Device-Id: <registered device id>'");
}

core::Result<Principal> Authenticator::authenticate(const Credentials& c) {
  auto p = presented(c);
  if (!p) return p.error();
  return p->device ? by_device(p->value) : by_key(p->value);
}

std::optional<Principal> Authenticator::cached(const Credentials& c) {
  if (!cache_) return std::nullopt;
  auto p = presented(c);
  if (!p) return std::nullopt;
  auto digest = p->device ? devices_.digest_of(p->value) : keys_.digest_of(p->value);
  if (!digest) return std::nullopt;
  return cache_->find_if_fresh(*digest);
}

}  // namespace docent::services
