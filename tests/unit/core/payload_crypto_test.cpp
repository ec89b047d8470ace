#include "core/payload_crypto.h"

#include "core/crypto.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <string>

namespace docent::core::crypto {
namespace {

std::string unhex(std::string_view h) { return hex_decode(h).value(); }

std::string bytes_from(int first, int last) {  // first..last inclusive
  std::string s;
  for (int b = first; b <= last; ++b) s.push_back(static_cast<char>(b));
  return s;
}

// RFC 5869 appendix A, the three SHA-256 cases.
TEST(Hkdf, Rfc5869Case1) {
  EXPECT_EQ(hex_encode(hkdf_sha256(std::string(22, '\x0b'), bytes_from(0x00, 0x0c), bytes_from(0xf0, 0xf9), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(Hkdf, Rfc5869Case2LongInputs) {
  EXPECT_EQ(
      hex_encode(hkdf_sha256(bytes_from(0x00, 0x4f), bytes_from(0x60, 0xaf), bytes_from(0xb0, 0xff), 82)),
      "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f"
      "09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(Hkdf, Rfc5869Case3EmptySaltAndInfo) {
  EXPECT_EQ(hex_encode(hkdf_sha256(std::string(22, '\x0b'), "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(Hkdf, RefusesLengthsOutOfRange) {
  EXPECT_THROW(hkdf_sha256("k", "s", "i", 0), std::runtime_error);
  EXPECT_THROW(hkdf_sha256("k", "s", "i", 255 * 32 + 1), std::runtime_error);
}

// NIST SP 800-38A F.2.5 (CBC-AES256.Encrypt); PKCS#7 then adds one whole block of 0x10.
const std::string kNistKey = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const std::string kNistIv = unhex("000102030405060708090a0b0c0d0e0f");
const std::string kNistPlain = unhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2"
    "b417be66c3710");
const std::string kNistCipher =
    "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda"
    "6c19078c6a9d1b";

TEST(AesCbc, NistSp80038aVector) {
  const std::string ct = aes256_cbc_encrypt(kNistKey, kNistIv, kNistPlain);
  ASSERT_EQ(ct.size(), 80u);
  EXPECT_EQ(hex_encode(ct.substr(0, 64)), kNistCipher);
  EXPECT_EQ(aes256_cbc_decrypt(kNistKey, kNistIv, ct), kNistPlain);
}

TEST(AesCbc, PadsEveryLengthAndRoundTrips) {
  for (size_t n : {0u, 1u, 15u, 16u, 17u, 1000u}) {
    const std::string plain(n, 'x');
    const std::string ct = aes256_cbc_encrypt(kNistKey, kNistIv, plain);
    EXPECT_EQ(ct.size(), (n / 16 + 1) * 16) << n;
    EXPECT_EQ(aes256_cbc_decrypt(kNistKey, kNistIv, ct), plain) << n;
  }
}

TEST(AesCbc, RefusesBadLengthsAndBadPadding) {
  EXPECT_FALSE(aes256_cbc_decrypt(kNistKey, kNistIv, ""));
  EXPECT_FALSE(aes256_cbc_decrypt(kNistKey, kNistIv, std::string(15, 'a')));
  // The NIST blocks decrypt to plaintext whose last byte (0x10) only pads once a full padding block
  // follows; without it, 0x10 repeated is not the end of those plaintext bytes.
  EXPECT_FALSE(aes256_cbc_decrypt(kNistKey, kNistIv, unhex(kNistCipher)));
  EXPECT_THROW(aes256_cbc_encrypt("short", kNistIv, "x"), std::invalid_argument);
  EXPECT_THROW(aes256_cbc_encrypt(kNistKey, "short", "x"), std::invalid_argument);
}

// ---- The envelope -------------------------------------------------------------------------

constexpr std::string_view kApiKey = "dk_TestKeyForTheDocumentedExample";
constexpr int64_t kTs = 1765000000;
constexpr std::string_view kIv = "0123456789abcdef";

boost::json::object fields(const std::string& envelope) { return boost::json::parse(envelope).as_object(); }

std::string with(const std::string& envelope, std::string_view field, boost::json::value v) {
  auto o = fields(envelope);
  o[field] = std::move(v);
  return boost::json::serialize(o);
}

// The worked example of docs/ENCRYPTION.md, computed there by the Python reference client: the
// document and this implementation agree byte for byte.
TEST(Payload, MatchesTheDocumentedExample) {
  const auto keys = PayloadKeys::derive(kApiKey);
  EXPECT_EQ(hex_encode(keys.enc(PayloadDirection::Request)),
            "4ad9769c20d0f24f5e2c1bcb084a3cb143778b23f2593ba28f615d5d8f14d380");
  EXPECT_EQ(hex_encode(keys.mac(PayloadDirection::Request)),
            "c7ca0ee1e2a4d9a2a4937d6e72eaa995a2c845841eca67e87389c3c31cf3908d");
  EXPECT_EQ(
      seal_payload(keys, PayloadDirection::Request, R"({"message":"hi"})", kTs, kIv),
      R"({"v":1,"ts":1765000000,"iv":"MDEyMzQ1Njc4OWFiY2RlZg==","ct":"dUOjwOtNza7ncQPbDDSmIXe50v+lqSMqfJ7t0TdpV94=",)"
      R"("mac":"/zX4iDbO4OTUzJEG+s4FjNS2K8sYjBA8CzE76FXNBNU="})");
}

TEST(Payload, RoundTripsEachDirection) {
  const auto keys = PayloadKeys::derive(kApiKey);
  for (auto d : {PayloadDirection::Request, PayloadDirection::Response}) {
    const std::string env = seal_payload(keys, d, "{\"a\":1}", kTs);
    auto opened = open_payload(keys, d, env, kTs + 10, 300);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(opened->plaintext, "{\"a\":1}");
    EXPECT_EQ(opened->ts, kTs);
    EXPECT_EQ(opened->mac.size(), 32u);
  }
}

TEST(Payload, FreshIvEachTime) {
  const auto keys = PayloadKeys::derive(kApiKey);
  EXPECT_NE(fields(seal_payload(keys, PayloadDirection::Request, "x", kTs)).at("iv"),
            fields(seal_payload(keys, PayloadDirection::Request, "x", kTs)).at("iv"));
}

void expect_rejected(const Result<OpenedPayload>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Code::BadRequest);
  EXPECT_EQ(r.error().message, kPayloadRejected);
}

TEST(Payload, RefusesTheOtherDirectionAndAnotherKey) {
  const auto keys = PayloadKeys::derive(kApiKey);
  const std::string env = seal_payload(keys, PayloadDirection::Request, "x", kTs);
  expect_rejected(open_payload(keys, PayloadDirection::Response, env, kTs, 300));
  expect_rejected(open_payload(PayloadKeys::derive("dk_other"), PayloadDirection::Request, env, kTs, 300));
}

TEST(Payload, RefusesOldAndFutureTimestamps) {
  const auto keys = PayloadKeys::derive(kApiKey);
  const std::string env = seal_payload(keys, PayloadDirection::Request, "x", kTs);
  EXPECT_TRUE(open_payload(keys, PayloadDirection::Request, env, kTs + 300, 300).ok());
  EXPECT_TRUE(open_payload(keys, PayloadDirection::Request, env, kTs - 300, 300).ok());
  expect_rejected(open_payload(keys, PayloadDirection::Request, env, kTs + 301, 300));
  expect_rejected(open_payload(keys, PayloadDirection::Request, env, kTs - 301, 300));
}

TEST(Payload, RefusesEveryTamperingWithOneMessage) {
  const auto keys = PayloadKeys::derive(kApiKey);
  const std::string env = seal_payload(keys, PayloadDirection::Request, std::string(40, 'p'), kTs);
  const auto o = fields(env);
  auto flip = [&](std::string_view field, size_t byte) {
    std::string raw = *base64_decode(o.at(field).as_string());
    raw[byte] = static_cast<char>(raw[byte] ^ 0x01);
    return with(env, field, boost::json::value(base64_encode(raw)));
  };
  const auto& d = PayloadDirection::Request;
  expect_rejected(open_payload(keys, d, flip("ct", 0), kTs, 300));
  expect_rejected(open_payload(keys, d, flip("ct", 47), kTs, 300));  // the padding block
  expect_rejected(open_payload(keys, d, flip("iv", 3), kTs, 300));
  expect_rejected(open_payload(keys, d, flip("mac", 31), kTs, 300));
  expect_rejected(open_payload(keys, d, with(env, "ts", kTs + 1), kTs, 300));
  expect_rejected(open_payload(keys, d, with(env, "v", 2), kTs, 300));
  expect_rejected(open_payload(keys, d, with(env, "v", "1"), kTs, 300));
  expect_rejected(open_payload(keys, d, with(env, "ct", "not base64!"), kTs, 300));
  expect_rejected(open_payload(keys, d, with(env, "ct", ""), kTs, 300));
  expect_rejected(open_payload(keys, d, env.substr(0, env.size() / 2), kTs, 300));  // truncated
  expect_rejected(open_payload(keys, d, "[]", kTs, 300));
  auto extra = o;
  extra["x"] = 1;
  expect_rejected(open_payload(keys, d, boost::json::serialize(extra), kTs, 300));
  // Truncated by whole blocks, with the MAC left as it was.
  std::string ct = *base64_decode(o.at("ct").as_string());
  expect_rejected(
      open_payload(keys, d, with(env, "ct", boost::json::value(base64_encode(ct.substr(0, 32)))), kTs, 300));
}

}  // namespace
}  // namespace docent::core::crypto
