#include "engines/outbound_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/url/parse.hpp>

#include <cstdint>
#include <cstring>
#include <string>

namespace docent::engines {

namespace {

bool private_v4(uint32_t a) {  // host byte order
  auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  return in(0x00000000, 8) || in(0x0A000000, 8) || in(0x64400000, 10) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
         in(0xAC100000, 12) || in(0xC0000000, 24) || in(0xC0A80000, 16) || in(0xC6120000, 15) || in(0xE0000000, 4) ||
         in(0xF0000000, 4);  // 240/4 includes broadcast
}

bool private_v6(const unsigned char* b) {
  static const unsigned char zero[16] = {};
  if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, mapped, 12) == 0) {
    return private_v4((uint32_t(b[12]) << 24) | (uint32_t(b[13]) << 16) | (uint32_t(b[14]) << 8) | b[15]);
  }
  if ((b[0] & 0xfe) == 0xfc) return true;                  // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;  // fe80::/10 link local
  if (b[0] == 0xff) return true;                           // multicast
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_private_address(const sockaddr* address) {
  if (!address) return true;
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    return private_v4(ntohl(v4->sin_addr.s_addr));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    return private_v6(v6->sin6_addr.s6_addr);
  }
  return true;  // unix sockets and anything else are never "public"
}

bool is_private_ip_literal(std::string_view text) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (auto pct = s.find('%'); pct != std::string::npos) s.resize(pct);  // zone id
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return private_v4(ntohl(v4.s_addr));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) return private_v6(v6.s6_addr);
  return false;
}

core::Status check_outbound_url(std::string_view url, bool allow_private, std::string_view setting) {
  auto bad = [&](std::string why) {
    return core::Error(core::Code::InvalidInput, std::string(setting) + " " + why, std::string(setting));
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad("is not an absolute URL");
  const std::string scheme = lower(parsed->scheme());
  if (scheme != "http" && scheme != "https") return bad("must be an http:// or https:// URL");
  const std::string host = lower(parsed->encoded_host_address());
  if (host.empty()) return bad("has no host");
  if (allow_private) return {};
  const bool local_name = host == "localhost" || (host.size() > 10 && host.ends_with(".localhost"));
  if (local_name || is_private_ip_literal(host)) {
    return bad("points at a private or loopback address (" + host +
               "); set llm.allow_private=true to allow private upstreams");
  }
  return {};
}

}  // namespace docent::engines
