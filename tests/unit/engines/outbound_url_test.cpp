#include "engines/outbound_url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace docent::engines {
namespace {

TEST(OutboundUrl, PublicHttpAndHttpsUrlsAreAllowed) {
  EXPECT_TRUE(check_outbound_url("https://api.openai.com/v1", false, "llm.url").ok());
  EXPECT_TRUE(check_outbound_url("http://8.8.8.8:8000/v1", false, "llm.url").ok());
  EXPECT_TRUE(check_outbound_url("http://gpu-box.example:8000/v1", false, "llm.url").ok());
}

TEST(OutboundUrl, LoopbackAndPrivateHostsAreRefusedNamingTheSetting) {
  for (const char* url :
       {"http://127.0.0.1:8000/v1", "http://localhost/v1", "http://LOCALHOST:1/v1", "http://api.localhost/v1",
        "http://10.1.2.3/v1", "http://172.16.0.1/v1", "http://192.168.1.10/v1", "http://169.254.169.254/latest",
        "http://100.64.0.1/", "http://0.0.0.0:80/", "http://[::1]:8000/v1", "http://[fd00::1]/", "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/"}) {
    auto st = check_outbound_url(url, false, "llm.url");
    ASSERT_FALSE(st.ok()) << url;
    EXPECT_EQ(st.error().code, core::Code::InvalidInput) << url;
    EXPECT_EQ(st.error().field, "llm.url");
    EXPECT_NE(st.error().message.find("llm.allow_private"), std::string::npos) << st.error().message;
  }
}

TEST(OutboundUrl, AllowPrivateLetsLoopbackThrough) {
  EXPECT_TRUE(check_outbound_url("http://127.0.0.1:8000/v1", true, "llm.url").ok());
  EXPECT_TRUE(check_outbound_url("http://localhost:8000/v1", true, "llm.url").ok());
}

TEST(OutboundUrl, OtherSchemesAndMalformedUrlsAreRefusedEvenWhenPrivateIsAllowed) {
  for (const char* url : {"file:///etc/passwd", "ftp://example.com/", "gopher://x/", "not a url", "/v1/models", ""}) {
    EXPECT_FALSE(check_outbound_url(url, true, "llm.url").ok()) << url;
  }
}

TEST(OutboundUrl, ResolvedAddressesAreJudgedByTheSameRule) {
  auto v4 = [](const char* text) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, text, &a.sin_addr);
    return is_private_address(reinterpret_cast<const sockaddr*>(&a));
  };
  auto v6 = [](const char* text) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &a.sin6_addr);
    return is_private_address(reinterpret_cast<const sockaddr*>(&a));
  };
  EXPECT_TRUE(v4("127.0.0.1"));
  EXPECT_TRUE(v4("10.0.0.1"));
  EXPECT_TRUE(v4("172.31.255.255"));
  EXPECT_FALSE(v4("172.32.0.1"));
  EXPECT_TRUE(v4("192.168.0.1"));
  EXPECT_TRUE(v4("169.254.169.254"));
  EXPECT_TRUE(v4("255.255.255.255"));
  EXPECT_FALSE(v4("8.8.8.8"));
  EXPECT_FALSE(v4("1.1.1.1"));
  EXPECT_TRUE(v6("::1"));
  EXPECT_TRUE(v6("::"));
  EXPECT_TRUE(v6("fc00::1"));
  EXPECT_TRUE(v6("::ffff:10.0.0.1"));
  EXPECT_FALSE(v6("::ffff:8.8.8.8"));
  EXPECT_FALSE(v6("2606:4700:4700::1111"));
  EXPECT_TRUE(is_private_address(nullptr));
}

}  // namespace
}  // namespace docent::engines
