#include "core/crypto.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace docent::core::crypto {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::StartsWith;

using namespace std::string_literals;

// A fresh directory under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("docent_crypto_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

// ---- Digests and MACs ----

TEST(CryptoHash, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoHash, StreamingMatchesOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  Sha256 hasher;
  for (size_t offset = 0; offset < data.size(); offset += 777)
    hasher.update(std::string_view(data).substr(offset, 777));
  EXPECT_EQ(hasher.hex_digest(), sha256_hex(data));

  Sha256 abc;
  abc.update("a");
  EXPECT_EQ(abc.hex_digest(), sha256_hex("a"));  // a digest mid-stream leaves the hasher open
  abc.update("");
  abc.update("bc");
  EXPECT_EQ(abc.hex_digest(), sha256_hex("abc"));
  EXPECT_EQ(Sha256().hex_digest(), sha256_hex(""));

  Sha256 moved = std::move(abc);
  EXPECT_EQ(moved.hex_digest(), sha256_hex("abc"));
}

TEST(CryptoHash, FileHash) {
  TempDir dir;
  std::string data(200 * 1024 + 13, '\0');  // spans several 64 KiB chunks
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
  const fs::path path = dir.path() / "blob.bin";
  std::ofstream(path, std::ios::binary) << data;
  auto digest = sha256_file_hex(path);
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  EXPECT_EQ(*digest, sha256_hex(data));

  const fs::path empty = dir.path() / "empty";
  std::ofstream(empty).close();
  EXPECT_EQ(*sha256_file_hex(empty), sha256_hex(""));

  auto missing = sha256_file_hex(dir.path() / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Code::NotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("missing"));
}

