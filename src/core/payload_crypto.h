#pragma once
// Payload encryption, version 1 (docs/ENCRYPTION.md is the contract clients are written from):
// the primitives (HKDF-SHA256, AES-256-CBC with PKCS#7 padding) and the envelope that carries one
// encrypted message, {"v":1,"ts":<unix seconds>,"iv":"<b64>","ct":"<b64>","mac":"<b64>"}.
//
// Keys come from the API key the client presents on the request; four independent 32-byte keys
// per API key (request and response, each an AES key and an HMAC key), so a request envelope
// can never be passed off as a response or the other way round. The MAC is HMAC-SHA256 over
//   version (1 byte, 0x01) || ts (8 bytes, big-endian two's complement) || IV (16) || ciphertext
// and is checked, in constant time, before anything is decrypted: a bad MAC, a bad padding, bad
// base64, a wrong version or a truncated envelope all give the same error (no padding oracle).

#include "core/error.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace docent::core::crypto {

// ---- Primitives ---------------------------------------------------------------------------

// HKDF-SHA256 (RFC 5869, extract then expand) of `ikm` with `salt` and `info`: `length` bytes
// (at most 255 * 32). An empty salt is HashLen zero bytes, as the RFC says. Throws
// std::runtime_error only if OpenSSL fails (or `length` is out of range).
std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t length);

inline constexpr size_t kAesKeySize = 32;
inline constexpr size_t kAesBlockSize = 16;

// AES-256-CBC of `plaintext` with PKCS#7 padding (always at least one padding byte, so the output
// is the next multiple of 16 above the input's length). `key` must be 32 bytes and `iv` 16:
// anything else throws std::invalid_argument.
std::string aes256_cbc_encrypt(std::string_view key, std::string_view iv, std::string_view plaintext);

// The inverse: nullopt when the ciphertext is empty, not a multiple of 16 bytes, or its padding is
// not valid PKCS#7. Callers that face an attacker must authenticate the ciphertext first.
std::optional<std::string> aes256_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext);

// ---- The envelope (version 1) ---------------------------------------------------------------

inline constexpr int kPayloadVersion = 1;
// The Content-Type of an encrypted JSON body, and of an encrypted multipart file part.
inline constexpr std::string_view kEncryptedJsonType = "application/vnd.docent.encrypted+json";
inline constexpr std::string_view kEncryptedPartType = "application/vnd.docent.encrypted";
// The one message every refused envelope gets, whatever was wrong with it.
inline constexpr std::string_view kPayloadRejected = "encrypted payload rejected";

enum class PayloadDirection { Request, Response };

// The four keys derived from one API key:
//   PRK = HKDF-Extract(salt = "docent payload encryption", IKM = the API key text, as presented)
//   key = HKDF-Expand(PRK, info = "docent v1 <request|response> <enc|mac>", 32)
// Key material is wiped in the destructor. Copyable (a request's middleware and its event stream
// each hold one); thread-compatible.
class PayloadKeys {
 public:
  static PayloadKeys derive(std::string_view api_key);
  PayloadKeys(const PayloadKeys&) = default;
  PayloadKeys& operator=(const PayloadKeys&) = default;
  ~PayloadKeys();

  std::string_view enc(PayloadDirection d) const;
  std::string_view mac(PayloadDirection d) const;

 private:
  PayloadKeys() = default;
  std::array<char, kAesKeySize> request_enc_{}, request_mac_{}, response_enc_{}, response_mac_{};
};

// One message, sealed. `iv` empty: 16 fresh random bytes (give one only in tests).
// Returns the envelope as compact JSON text.
std::string seal_payload(const PayloadKeys& keys, PayloadDirection d, std::string_view plaintext, int64_t ts,
                         std::string_view iv = {});

struct OpenedPayload {
  std::string plaintext;
  int64_t ts = 0;
  std::string mac;  // the 32 raw MAC bytes: unique per message, the replay cache's key
};

// Opens an envelope made by seal_payload under the same keys and direction whose timestamp is
// within `window_s` seconds of `now_s` (either side). Every failure is BadRequest with the
// message kPayloadRejected. The MAC is verified before the timestamp is trusted or anything is
// decrypted.
Result<OpenedPayload> open_payload(const PayloadKeys& keys, PayloadDirection d, std::string_view envelope,
                                   int64_t now_s, int64_t window_s);

}  // namespace docent::core::crypto
