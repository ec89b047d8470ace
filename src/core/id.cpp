#include "core/id.h"

#include "core/thread_annotations.h"

#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

namespace docent::core {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void put_hex(std::string& out, uint64_t value, int nibbles) {
  for (int i = nibbles - 1; i >= 0; --i) out.push_back(kHex[(value >> (i * 4)) & 0xf]);
}

}  // namespace

void random_bytes(void* out, size_t n) {
  if (RAND_bytes(static_cast<unsigned char*>(out), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no entropy source");
  }
}

std::string random_hex(size_t n) {
  std::string bytes(n, '\0');
  random_bytes(bytes.data(), n);
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string uuid_v7(uint64_t unix_ms, uint16_t rand_a, uint64_t rand_b) {
  const uint64_t ms = unix_ms & 0xffffffffffffULL;
  const uint64_t ver_rand_a = 0x7000ULL | (rand_a & 0x0fffULL);
  const uint64_t var_rand_b = 0x8000000000000000ULL | (rand_b & 0x3fffffffffffffffULL);
  std::string s;
  s.reserve(36);
  put_hex(s, ms >> 16, 8);
  s.push_back('-');
  put_hex(s, ms & 0xffff, 4);
  s.push_back('-');
  put_hex(s, ver_rand_a, 4);
  s.push_back('-');
  put_hex(s, var_rand_b >> 48, 4);
  s.push_back('-');
  put_hex(s, var_rand_b & 0xffffffffffffULL, 12);
  return s;
}

std::string new_id() {
  // RFC 9562 §6.2 method 1: rand_a is a 12-bit counter seeded randomly each new millisecond,
  // so ids from one process are strictly increasing.
  static Mutex mu;
  static uint64_t last_ms = 0;
  static uint16_t counter = 0;

  const uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  // Ids need unpredictable bits, not a fresh system call each: draw CSPRNG output in blocks.
  thread_local uint64_t pool[64];
  thread_local size_t left = 0;
  if (left == 0) {
    random_bytes(pool, sizeof pool);
    left = 64;
  }
  uint64_t rand_b = pool[--left];
  uint64_t ms;
  uint16_t seq;
  {
    MutexLock lock(mu);
    if (now > last_ms) {
      last_ms = now;
      counter = static_cast<uint16_t>((rand_b >> 52) & 0x07ff);  // headroom so the counter rarely overflows
    } else if (++counter > 0x0fff) {
      ++last_ms;  // counter exhausted: borrow the next millisecond
      counter = 0;
    }
    ms = last_ms;
    seq = counter;
  }
  return uuid_v7(ms, seq, rand_b);
}

}  // namespace docent::core