TEST(CryptoHash, HmacRfc4231) {
  // Test case 1.
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // The empty key is a valid key.
  EXPECT_EQ(hmac_sha256_hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");

  const std::string raw = hmac_sha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(raw.size(), 32u);
  EXPECT_EQ(hex_encode(raw), hmac_sha256_hex("Jefe", "what do ya want for nothing?"));
}

TEST(CryptoHash, HmacWithPrecomputedKeyMatchesRfc4231) {
  EXPECT_EQ(HmacSha256Key(std::string(20, '\x0b')).hex({"Hi There"}),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const HmacSha256Key jefe("Jefe");
  EXPECT_EQ(jefe.hex({"what do ya want for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // The parts are joined; the key's state is reused across calls.
  EXPECT_EQ(jefe.hex({"what do ya ", "want", " for nothing?"}),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HmacSha256Key(std::string(131, '\xaa')).hex({"Test Using Larger Than Block-Size Key - Hash Key First"}),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(HmacSha256Key("").hex({""}), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  const std::string key(32, '\x42');
  EXPECT_EQ(HmacSha256Key(key).hex({"api-key", ":", "dk_example"}), hmac_sha256_hex(key, "api-key:dk_example"));
}

TEST(CryptoHash, ConstantTimeEquals) {
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_TRUE(constant_time_equals("a\0b"s, "a\0b"s));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "Abc"));
  EXPECT_FALSE(constant_time_equals("abc", "ab"));
  EXPECT_FALSE(constant_time_equals("ab", "abc"));
  EXPECT_FALSE(constant_time_equals("", "a"));
  EXPECT_FALSE(constant_time_equals("a\0b"s, "a\0c"s));
}

// ---- Encodings ----

TEST(CryptoEncoding, Base62KnownValues) {
  EXPECT_EQ(base62_encode(""), "");
  EXPECT_EQ(base62_encode("\x00"s), "0");
  EXPECT_EQ(base62_encode("\x00\x01"s), "01");
  EXPECT_EQ(base62_encode("\x00\x00\xff"s), "0047");
  EXPECT_EQ(base62_encode("\x01"), "1");
  EXPECT_EQ(base62_encode("\x3d"), "z");
  EXPECT_EQ(base62_encode("\x3e"), "10");
  EXPECT_EQ(base62_encode("\xff"), "47");
  EXPECT_EQ(base62_encode("Hello, World!"), "1wJfrzvdbtXUOlUjUf");
  EXPECT_EQ(base62_encode(std::string(32, '\xff')), "yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp1");
}

TEST(CryptoEncoding, Base62RoundTrip) {
  std::mt19937 rng(42);
  for (int len = 0; len < 70; ++len) {
    std::string bytes(len, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    if (len > 2) bytes[0] = bytes[1] = '\0';
    const std::string text = base62_encode(bytes);
    EXPECT_THAT(text, MatchesRegex("[0-9A-Za-z]*"));
    auto back = base62_decode(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_EQ(*back, bytes) << "length " << len;
  }
  EXPECT_EQ(*base62_decode("01"), "\x00\x01"s);
  EXPECT_FALSE(base62_decode("ab-c").has_value());
  EXPECT_FALSE(base62_decode("ab c").has_value());
  EXPECT_FALSE(base62_decode("é").has_value());
}

TEST(CryptoEncoding, HexRoundTripAndRejects) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode("\x00\x01\xab\xff"s), "0001abff");
  EXPECT_EQ(*hex_decode("0001abff"), "\x00\x01\xab\xff"s);
  EXPECT_EQ(*hex_decode("0001ABFF"), "\x00\x01\xab\xff"s);
  EXPECT_EQ(*hex_decode(""), "");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(*hex_decode(hex_encode(all)), all);

  EXPECT_FALSE(hex_decode("abc").has_value());  // odd length
  EXPECT_FALSE(hex_decode("0g").has_value());   // not hex
  EXPECT_FALSE(hex_decode("0x00").has_value());
  EXPECT_FALSE(hex_decode(" 00").has_value());
  EXPECT_FALSE(hex_decode("\x00\x00"s).has_value());
}

TEST(CryptoEncoding, Base64Rfc4648AndRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto back = base64_decode(encoded);
    ASSERT_TRUE(back.has_value()) << encoded;
    EXPECT_EQ(*back, plain);
  }
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(*base64_decode("+/8="), "\xfb\xff");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 17) {
    EXPECT_EQ(*base64_decode(base64_encode(all.substr(0, len))), all.substr(0, len));
  }
}

TEST(CryptoEncoding, Base64Rejects) {
  EXPECT_FALSE(base64_decode("Zg").has_value());  // unpadded
  EXPECT_FALSE(base64_decode("Zg=").has_value());
  EXPECT_FALSE(base64_decode("Zm9v!A==").has_value());  // outside the alphabet
  EXPECT_FALSE(base64_decode("Zm9-").has_value());      // URL-safe alphabet is not accepted
  EXPECT_FALSE(base64_decode("Zg==Zm9v").has_value());  // padding in the middle
  EXPECT_FALSE(base64_decode("Z===").has_value());
  EXPECT_FALSE(base64_decode("Zg=a").has_value());
  EXPECT_FALSE(base64_decode("Zh==").has_value());  // non-zero unused bits
  EXPECT_FALSE(base64_decode("Zm9=").has_value());
  EXPECT_FALSE(base64_decode("Zm9v\n").has_value());
  EXPECT_FALSE(base64_decode("Zm 9").has_value());
}

// ---- SecretBox ----

std::string test_key(char fill) { return std::string(SecretBox::kKeySize, fill); }

TEST(CryptoSecretBox, RoundTrips) {
  SecretBox box(test_key('k'));
  std::string long_text;
  for (int i = 0; i < 10000; ++i) long_text.push_back(static_cast<char>(i));
  for (const std::string& plain : {""s, "x"s, "dk_secret"s, std::string(15, 'a'), std::string(16, 'b'),
                                   std::string(17, 'c'), "with\0nul"s, long_text}) {
    const std::string sealed = box.seal(plain);
    EXPECT_EQ(sealed[0], '\x01');
    // version + IV + padded ciphertext + tag
    EXPECT_EQ(sealed.size(), 1 + 16 + (plain.size() / 16 + 1) * 16 + 32);
    auto opened = box.open(sealed);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    EXPECT_EQ(*opened, plain);
  }
}

TEST(CryptoSecretBox, SameKeyOpensAcrossInstances) {
  const std::string sealed = SecretBox(test_key('k')).seal("hello");
  SecretBox other(test_key('k'));
  EXPECT_EQ(*other.open(sealed), "hello");
}

TEST(CryptoSecretBox, RandomIvMakesCiphertextsDiffer) {
  SecretBox box(test_key('k'));
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) seen.insert(box.seal("same plaintext"));
  EXPECT_EQ(seen.size(), 20u);
}

void expect_open_fails(const SecretBox& box, const std::string& sealed) {
  auto opened = box.open(sealed);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Code::Internal);
  EXPECT_EQ(opened.error().message, "secret could not be decrypted (wrong master key or corrupted data)");
}

TEST(CryptoSecretBox, EveryByteFlipFails) {
  SecretBox box(test_key('k'));
  const std::string sealed = box.seal("an api key worth protecting");
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string tampered = sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ mask);
      SCOPED_TRACE("byte " + std::to_string(i) + " mask " + std::to_string(mask));
      expect_open_fails(box, tampered);
    }
  }
}

