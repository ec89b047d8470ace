#include "core/crypto.h"

#include "core/id.h"

#include <argon2.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

namespace docent::core::crypto {

namespace {

namespace fs = std::filesystem;

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase62Digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr char kBase64Digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr size_t kDigestSize = 32;
constexpr size_t kFileChunk = 64 * 1024;

constexpr unsigned char kSealVersion = 0x01;
constexpr size_t kIvSize = 16;
constexpr size_t kBlockSize = 16;
constexpr size_t kTagSize = 32;
constexpr std::string_view kEncInfo = "docent enc v1";
constexpr std::string_view kMacInfo = "docent mac v1";
constexpr std::string_view kOpenFailed = "secret could not be decrypted (wrong master key or corrupted data)";

constexpr size_t kSaltSize = 16;
constexpr size_t kPasswordHashSize = 32;

constexpr std::string_view kMasterKeyFile = "master.key";
constexpr size_t kMasterKeyHexSize = 2 * SecretBox::kKeySize;
constexpr size_t kMaxKeyFileBytes = 4096;

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

[[noreturn]] void throw_openssl(const char* what) { throw std::runtime_error(std::string("OpenSSL failure: ") + what); }

// Fetched once; EVP_MAC objects are reference counted and safe to share between threads.
// Deliberately never freed: static destruction may run after OpenSSL's own cleanup.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) throw_openssl("EVP_MAC_fetch(HMAC)");
    return m;
  }();
  return mac;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* ctx) const { EVP_KDF_CTX_free(ctx); }
};

// HMAC-SHA256 of `data` into `out` (kDigestSize bytes).
void hmac_into(const unsigned char* key, size_t key_len, std::string_view data, unsigned char* out) {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(hmac_algorithm()));
  if (!ctx) throw_openssl("EVP_MAC_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  // A null key means "keep the previous key" to EVP_MAC_init; an empty key must still be a key.
  static const unsigned char kNoKey = 0;
  if (EVP_MAC_init(ctx.get(), key != nullptr ? key : &kNoKey, key_len, params) != 1) throw_openssl("EVP_MAC_init");
  if (EVP_MAC_update(ctx.get(), bytes_of(data), data.size()) != 1) throw_openssl("EVP_MAC_update");
  size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out, &out_len, kDigestSize) != 1 || out_len != kDigestSize) {
    throw_openssl("EVP_MAC_final");
  }
}

// HKDF-SHA256 (extract-and-expand, no salt) of `ikm` with `info`, into `out`.
void hkdf_sha256(const std::string& ikm, std::string_view info, unsigned char* out, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) throw_openssl("EVP_KDF_fetch(HKDF)");
  std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf));
  EVP_KDF_free(kdf);
  if (!ctx) throw_openssl("EVP_KDF_CTX_new");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(ikm.data()),
                                                                 ikm.size()),
                               OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                                                 info.size()),
                               OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out, out_len, params) != 1) throw_openssl("EVP_KDF_derive(HKDF)");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base62_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c >= 'a' && c <= 'z') return c - 'a' + 36;
  return -1;
}

// The value of each base64 digit, -1 for every other byte: one load a character (bulk payloads,
// docs/ENCRYPTION.md, decode megabytes).
constexpr std::array<int8_t, 256> kBase64Values = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kBase64Digits[i])] = static_cast<int8_t>(i);
  return t;
}();

int base64_value(char c) { return kBase64Values[static_cast<unsigned char>(c)]; }

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

