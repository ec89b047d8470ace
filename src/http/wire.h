#pragma once
// From the bytes on the wire to a Request, without sockets: the request-target's path and query
// decoding shared by the server, and a whole-message parser for tests and the fuzzer.

#include "core/error.h"
#include "http/message.h"

#include <string_view>

namespace docent::http {

// Fills req.target, req.path (percent-decoded) and req.query (decoded, '+' as space) from an
// origin-form request-target ("/a/b?x=1"). Code::BadRequest when it is not one.
core::Status parse_target(std::string_view target, Request& req);

// Percent-decodes one path segment or query component. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space = false);

// The body framing of a request, checked as RFC 9112 §6.1 and §6.3 ask so that no two parsers can
// read one byte stream as different requests (request smuggling). Code::BadRequest, and the
// connection must then be closed, for: Transfer-Encoding together with Content-Length; any
// Transfer-Encoding other than one `chunked` (docent decodes no other coding, and a last coding
// that is not chunked leaves the body's end unknown); Transfer-Encoding on an HTTP/1.0 request;
// Content-Length given more than once (even with equal values) or not a plain decimal number.
// `version` is 10 for HTTP/1.0, 11 for HTTP/1.1.
core::Status check_request_framing(const Headers& headers, unsigned version);

struct WireLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;
};

// Parses one complete HTTP/1.1 request message from `raw`. Errors: Code::BadRequest (malformed,
// or framing that check_request_framing refuses),
// Code::HeadersTooLarge, Code::PayloadTooLarge, or Code::BadRequest for an incomplete message.
core::Result<Request> parse_request_bytes(std::string_view raw, const WireLimits& limits);

// Appends an HTTP/1.1 status line and header block for a response whose body is `body_size`
// bytes to `out`, ending with the blank line. The server owns the framing: any Content-Length,
// Transfer-Encoding or Connection header in `headers` is dropped and its own written instead
// (`Connection: close` when !keep_alive; no Content-Length for 1xx, 204 and 304). `Server: docent`
// is added unless the headers name a server, and `X-Content-Type-Options: nosniff` (a browser must
// take the Content-Type as given, never guess HTML from an upload's bytes) unless they set it.
// Line breaks and NULs in names or values become spaces, so a value can never start a header of
// its own. Beast's serializer does the same
// framing through a generic buffer-sequence machinery that costs about a third of a small
// request's CPU time; this is one pass over the headers into one buffer.
void write_response_head(std::string& out, int status, const Headers& headers, size_t body_size, bool keep_alive);

// True when a response with this status carries no body (1xx, 204, 304).
bool status_has_no_body(int status);

}  // namespace docent::http