TEST(CryptoSecretBox, TruncationAndExtensionFail) {
  SecretBox box(test_key('k'));
  const std::string sealed = box.seal("short");
  for (size_t len = 0; len < sealed.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    expect_open_fails(box, sealed.substr(0, len));
  }
  expect_open_fails(box, sealed + "x");
  expect_open_fails(box, sealed + std::string(16, '\0'));
  // Dropping a whole ciphertext block keeps the length valid; the tag still catches it.
  const std::string long_sealed = box.seal(std::string(40, 'z'));
  expect_open_fails(box, long_sealed.substr(0, 17) + long_sealed.substr(33));
}

TEST(CryptoSecretBox, WrongMasterKeyFails) {
  const std::string sealed = SecretBox(test_key('k')).seal("secret");
  expect_open_fails(SecretBox(test_key('K')), sealed);
  std::string almost = test_key('k');
  almost[31] = 'j';
  expect_open_fails(SecretBox(almost), sealed);
}

TEST(CryptoSecretBox, RejectsWrongSizeMasterKey) {
  EXPECT_THROW(SecretBox(std::string(31, 'k')), std::invalid_argument);
  EXPECT_THROW(SecretBox(std::string(33, 'k')), std::invalid_argument);
  EXPECT_THROW(SecretBox(std::string()), std::invalid_argument);
}

// ---- Passwords ----

constexpr PasswordParams kFast{.t_cost = 1, .m_cost_kib = 1024, .parallelism = 1};

TEST(CryptoPassword, HashAndVerify) {
  auto hash = hash_password("correct horse battery staple", kFast);
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=1024,t=1,p=1$"));
  EXPECT_TRUE(verify_password("correct horse battery staple", *hash));
  EXPECT_FALSE(verify_password("correct horse battery stapler", *hash));
  EXPECT_FALSE(verify_password("", *hash));

  auto again = hash_password("correct horse battery staple", kFast);
  ASSERT_TRUE(again.ok());
  EXPECT_NE(*again, *hash);  // random salt
  EXPECT_TRUE(verify_password("correct horse battery staple", *again));
}

TEST(CryptoPassword, DefaultParamsAreOwasp) {
  auto hash = hash_password("pa55word");
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_THAT(*hash, HasSubstr("$argon2id$"));
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(verify_password("pa55word", *hash));
  EXPECT_FALSE(verify_password("pa55worD", *hash));
}

TEST(CryptoPassword, EmptyAndBinaryPasswords) {
  auto empty = hash_password("", kFast);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(verify_password("", *empty));
  EXPECT_FALSE(verify_password(" ", *empty));

  const std::string binary = "a\0b\xff"s;
  auto hash = hash_password(binary, kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(verify_password(binary, *hash));
  EXPECT_FALSE(verify_password("a", *hash));
}

TEST(CryptoPassword, LengthLimit) {
  const std::string longest(kMaxPasswordBytes, 'p');
  auto ok = hash_password(longest, kFast);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(verify_password(longest, *ok));

  auto too_long = hash_password(longest + "p", kFast);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Code::InvalidInput);
  EXPECT_FALSE(verify_password(longest + "p", *ok));
}

