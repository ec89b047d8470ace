#include "services/secrets.h"

namespace docent::services {

Secrets::Secrets(std::string master_key)
    : lookup_key_(core::crypto::hmac_sha256(master_key, "docent lookup v1")), lookup_(lookup_key_) {
  box_ = std::make_unique<core::crypto::SecretBox>(std::move(master_key));
}

std::string Secrets::digest(std::string_view purpose, std::string_view secret) const {
  return lookup_.hex({purpose, ":", secret});
}

}  // namespace docent::services
