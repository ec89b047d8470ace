#pragma once
// Cryptography for secrets and credentials, on OpenSSL 3 (EVP APIs) and libargon2:
// digests and MACs, constant-time comparison, text encodings, authenticated encryption of
// secrets at rest (SecretBox), argon2id password hashes, the master key, and API key text.
// Randomness comes from core::random_bytes (id.h).

#include "core/error.h"

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace docent::core::crypto {

// ---- Digests and MACs -------------------------------------------------------------------

// SHA-256 of `data` as 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);

// Incremental SHA-256. Feed data with update(); hex_digest() returns the digest of everything
// fed so far and leaves the hasher usable, so more data may follow. Non-copyable; a moved-from
// Sha256 may only be destroyed or assigned to.
class Sha256 {
 public:
  Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256(Sha256&&) noexcept = default;
  Sha256& operator=(Sha256&&) noexcept = default;
  ~Sha256() = default;

  void update(std::string_view data);
  std::string hex_digest() const;

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const;
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
};

// SHA-256 of a file's contents as lowercase hex, read in 64 KiB chunks. NotFound when the file
// does not exist, Internal for any other I/O failure; the message names the file.
Result<std::string> sha256_file_hex(const std::filesystem::path& path);

// HMAC-SHA256 of `data` under `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// HMAC-SHA256 as 64 lowercase hex characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// HMAC-SHA256 under one fixed key, its padded key blocks hashed once at construction: a call
// then hashes only the message (two SHA-256 runs), where hmac_sha256 sets up a MAC context each
// time (about 20k instructions for a 60-byte message, against about 3k here). Thread-safe.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // hmac_sha256_hex(key, the parts joined without separators).
  std::string hex(std::initializer_list<std::string_view> parts) const;

 private:
  EVP_MD_CTX* inner_;  // SHA-256 state after the key XOR ipad block
  EVP_MD_CTX* outer_;  // after the key XOR opad block
};

// True when a and b are the same bytes. The time taken depends only on the lengths, never on
// where the contents differ; strings of different lengths are unequal.
bool constant_time_equals(std::string_view a, std::string_view b);

// ---- Encodings ----------------------------------------------------------------------------

// `bytes` as one big-endian number in base 62 (alphabet 0-9A-Za-z). Each leading zero byte
// becomes one leading '0', so the encoding is reversible: base62_encode("\x00\x01") == "01".
// Quadratic in the input length; meant for keys and tokens, not bulk data.
std::string base62_encode(std::string_view bytes);

// The inverse of base62_encode; nullopt when `text` holds a character outside the alphabet.
std::optional<std::string> base62_decode(std::string_view text);

// Lowercase hex, two characters per byte.
std::string hex_encode(std::string_view bytes);

// Hex (either case) to bytes; nullopt on odd length or a non-hex character.
std::optional<std::string> hex_decode(std::string_view text);

// Standard base64 (RFC 4648 §4, alphabet A-Za-z0-9+/) with '=' padding.
std::string base64_encode(std::string_view bytes);

// Standard padded base64 to bytes; nullopt when the length is not a multiple of 4, a character
// is outside the alphabet, padding appears anywhere but the end, or the unused bits of the
// last group are not zero (so each byte string has exactly one accepted encoding).
std::optional<std::string> base64_decode(std::string_view text);

// ---- Secrets at rest ----------------------------------------------------------------------

// Authenticated encryption under a 32-byte master key, encrypt-then-MAC.
// Two independent keys are derived with HKDF-SHA256 (info "docent enc v1" and "docent mac v1").
// A sealed value is binary:
//   0x01 (version) || IV (16 random bytes) || AES-256-CBC/PKCS#7 ciphertext
//   || HMAC-SHA256(mac key, version || IV || ciphertext)
// open() checks the tag in constant time before decrypting anything. Key material is wiped in
// the destructor. Thread-safe: seal and open are const and share no mutable state.
// Neither copyable nor movable (a copy would be one more place keys live); hold it by
// reference or in a unique_ptr.
class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;

  // `master_key` must be exactly kKeySize raw bytes (see load_or_create_master_key); anything
  // else is a programming error and throws std::invalid_argument. The argument is wiped.
  explicit SecretBox(std::string master_key);
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  ~SecretBox();

  // Encrypts and authenticates `plaintext` under a fresh random IV: sealing the same text twice
  // gives different results. Throws std::runtime_error only if OpenSSL itself fails.
  std::string seal(std::string_view plaintext) const;

  // The plaintext of a value made by seal() under the same master key. Any tampering,
  // truncation, unknown version or wrong key gives Code::Internal with the message
  // "secret could not be decrypted (wrong master key or corrupted data)".
  Result<std::string> open(std::string_view sealed) const;

 private:
  std::array<unsigned char, kKeySize> enc_key_{};
  std::array<unsigned char, kKeySize> mac_key_{};
};

// ---- Passwords ----------------------------------------------------------------------------

// argon2id cost parameters; the defaults are OWASP's recommendation (19 MiB, 2 passes, 1 lane).
struct PasswordParams {
  uint32_t t_cost = 2;
  uint32_t m_cost_kib = 19456;
  uint32_t parallelism = 1;
};

// Passwords longer than this are refused, to bound the work one request can cause.
inline constexpr size_t kMaxPasswordBytes = 1024;

// The argon2id hash of `password` with a random 16-byte salt, in the standard encoded form
// "$argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<hash>" (parameters travel with the hash).
// InvalidInput when the password is longer than kMaxPasswordBytes; Internal if argon2 fails
// (bad parameters, out of memory).
Result<std::string> hash_password(std::string_view password, const PasswordParams& params = {});

// True when `password` matches an encoded argon2id hash made by hash_password. False for a
// wrong password, an over-long password, or a malformed or non-argon2id encoded string.
// Never throws.
bool verify_password(std::string_view password, std::string_view encoded) noexcept;

// ---- Master key and API keys --------------------------------------------------------------

// The 32-byte master key (raw bytes).
// If `configured` (the DOCENT_MASTER_KEY setting; surrounding whitespace ignored) is non-empty
// it must be 64 hex characters or base64 of exactly 32 bytes; otherwise InvalidInput, whose
// message names the accepted formats but never repeats the value.
// If it is empty the key lives in <data_dir>/master.key as 64 hex characters:
//  * an existing file is read, and refused with PermissionDenied (naming the file) if its mode
//    grants any permission to group or others; malformed content is InvalidInput;
//  * a missing file is created with mode 0600 (data_dir with 0700 if missing), a new random key
//    written, fsync'ed, and returned. If another process creates it first, its key is read.
// I/O failures are Internal errors naming the path.
Result<std::string> load_or_create_master_key(std::string_view configured, const std::filesystem::path& data_dir);

// A new API key: "dk_" followed by base62 of 32 random bytes. This is the whole plain key;
// callers show it once and store only its HMAC digest and its sealed form.
std::string new_api_key();

}  // namespace docent::core::crypto
