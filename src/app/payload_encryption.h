#pragma once
// The payload-encryption middleware (docs/ENCRYPTION.md): decrypts an encrypted JSON body, and
// the encrypted file parts of a multipart upload, before the handler sees the request, so every
// handler works unchanged; and encrypts the handler's response (each event of an event stream)
// when the client asks with Accept-Encryption: v1.
//
// It runs after authentication (the keys come from the API key the client presented, which
// authentication has just verified against its stored digest; the server never stores the key)
// and after rate limits (a refused request costs no decryption). Only API-key callers may use
// it: a device id or a public route has no key, and asking is a 400 that says so.
//
// Every envelope that fails (MAC, timestamp, base64, padding, version, truncation, a replay)
// is refused with one 400 in the route face's error envelope, always the same message. Its own
// refusals are sent in clear (a client with the wrong key could not read them otherwise).
// Plaintext and keys are never logged.

#include "http/middleware.h"
#include "services/rate_limiter.h"

#include <chrono>
#include <cstdint>
#include <functional>

namespace docent::app {

struct PayloadEncryptionOptions {
  // An envelope's ts may be this far from the clock, either side (security.encryption_window).
  std::chrono::seconds window{300};
  // Unix seconds; empty: the system clock.
  std::function<int64_t()> clock;
};

// Exact replays are refused through `replay`: each accepted envelope's MAC is charged once, as a
// counter of rate 1 per two windows, so a second sight within the window is refused. With the
// database counters (limits.store = database) this holds across every process on the database;
// with the in-memory ones, within this process. When the counters fail the envelope is admitted
// (the timestamp window still bounds a replay) and a warning logged. `replay` must outlive the
// middleware.
http::Middleware payload_encryption(services::RateCounters& replay, PayloadEncryptionOptions options,
                                    http::ErrorRenderer fallback);

// True when the request carries an envelope or asks for an encrypted response: the middleware
// above has work to do for it.
bool asks_for_encryption(const http::Request& req);

}  // namespace docent::app
