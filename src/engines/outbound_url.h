#pragma once
// The outbound URL rule of DESIGN.md §4: docent calls upstream model servers (and later
// webhooks) only at public addresses unless the operator allows private ones, so that a
// configured or user-supplied URL cannot reach loopback services, the LAN or cloud metadata.
//
// Two checks, one rule: check_outbound_url() looks at the URL itself (scheme, and the host when it
// is an address literal or "localhost"); is_private_address() is applied again to every address a
// host name resolves to, just before connecting (the OpenAI client does this from curl's
// open-socket callback), so DNS cannot point a public name at a private address.

#include "core/error.h"

#include <sys/socket.h>

#include <string_view>

namespace docent::engines {

// Private means: unspecified, loopback, RFC 1918, carrier-grade NAT (100.64/10), link-local
// (169.254/16, fe80::/10), unique-local (fc00::/7), benchmarking (198.18/15), multicast, the
// reserved 240/4 and broadcast; IPv4-mapped IPv6 addresses are judged by their IPv4 part.
bool is_private_address(const sockaddr* address);
// The same for an address literal ("10.0.0.1", "::1", "[::1]"); false for anything else.
bool is_private_ip_literal(std::string_view text);

// OK when `url` is an absolute http(s) URL with a host that may be called. Errors: InvalidInput
// naming `setting` for a malformed URL, another scheme, or (unless allow_private) a private or
// loopback host literal or "localhost".
core::Status check_outbound_url(std::string_view url, bool allow_private, std::string_view setting);

}  // namespace docent::engines
