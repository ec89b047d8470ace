#include "core/payload_crypto.h"

#include "core/crypto.h"
#include "core/id.h"

#include <boost/json.hpp>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <stdexcept>

namespace docent::core::crypto {

namespace {

constexpr std::string_view kSalt = "docent payload encryption";
constexpr size_t kMacSize = 32;

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

[[noreturn]] void fail(const char* what) { throw std::runtime_error(std::string("OpenSSL failure: ") + what); }

struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

void check_key_iv(std::string_view key, std::string_view iv) {
  if (key.size() != kAesKeySize) throw std::invalid_argument("AES-256 needs a 32-byte key");
  if (iv.size() != kAesBlockSize) throw std::invalid_argument("AES-CBC needs a 16-byte IV");
}

// Runs `in` through an initialised cipher context into `out`, in pieces OpenSSL's int lengths take.
bool cipher_update(EVP_CIPHER_CTX* ctx, std::string_view in, unsigned char* out, size_t& written) {
  constexpr size_t kPiece = static_cast<size_t>(INT_MAX / 2) / kAesBlockSize * kAesBlockSize;
  for (size_t offset = 0; offset < in.size();) {
    const size_t chunk = std::min(in.size() - offset, kPiece);
    int n = 0;
    if (EVP_CipherUpdate(ctx, out + written, &n, bytes_of(in) + offset, static_cast<int>(chunk)) != 1) return false;
    written += static_cast<size_t>(n);
    offset += chunk;
  }
  return true;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// HMAC-SHA256 under `key` of version || ts (big-endian) || IV || ciphertext, fed in parts (the
// ciphertext may be megabytes: it is not copied to join them).
std::string payload_mac(std::string_view key, unsigned char version, int64_t ts, std::string_view iv,
                        std::string_view ct) {
  static EVP_MAC* const hmac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) fail("EVP_MAC_fetch(HMAC)");
    return m;
  }();
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(hmac));
  if (!ctx) fail("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx.get(), bytes_of(key), key.size(), params) != 1) fail("EVP_MAC_init");
  unsigned char head[9];
  head[0] = version;
  const auto u = static_cast<uint64_t>(ts);
  for (int i = 0; i < 8; ++i) head[1 + i] = static_cast<unsigned char>((u >> (56 - 8 * i)) & 0xff);
  if (EVP_MAC_update(ctx.get(), head, sizeof head) != 1 || EVP_MAC_update(ctx.get(), bytes_of(iv), iv.size()) != 1 ||
      EVP_MAC_update(ctx.get(), bytes_of(ct), ct.size()) != 1) {
    fail("EVP_MAC_update");
  }
  std::string out(kMacSize, '\0');
  size_t n = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, out.size()) != 1 || n != kMacSize) {
    fail("EVP_MAC_final");
  }
  return out;
}

void copy_key(std::string key, std::array<char, kAesKeySize>& into) {
  std::copy(key.begin(), key.end(), into.begin());
  OPENSSL_cleanse(key.data(), key.size());
}

// The envelope's fields, read strictly: exactly v, ts, iv, ct and mac, of the right types.
struct Fields {
  int64_t v = 0, ts = 0;
  std::string_view iv, ct, mac;
};

std::optional<Fields> read_fields(const boost::json::value& doc) {
  const auto* obj = doc.if_object();
  if (obj == nullptr || obj->size() != 5) return std::nullopt;
  const auto* v = obj->if_contains("v");
  const auto* ts = obj->if_contains("ts");
  const auto* iv = obj->if_contains("iv");
  const auto* ct = obj->if_contains("ct");
  const auto* mac = obj->if_contains("mac");
  if (!v || !ts || !iv || !ct || !mac) return std::nullopt;
  if (!v->is_int64() || !ts->is_int64() || !iv->is_string() || !ct->is_string() || !mac->is_string()) {
    return std::nullopt;
  }
  return Fields{v->get_int64(), ts->get_int64(), iv->get_string(), ct->get_string(), mac->get_string()};
}

}  // namespace

std::string hkdf_sha256(std::string_view ikm, std::string_view salt, std::string_view info, size_t length) {
  if (length == 0 || length > 255 * kMacSize) throw std::runtime_error("HKDF-SHA256 output length out of range");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) fail("EVP_KDF_fetch(HKDF)");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);
  if (!ctx) fail("EVP_KDF_CTX_new");
  // RFC 5869: an absent salt is HashLen zeros; OpenSSL wants it spelled out.
  static constexpr char kZeros[kMacSize] = {};
  const std::string_view s = salt.empty() ? std::string_view(kZeros, sizeof kZeros) : salt;
  char digest[] = "SHA256";
  // OpenSSL refuses an empty key parameter; HKDF with an empty IKM is still defined (HMAC pads it).
  static constexpr char kNoByte = 0;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.empty() ? &kNoByte : ikm.data()),
                                        ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(s.data()), s.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  std::string out(length, '\0');
  if (EVP_KDF_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), length, params) != 1) {
    fail("EVP_KDF_derive(HKDF)");
  }
  return out;
}

