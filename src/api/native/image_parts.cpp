#include "api/native/image_parts.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace docent::api::native {

namespace json = boost::json;

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool host_allowed(const std::string& host, const std::string& list) {
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string item = lower(list.substr(start, end - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty() && item == host) return true;
    start = end + 1;
  }
  return false;
}

core::Error bad(const std::string& at, std::string message) {
  return core::Error(core::Code::InvalidInput, at + " " + std::move(message), at);
}

}  // namespace

std::string url_host(std::string_view url) {
  const std::string l = lower(url.substr(0, 8));
  size_t skip = l.starts_with("https://") ? 8 : l.starts_with("http://") ? 7 : 0;
  if (skip == 0) return {};
  std::string_view rest = url.substr(skip);
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (authority.find('@') != std::string_view::npos) return {};
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string() : lower(authority.substr(0, close + 1));
  }
  return lower(authority.substr(0, authority.find(':')));
}

std::optional<std::string> image_url_problem(std::string_view u, const core::Config& config) {
  if (lower(u.substr(0, 5)) == "data:") {
    const size_t comma = u.find(',');
    const std::string head = lower(u.substr(0, comma == std::string_view::npos ? u.size() : comma));
    if (comma == std::string_view::npos || !head.starts_with("data:image/") || !head.ends_with(";base64")) {
      return "must be a data:image/...;base64, URL";
    }
    return std::nullopt;
  }
  const std::string host = url_host(u);
  if (host.empty()) return "must be a data: URL or an http(s) URL";
  if (!host_allowed(host, config.vision.image_hosts)) {
    return "names host " + host +
           ", which is not in vision.image_hosts (send the image as a data: URL, or ask the operator to list the "
           "host)";
  }
  return std::nullopt;
}

core::Result<bool> check_image_parts(const json::object& body, const core::Config& config) {
  const auto* messages = body.if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return false;
  bool any = false;
  for (size_t i = 0; i < messages->as_array().size(); ++i) {
    const auto& m = messages->as_array()[i];
    const auto* content = m.is_object() ? m.as_object().if_contains("content") : nullptr;
    if (content == nullptr || !content->is_array()) continue;
    for (size_t j = 0; j < content->as_array().size(); ++j) {
      const auto& part = content->as_array()[j];
      if (!part.is_object()) continue;
      const auto* type = part.as_object().if_contains("type");
      if (type == nullptr || !type->is_string() || type->as_string() != "image_url") continue;
      const std::string at = "messages[" + std::to_string(i) + "].content[" + std::to_string(j) + "].image_url";
      const auto* image = part.as_object().if_contains("image_url");
      const json::value* url = nullptr;
      if (image && image->is_object()) url = image->as_object().if_contains("url");
      if (url == nullptr || !url->is_string()) return bad(at + ".url", "must be a string");
      any = true;
      if (auto why = image_url_problem(url->as_string(), config)) return bad(at + ".url", std::move(*why));
    }
  }
  return any;
}

}  // namespace docent::api::native