std::string errno_text(int err) { return std::system_category().message(err); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports whether close succeeded (it can report a deferred write error).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// ---- master.key ----

std::string quoted(const fs::path& p) {
  std::string out = p.string();
  out.insert(out.begin(), '\'');
  out.push_back('\'');
  return out;
}

// DOCENT_MASTER_KEY as 32 raw bytes: 64 hex characters, or standard base64 of 32 bytes.
std::optional<std::string> decode_configured_key(std::string_view value) {
  std::optional<std::string> key;
  if (value.size() == kMasterKeyHexSize) key = hex_decode(value);
  if (!key) key = base64_decode(value);
  if (key && key->size() != SecretBox::kKeySize) {
    OPENSSL_cleanse(key->data(), key->size());
    key.reset();
  }
  return key;
}

// Reads and validates the key file. If the file is new and its content looks like a key still
// being written (a short run of hex digits), it is re-read for up to two seconds: another
// process may have just created it with O_EXCL and not yet written it.
Result<std::string> read_master_key_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    return Error(Code::Internal, "cannot open master key file " + quoted(path) + ": " + errno_text(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    return Error(Code::Internal, "cannot stat master key file " + quoted(path) + ": " + errno_text(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return Error(Code::InvalidInput, "master key file " + quoted(path) + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Error(Code::PermissionDenied, "master key file " + quoted(path) + " has mode " + mode +
                                             ", which lets group or others access it; run: chmod 600 " + quoted(path));
  }

  // Only a file made moments ago can still be being written; a stale short file is just broken.
  const bool fresh = std::abs(std::difftime(std::time(nullptr), st.st_mtime)) < 10;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::string text(kMaxKeyFileBytes, '\0');
  for (;;) {
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::pread(fd.get(), text.data() + got, text.size() - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int err = errno;
        OPENSSL_cleanse(text.data(), text.size());
        return Error(Code::Internal, "cannot read master key file " + quoted(path) + ": " + errno_text(err));
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    const std::string_view content = trim(std::string_view(text.data(), got));
    if (content.size() == kMasterKeyHexSize) {
      if (auto key = hex_decode(content)) {
        OPENSSL_cleanse(text.data(), text.size());
        return std::move(*key);
      }
    }
    const bool partial = content.size() < kMasterKeyHexSize &&
                         std::all_of(content.begin(), content.end(), [](char c) { return hex_value(c) >= 0; });
    if (partial && fresh && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    OPENSSL_cleanse(text.data(), text.size());
    if (got == 0) {
      return Error(Code::InvalidInput, "master key file " + quoted(path) +
                                           " is empty (an interrupted first start?); no secret can have been "
                                           "sealed with it, so delete it to have a new key made");
    }
    return Error(Code::InvalidInput, "master key file " + quoted(path) + " is malformed: expected 64 hex characters");
  }
}

// Makes `dir` (mode 0700) if it does not exist; its missing parents get default modes.
Status ensure_data_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Status::Ok();
  if (dir.has_parent_path()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) {
      return Error(Code::Internal, "cannot create data directory " + quoted(dir.parent_path()) + ": " + ec.message());
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    const int err = errno;
    return Error(Code::Internal, "cannot create data directory " + quoted(dir) + ": " + errno_text(err));
  }
  if (!fs::is_directory(dir, ec)) {
    return Error(Code::Internal, "data directory " + quoted(dir) + " exists but is not a directory");
  }
  return Status::Ok();
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return Error(Code::Internal, errno_text(err));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<std::string> create_master_key_file(const fs::path& data_dir, const fs::path& path) {
  if (Status s = ensure_data_dir(data_dir); !s) return s.error();
  Fd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == EEXIST) return read_master_key_file(path);  // lost a race
    return Error(Code::Internal, "cannot create master key file " + quoted(path) + ": " + errno_text(err));
  }

  std::string key(SecretBox::kKeySize, '\0');
  random_bytes(key.data(), key.size());
  std::string text = hex_encode(key) + "\n";
  Status written = write_all(fd.get(), text);
  OPENSSL_cleanse(text.data(), text.size());
  std::string failure;
  if (!written) {
    failure = written.error().message;
  } else if (::fsync(fd.get()) != 0) {
    failure = errno_text(errno);
  } else if (!fd.close()) {
    failure = errno_text(errno);
  }
  if (!failure.empty()) {
    // Leave no half-written key behind to be mistaken for the real one on the next start.
    ::unlink(path.c_str());
    OPENSSL_cleanse(key.data(), key.size());
    return Error(Code::Internal, "cannot write master key file " + quoted(path) + ": " + failure);
  }
  // Make the new directory entry durable too; best effort, the key itself is already synced.
  if (Fd dir(::open(data_dir.empty() ? "." : data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir.get() >= 0) {
    ::fsync(dir.get());
  }
  return key;
}

}  // namespace

// ---- Digests and MACs -------------------------------------------------------------------

std::string sha256_hex(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.hex_digest();
}

void Sha256::CtxFree::operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw_openssl("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw_openssl("EVP_DigestInit_ex");
}

void Sha256::update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) throw_openssl("EVP_DigestUpdate");
}

std::string Sha256::hex_digest() const {
  // Finalize a copy so the running state stays open for more update() calls.
  std::unique_ptr<EVP_MD_CTX, CtxFree> copy(EVP_MD_CTX_new());
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_.get()) != 1) throw_openssl("EVP_MD_CTX_copy_ex");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(copy.get(), digest, &len) != 1) throw_openssl("EVP_DigestFinal_ex");
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

Result<std::string> sha256_file_hex(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    return Error(err == ENOENT ? Code::NotFound : Code::Internal,
                 "cannot open " + quoted(path) + ": " + errno_text(err));
  }
  Sha256 hasher;
  std::vector<char> buffer(kFileChunk);
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      return Error(Code::Internal, "cannot read " + quoted(path) + ": " + errno_text(err));
    }
    if (n == 0) break;
    hasher.update(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  return hasher.hex_digest();
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(kDigestSize, '\0');
  hmac_into(bytes_of(key), key.size(), data, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) { return hex_encode(hmac_sha256(key, data)); }

HmacSha256Key::HmacSha256Key(std::string_view key) : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
  if (inner_ == nullptr || outer_ == nullptr) {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    throw_openssl("EVP_MD_CTX_new");
  }
  constexpr size_t kBlock = 64;
  std::string k(key);
  if (k.size() > kBlock) {
    Sha256 h;
    h.update(k);
    k = hex_decode(h.hex_digest()).value();
  }
  k.resize(kBlock, '\0');
  std::string ipad(kBlock, '\0'), opad(kBlock, '\0');
  for (size_t i = 0; i < kBlock; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  OPENSSL_cleanse(k.data(), k.size());
  if (EVP_DigestInit_ex(inner_, EVP_sha256(), nullptr) != 1 || EVP_DigestUpdate(inner_, ipad.data(), kBlock) != 1 ||
      EVP_DigestInit_ex(outer_, EVP_sha256(), nullptr) != 1 || EVP_DigestUpdate(outer_, opad.data(), kBlock) != 1) {
    throw_openssl("HMAC key setup");
  }
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
}

HmacSha256Key::~HmacSha256Key() {
  EVP_MD_CTX_free(inner_);
  EVP_MD_CTX_free(outer_);
}

std::string HmacSha256Key::hex(std::initializer_list<std::string_view> parts) const {
  // One working context per thread, reused: copying a state into it costs no allocation of the
  // context itself.
  thread_local std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> work(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!work) throw_openssl("EVP_MD_CTX_new");
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_MD_CTX_copy_ex(work.get(), inner_) != 1) throw_openssl("EVP_MD_CTX_copy_ex");
  for (std::string_view p : parts) {
    if (EVP_DigestUpdate(work.get(), p.data(), p.size()) != 1) throw_openssl("EVP_DigestUpdate");
  }
  if (EVP_DigestFinal_ex(work.get(), inner, &len) != 1) throw_openssl("EVP_DigestFinal_ex");
  unsigned char mac[EVP_MAX_MD_SIZE];
  if (EVP_MD_CTX_copy_ex(work.get(), outer_) != 1 || EVP_DigestUpdate(work.get(), inner, len) != 1 ||
      EVP_DigestFinal_ex(work.get(), mac, &len) != 1) {
    throw_openssl("HMAC outer hash");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// ---- Encodings ----------------------------------------------------------------------------

std::string base62_encode(std::string_view bytes) {
  size_t zeros = 0;
  while (zeros < bytes.size() && bytes[zeros] == '\0') ++zeros;

  // Repeated long division of the big-endian number by 62; digits come out least significant first.
  std::vector<unsigned char> number(bytes.begin() + static_cast<std::ptrdiff_t>(zeros), bytes.end());
  std::string digits;
  digits.reserve(number.size() * 138 / 100 + 1);  // log(256)/log(62) ≈ 1.344
  size_t start = 0;
  while (start < number.size()) {
    unsigned remainder = 0;
    for (size_t i = start; i < number.size(); ++i) {
      const unsigned value = remainder * 256 + number[i];
      number[i] = static_cast<unsigned char>(value / 62);
      remainder = value % 62;
    }
    digits.push_back(kBase62Digits[remainder]);
    while (start < number.size() && number[start] == 0) ++start;
  }
  OPENSSL_cleanse(number.data(), number.size());
  std::string out(zeros, '0');
  out.append(digits.rbegin(), digits.rend());
  OPENSSL_cleanse(digits.data(), digits.size());
  return out;
}

std::optional<std::string> base62_decode(std::string_view text) {
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '0') ++zeros;

  // Multiply-and-add into a little-endian byte accumulator.
  std::vector<unsigned char> number;
  number.reserve(text.size());
  for (size_t i = zeros; i < text.size(); ++i) {
    const int digit = base62_value(text[i]);
    if (digit < 0) return std::nullopt;
    unsigned carry = static_cast<unsigned>(digit);
    for (unsigned char& byte : number) {
      const unsigned value = byte * 62u + carry;
      byte = static_cast<unsigned char>(value & 0xff);
      carry = value >> 8;
    }
    while (carry != 0) {
      number.push_back(static_cast<unsigned char>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string out(zeros, '\0');
  out.append(number.rbegin(), number.rend());
  OPENSSL_cleanse(number.data(), number.size());
  return out;
}

std::string hex_encode(std::string_view bytes) {
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kHexDigits[c >> 4]);
    out.push_back(kHexDigits[c & 0xf]);
  }
  return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = hex_value(text[i]);
    const int lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4, '\0');
  char* o = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    *o++ = kBase64Digits[(v >> 18) & 63];
    *o++ = kBase64Digits[(v >> 12) & 63];
    *o++ = kBase64Digits[(v >> 6) & 63];
    *o++ = kBase64Digits[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = in[i] << 16;
    if (rest == 2) v |= in[i + 1] << 8;
    *o++ = kBase64Digits[(v >> 18) & 63];
    *o++ = kBase64Digits[(v >> 12) & 63];
    *o++ = rest == 2 ? kBase64Digits[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  // Every group but the last has four digits; the last may end in "=" or "==".
  const size_t full = text.size() - 4;
  std::string out(text.size() / 4 * 3, '\0');
  char* o = out.data();
  for (size_t i = 0; i < full; i += 4) {
    const int a = base64_value(text[i]), b = base64_value(text[i + 1]);
    const int c = base64_value(text[i + 2]), d = base64_value(text[i + 3]);
    if ((a | b | c | d) < 0) return std::nullopt;
    const uint32_t v = (static_cast<uint32_t>(a) << 18) | (b << 12) | (c << 6) | d;
    *o++ = static_cast<char>(v >> 16);
    *o++ = static_cast<char>((v >> 8) & 0xff);
    *o++ = static_cast<char>(v & 0xff);
  }
  const int a = base64_value(text[full]);
  const int b = base64_value(text[full + 1]);
  if (a < 0 || b < 0) return std::nullopt;
  const char c3 = text[full + 2];
  const char c4 = text[full + 3];
  if (c3 == '=') {
    if (c4 != '=' || (b & 0x0f) != 0) return std::nullopt;  // "xx==": one byte, 4 unused bits
    *o++ = static_cast<char>((a << 2) | (b >> 4));
  } else if (c4 == '=') {
    const int c = base64_value(c3);
    if (c < 0 || (c & 0x03) != 0) return std::nullopt;  // "xxx=": two bytes, 2 unused bits
    *o++ = static_cast<char>((a << 2) | (b >> 4));
    *o++ = static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
  } else {
    const int c = base64_value(c3);
    const int d = base64_value(c4);
    if (c < 0 || d < 0) return std::nullopt;
    *o++ = static_cast<char>((a << 2) | (b >> 4));
    *o++ = static_cast<char>(((b & 0x0f) << 4) | (c >> 2));
    *o++ = static_cast<char>(((c & 0x03) << 6) | d);
  }
  out.resize(static_cast<size_t>(o - out.data()));
  return out;
}

// ---- Secrets at rest ----------------------------------------------------------------------

SecretBox::SecretBox(std::string master_key) {
  if (master_key.size() != kKeySize) {
    OPENSSL_cleanse(master_key.data(), master_key.size());
    throw std::invalid_argument("SecretBox needs a 32-byte master key");
  }
  try {
    hkdf_sha256(master_key, kEncInfo, enc_key_.data(), enc_key_.size());
    hkdf_sha256(master_key, kMacInfo, mac_key_.data(), mac_key_.size());
  } catch (...) {
    OPENSSL_cleanse(master_key.data(), master_key.size());
    OPENSSL_cleanse(enc_key_.data(), enc_key_.size());
    OPENSSL_cleanse(mac_key_.data(), mac_key_.size());
    throw;
  }
  OPENSSL_cleanse(master_key.data(), master_key.size());
}

SecretBox::~SecretBox() {
  OPENSSL_cleanse(enc_key_.data(), enc_key_.size());
  OPENSSL_cleanse(mac_key_.data(), mac_key_.size());
}

std::string SecretBox::seal(std::string_view plaintext) const {
  const size_t padded = (plaintext.size() / kBlockSize + 1) * kBlockSize;  // PKCS#7 always pads
  std::string out(1 + kIvSize + padded + kTagSize, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kSealVersion;
  random_bytes(p + 1, kIvSize);

  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_openssl("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, enc_key_.data(), p + 1) != 1) {
    throw_openssl("EVP_EncryptInit_ex");
  }
  unsigned char* ct = p + 1 + kIvSize;
  size_t written = 0;
  for (size_t offset = 0; offset < plaintext.size();) {
    const size_t chunk = std::min<size_t>(plaintext.size() - offset, INT_MAX / 2);
    int n = 0;
    if (EVP_EncryptUpdate(ctx.get(), ct + written, &n, bytes_of(plaintext) + offset, static_cast<int>(chunk)) != 1) {
      throw_openssl("EVP_EncryptUpdate");
    }
    written += static_cast<size_t>(n);
    offset += chunk;
  }
  int n = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), ct + written, &n) != 1) throw_openssl("EVP_EncryptFinal_ex");
  written += static_cast<size_t>(n);
  if (written != padded) throw_openssl("unexpected AES-CBC output length");

  const std::string_view authenticated(out.data(), 1 + kIvSize + padded);
  hmac_into(mac_key_.data(), mac_key_.size(), authenticated, ct + padded);
  return out;
}

Result<std::string> SecretBox::open(std::string_view sealed) const {
  const Error failed(Code::Internal, std::string(kOpenFailed));
  if (sealed.size() < 1 + kIvSize + kBlockSize + kTagSize) return failed;
  const size_t ct_size = sealed.size() - 1 - kIvSize - kTagSize;
  if (ct_size % kBlockSize != 0) return failed;

  const std::string_view authenticated = sealed.substr(0, sealed.size() - kTagSize);
  const std::string_view tag = sealed.substr(sealed.size() - kTagSize);
  unsigned char expected[kDigestSize];
  hmac_into(mac_key_.data(), mac_key_.size(), authenticated, expected);
  const bool tag_ok = CRYPTO_memcmp(expected, tag.data(), kTagSize) == 0;
  OPENSSL_cleanse(expected, sizeof expected);
  // The version byte is covered by the tag; check it only once the tag has vouched for it.
  if (!tag_ok || static_cast<unsigned char>(sealed[0]) != kSealVersion) return failed;

  const unsigned char* iv = bytes_of(sealed) + 1;
  const unsigned char* ct = iv + kIvSize;
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw_openssl("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, enc_key_.data(), iv) != 1) {
    throw_openssl("EVP_DecryptInit_ex");
  }
  std::string plain(ct_size + kBlockSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  size_t written = 0;
  for (size_t offset = 0; offset < ct_size;) {
    const size_t chunk = std::min<size_t>(ct_size - offset, INT_MAX / 2 / kBlockSize * kBlockSize);
    int n = 0;
    if (EVP_DecryptUpdate(ctx.get(), out + written, &n, ct + offset, static_cast<int>(chunk)) != 1) {
      OPENSSL_cleanse(plain.data(), plain.size());
      return failed;
    }
    written += static_cast<size_t>(n);
    offset += chunk;
  }
  int n = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + written, &n) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return failed;
  }
  written += static_cast<size_t>(n);
  OPENSSL_cleanse(plain.data() + written, plain.size() - written);
  plain.resize(written);
  return plain;
}