std::string aes256_cbc_encrypt(std::string_view key, std::string_view iv, std::string_view plaintext) {
  check_key_iv(key, iv);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes_of(key), bytes_of(iv)) != 1) {
    fail("EVP_EncryptInit_ex");
  }
  const size_t padded = (plaintext.size() / kAesBlockSize + 1) * kAesBlockSize;
  std::string out(padded, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  size_t written = 0;
  if (!cipher_update(ctx.get(), plaintext, p, written)) fail("EVP_EncryptUpdate");
  int n = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), p + written, &n) != 1) fail("EVP_EncryptFinal_ex");
  written += static_cast<size_t>(n);
  if (written != padded) fail("unexpected AES-CBC output length");
  return out;
}

std::optional<std::string> aes256_cbc_decrypt(std::string_view key, std::string_view iv, std::string_view ciphertext) {
  check_key_iv(key, iv);
  if (ciphertext.empty() || ciphertext.size() % kAesBlockSize != 0) return std::nullopt;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, bytes_of(key), bytes_of(iv)) != 1) {
    fail("EVP_DecryptInit_ex");
  }
  std::string plain(ciphertext.size() + kAesBlockSize, '\0');
  auto* p = reinterpret_cast<unsigned char*>(plain.data());
  size_t written = 0;
  int n = 0;
  if (!cipher_update(ctx.get(), ciphertext, p, written) || EVP_DecryptFinal_ex(ctx.get(), p + written, &n) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return std::nullopt;
  }
  written += static_cast<size_t>(n);
  OPENSSL_cleanse(plain.data() + written, plain.size() - written);
  plain.resize(written);
  return plain;
}

PayloadKeys PayloadKeys::derive(std::string_view api_key) {
  PayloadKeys k;
  copy_key(hkdf_sha256(api_key, kSalt, "docent v1 request enc", kAesKeySize), k.request_enc_);
  copy_key(hkdf_sha256(api_key, kSalt, "docent v1 request mac", kAesKeySize), k.request_mac_);
  copy_key(hkdf_sha256(api_key, kSalt, "docent v1 response enc", kAesKeySize), k.response_enc_);
  copy_key(hkdf_sha256(api_key, kSalt, "docent v1 response mac", kAesKeySize), k.response_mac_);
  return k;
}

PayloadKeys::~PayloadKeys() {
  OPENSSL_cleanse(request_enc_.data(), request_enc_.size());
  OPENSSL_cleanse(request_mac_.data(), request_mac_.size());
  OPENSSL_cleanse(response_enc_.data(), response_enc_.size());
  OPENSSL_cleanse(response_mac_.data(), response_mac_.size());
}

std::string_view PayloadKeys::enc(PayloadDirection d) const {
  const auto& k = d == PayloadDirection::Request ? request_enc_ : response_enc_;
  return {k.data(), k.size()};
}

std::string_view PayloadKeys::mac(PayloadDirection d) const {
  const auto& k = d == PayloadDirection::Request ? request_mac_ : response_mac_;
  return {k.data(), k.size()};
}

std::string seal_payload(const PayloadKeys& keys, PayloadDirection d, std::string_view plaintext, int64_t ts,
                         std::string_view iv) {
  std::string fresh;
  if (iv.empty()) {
    fresh.resize(kAesBlockSize);
    random_bytes(reinterpret_cast<unsigned char*>(fresh.data()), fresh.size());
    iv = fresh;
  }
  const std::string ct = aes256_cbc_encrypt(keys.enc(d), iv, plaintext);
  const std::string mac = payload_mac(keys.mac(d), kPayloadVersion, ts, iv, ct);
  const std::string ct64 = base64_encode(ct);
  std::string out;
  out.reserve(ct64.size() + 128);
  out += "{\"v\":1,\"ts\":";
  out += std::to_string(ts);
  out += ",\"iv\":\"";
  out += base64_encode(iv);
  out += "\",\"ct\":\"";
  out += ct64;
  out += "\",\"mac\":\"";
  out += base64_encode(mac);
  out += "\"}";
  return out;
}

Result<OpenedPayload> open_payload(const PayloadKeys& keys, PayloadDirection d, std::string_view envelope,
                                   int64_t now_s, int64_t window_s) {
  const Error rejected(Code::BadRequest, std::string(kPayloadRejected));
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 4;
  const boost::json::value doc = boost::json::parse(envelope, ec, {}, opts);
  if (ec) return rejected;
  const auto f = read_fields(doc);
  if (!f || f->v < 0 || f->v > 255) return rejected;
  auto iv = base64_decode(f->iv);
  auto ct = base64_decode(f->ct);
  auto mac = base64_decode(f->mac);
  if (!iv || !ct || !mac || iv->size() != kAesBlockSize || mac->size() != kMacSize || ct->empty() ||
      ct->size() % kAesBlockSize != 0) {
    return rejected;
  }
  // The MAC first, in constant time; only then are the version, the clock and the padding looked at.
  const std::string expected = payload_mac(keys.mac(d), static_cast<unsigned char>(f->v), f->ts, *iv, *ct);
  if (CRYPTO_memcmp(expected.data(), mac->data(), kMacSize) != 0) return rejected;
  if (f->v != kPayloadVersion) return rejected;
  // Written so that no subtraction can overflow, whatever ts an attacker authenticated.
  if (f->ts < now_s - window_s || f->ts > now_s + window_s) return rejected;
  auto plain = aes256_cbc_decrypt(keys.enc(d), *iv, *ct);
  if (!plain) return rejected;
  return OpenedPayload{std::move(*plain), f->ts, std::move(*mac)};
}

}  // namespace docent::core::crypto
