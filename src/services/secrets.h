#pragma once
// Secrets at rest under the master key: sealing (AES-256-CBC + HMAC-SHA256) for values that must
// be shown again, and keyed digests (HMAC-SHA256) for values that only need to be found.

#include "core/crypto.h"

#include <memory>
#include <string>
#include <string_view>

namespace docent::services {

class Secrets {
 public:
  // `master_key`: 32 raw bytes (core::crypto::load_or_create_master_key).
  explicit Secrets(std::string master_key);
  Secrets(const Secrets&) = delete;
  Secrets& operator=(const Secrets&) = delete;

  std::string seal(std::string_view plaintext) const { return box_->seal(plaintext); }
  core::Result<std::string> open(std::string_view sealed) const { return box_->open(sealed); }

  // Hex HMAC-SHA256 of `purpose:secret` under a key derived from the master key: equal secrets
  // give equal digests (so they can be looked up), and the digest reveals nothing without it.
  std::string digest(std::string_view purpose, std::string_view secret) const;

 private:
  std::unique_ptr<core::crypto::SecretBox> box_;
  std::string lookup_key_;
  core::crypto::HmacSha256Key lookup_;  // lookup_key_, its pads hashed once
};

}  // namespace docent::services
