#include "services/secrets.h"

namespace docent::services {

Secrets::Secrets(std::string master_key) : lookup_key_(core::crypto::hmac_sha256(master_key, "docent lookup v1")) {
  box_ = std::make_unique<core::crypto::SecretBox>(std::move(master_key));
}

std::string Secrets::digest(std::string_view purpose, std::string_view secret) const {
  std::string message;
  message.reserve(purpose.size() + 1 + secret.size());
  message.append(purpose).push_back(':');
  message.append(secret);
  return core::crypto::hmac_sha256_hex(lookup_key_, message);
}

}  // namespace docent::services