TEST(CryptoPassword, MalformedEncodedIsFalse) {
  auto hash = hash_password("pw", kFast);
  ASSERT_TRUE(hash.ok());
  for (const std::string& bad :
       {""s, "pw"s, "$argon2id$"s, "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA"s,
        "$argon2id$v=19$m=1024,t=1,p=1$$"s, "$argon2id$v=19$m=x,t=1,p=1$c2FsdA$aGFzaA"s,
        hash->substr(0, hash->size() - 5), *hash + "\0"s, *hash + "!", std::string(5000, '$')}) {
    EXPECT_FALSE(verify_password("pw", bad)) << bad;
  }
  std::string flipped = *hash;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password("pw", flipped));
}

TEST(CryptoPassword, BadParamsAreAnError) {
  auto hash = hash_password("pw", {.t_cost = 0, .m_cost_kib = 1024, .parallelism = 1});
  ASSERT_FALSE(hash.ok());
  EXPECT_EQ(hash.error().code, Code::Internal);
}

// ---- Master key ----

TEST(CryptoMasterKey, CreatesFileWithMode0600) {
  TempDir dir;
  auto key = load_or_create_master_key("", dir.path());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->size(), 32u);
  const fs::path file = dir.path() / "master.key";
  EXPECT_EQ(mode_of(file), 0600u);
  const std::string text = read_text(file);
  EXPECT_THAT(text, MatchesRegex("[0-9a-f]{64}\n"));
  EXPECT_EQ(text.substr(0, 64), hex_encode(*key));

  auto again = load_or_create_master_key("", dir.path());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, *key);
}

TEST(CryptoMasterKey, CreatesMissingDataDirWith0700) {
  TempDir dir;
  const fs::path data = dir.path() / "nested" / "data";
  auto key = load_or_create_master_key("", data);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(mode_of(data), 0700u);
  EXPECT_TRUE(fs::exists(data / "master.key"));
}

TEST(CryptoMasterKey, ReadsExistingFileTrimmingWhitespace) {
  TempDir dir;
  const std::string hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
  const fs::path file = dir.path() / "master.key";
  std::ofstream(file) << "  " << hex << "\r\n\n";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  auto key = load_or_create_master_key("", dir.path());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(*key, *hex_decode(hex));

  fs::permissions(file, fs::perms::owner_read, fs::perm_options::replace);  // 0400 is fine too
  EXPECT_TRUE(load_or_create_master_key("", dir.path()).ok());
}

TEST(CryptoMasterKey, RefusesGroupOrOtherAccess) {
  TempDir dir;
  ASSERT_TRUE(load_or_create_master_key("", dir.path()).ok());
  const fs::path file = dir.path() / "master.key";
  for (fs::perms extra :
       {fs::perms::group_read, fs::perms::others_read, fs::perms::group_write, fs::perms::others_exec}) {
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | extra, fs::perm_options::replace);
    auto key = load_or_create_master_key("", dir.path());
    ASSERT_FALSE(key.ok());
    EXPECT_EQ(key.error().code, Code::PermissionDenied);
    EXPECT_THAT(key.error().message, HasSubstr(file.string()));
  }
}

TEST(CryptoMasterKey, RefusesMalformedFile) {
  TempDir dir;
  const fs::path file = dir.path() / "master.key";
  for (const std::string& content : {"not a key\n"s, std::string(63, 'a') + "g"s, std::string(66, 'a'), ""s}) {
    std::ofstream(file, std::ios::trunc) << content;
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
    // An old file: no writer can still be filling it in, so no waiting.
    fs::last_write_time(file, fs::file_time_type::clock::now() - std::chrono::hours(1));
    auto key = load_or_create_master_key("", dir.path());
    ASSERT_FALSE(key.ok()) << content;
    EXPECT_EQ(key.error().code, Code::InvalidInput);
    EXPECT_THAT(key.error().message, HasSubstr(file.string()));
  }
}