// ---- Passwords ----------------------------------------------------------------------------

Result<std::string> hash_password(std::string_view password, const PasswordParams& params) {
  if (password.size() > kMaxPasswordBytes) {
    return Error(Code::InvalidInput, "password is too long (at most " + std::to_string(kMaxPasswordBytes) + " bytes)",
                 "password");
  }
  unsigned char salt[kSaltSize];
  random_bytes(salt, sizeof salt);
  const size_t encoded_len = argon2_encodedlen(params.t_cost, params.m_cost_kib, params.parallelism, kSaltSize,
                                               kPasswordHashSize, Argon2_id);
  std::string encoded(encoded_len, '\0');
  const int rc = argon2id_hash_encoded(params.t_cost, params.m_cost_kib, params.parallelism, password.data(),
                                       password.size(), salt, sizeof salt, kPasswordHashSize, encoded.data(),
                                       encoded.size());
  if (rc != ARGON2_OK) {
    return Error(Code::Internal, std::string("password hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(std::strlen(encoded.c_str()));
  return encoded;
}

bool verify_password(std::string_view password, std::string_view encoded) noexcept {
  constexpr std::string_view kPrefix = "$argon2id$";
  if (password.size() > kMaxPasswordBytes) return false;
  if (encoded.size() > 1024 || encoded.substr(0, kPrefix.size()) != kPrefix) return false;
  if (encoded.find('\0') != std::string_view::npos) return false;
  try {
    const std::string terminated(encoded);  // argon2 wants a C string
    return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
  } catch (...) {
    return false;
  }
}

// ---- Master key and API keys --------------------------------------------------------------

Result<std::string> load_or_create_master_key(std::string_view configured, const std::filesystem::path& data_dir) {
  const std::string_view value = trim(configured);
  if (!configured.empty()) {
    if (std::optional<std::string> key = decode_configured_key(value)) return std::move(*key);
    return Error(Code::InvalidInput,
                 "DOCENT_MASTER_KEY (security.master_key) must be 64 hex characters or standard base64 of "
                 "exactly 32 bytes; make one with: openssl rand -hex 32",
                 "security.master_key");
  }

  const fs::path path = data_dir / kMasterKeyFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return read_master_key_file(path);
  if (errno != ENOENT) {
    const int err = errno;
    return Error(Code::Internal, "cannot stat master key file " + quoted(path) + ": " + errno_text(err));
  }
  return create_master_key_file(data_dir, path);
}

std::string new_api_key() {
  unsigned char bytes[32];
  random_bytes(bytes, sizeof bytes);
  std::string key = "dk_" + base62_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  OPENSSL_cleanse(bytes, sizeof bytes);
  return key;
}

}  // namespace docent::core::crypto
