#pragma once
// Opaque identifiers: UUIDv7 (RFC 9562) text — time-ordered, so ids sort by creation — and
// random tokens for secrets.

#include <cstdint>
#include <string>

namespace docent::core {

// A new UUIDv7 in canonical lowercase text form, e.g. "0190b6e2-7c3a-7b1e-9f00-3c2a1d4e5f60".
// Monotonic within a process: ids made in the same millisecond still sort in creation order.
std::string new_id();

// The UUIDv7 for a given Unix time in milliseconds and 74 random bits (for tests).
std::string uuid_v7(uint64_t unix_ms, uint16_t rand_a, uint64_t rand_b);

// Fills `n` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes). Throws on failure,
// which only happens when the system has no entropy source at all.
void random_bytes(void* out, size_t n);

// `n` random bytes as lowercase hex (2n characters).
std::string random_hex(size_t n);

}  // namespace docent::core