TEST(CryptoMasterKey, WaitsForAWriterStillFillingANewFile) {
  TempDir dir;
  const fs::path file = dir.path() / "master.key";
  const std::string hex = hex_encode(std::string(32, '\x5a'));
  {
    std::ofstream out(file);
    out << hex.substr(0, 10);
  }
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ofstream(file, std::ios::trunc) << hex << "\n";
  });
  auto key = load_or_create_master_key("", dir.path());
  writer.join();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(hex_encode(*key), hex);
}

TEST(CryptoMasterKey, ConcurrentFirstStartsAgree) {
  for (int round = 0; round < 5; ++round) {
    TempDir dir;
    std::vector<std::string> keys(4);
    std::vector<std::thread> threads;
    for (auto& slot : keys) {
      threads.emplace_back([&slot, &dir] {
        auto key = load_or_create_master_key("", dir.path());
        slot = key.ok() ? *key : "error: " + key.error().message;
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& key : keys) {
      EXPECT_EQ(key.size(), 32u) << key;
      EXPECT_EQ(key, keys[0]);
    }
  }
}

TEST(CryptoMasterKey, ConfiguredHexAndBase64) {
  TempDir dir;
  const std::string raw = "0123456789abcdef0123456789ABCDEF";
  auto from_hex = load_or_create_master_key(hex_encode(raw), dir.path());
  ASSERT_TRUE(from_hex.ok()) << from_hex.error().message;
  EXPECT_EQ(*from_hex, raw);

  std::string upper = hex_encode(raw);
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(*load_or_create_master_key(upper, dir.path()), raw);

  auto from_b64 = load_or_create_master_key(base64_encode(raw), dir.path());
  ASSERT_TRUE(from_b64.ok()) << from_b64.error().message;
  EXPECT_EQ(*from_b64, raw);

  EXPECT_EQ(*load_or_create_master_key(" " + base64_encode(raw) + "\n", dir.path()), raw);
  EXPECT_FALSE(fs::exists(dir.path() / "master.key"));  // a configured key never touches the file
}

TEST(CryptoMasterKey, BadConfiguredValueIsNotEchoed) {
  TempDir dir;
  for (const std::string& bad :
       {"hunter2-super-secret"s, hex_encode(std::string(31, 'x')), hex_encode(std::string(33, 'x')),
        base64_encode(std::string(31, 'x')), base64_encode(std::string(48, 'x')), std::string(64, 'z'), "   "s}) {
    auto key = load_or_create_master_key(bad, dir.path());
    ASSERT_FALSE(key.ok()) << bad;
    EXPECT_EQ(key.error().code, Code::InvalidInput);
    EXPECT_THAT(key.error().message, HasSubstr("64 hex characters"));
    EXPECT_THAT(key.error().message, HasSubstr("base64"));
    if (bad.find_first_not_of(' ') != std::string::npos) {
      EXPECT_THAT(key.error().message, Not(HasSubstr(bad)));
    }
    EXPECT_EQ(key.error().details.size(), 0u);
  }
}

TEST(CryptoMasterKey, WorksWithSecretBox) {
  TempDir dir;
  const std::string sealed = SecretBox(*load_or_create_master_key("", dir.path())).seal("secret");
  SecretBox reloaded(*load_or_create_master_key("", dir.path()));
  EXPECT_EQ(*reloaded.open(sealed), "secret");
}

// ---- API keys ----

TEST(CryptoApiKey, Format) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string key = new_api_key();
    EXPECT_THAT(key, MatchesRegex("dk_[0-9A-Za-z]{30,44}"));
    auto raw = base62_decode(std::string_view(key).substr(3));
    ASSERT_TRUE(raw.has_value());
    EXPECT_LE(raw->size(), 32u);
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace docent::core::crypto
