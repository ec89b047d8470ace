#pragma once
// image_url content parts in OpenAI chat messages (docs/MEDIA.md, "Images in chat"): a data URL
// (data:image/...;base64,...) is always allowed; an http(s) URL only when its host is listed in
// vision.image_hosts (the upstream fetches it, so the operator decides where it may reach).
// Requests with images go to vision.url, or to the upstream their model routes to; the built-in
// engine cannot see, so there they are a 400 naming vision.url. Never dropped.

#include "core/config.h"
#include "core/error.h"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace docent::api::native {

// Whether the request body's messages hold image_url parts, after checking each one's URL.
// InvalidInput naming the part (messages[i].content[j].image_url.url) for a malformed URL, a data
// URL that is not a base64 image, or an http(s) host not in vision.image_hosts.
core::Result<bool> check_image_parts(const boost::json::object& body, const core::Config& config);

// What is wrong with an image URL (to follow its field's name in an error), or nothing: allowed
// are a data:image/...;base64 URL and an http(s) URL whose host vision.image_hosts lists.
std::optional<std::string> image_url_problem(std::string_view url, const core::Config& config);

// The host of an http(s) URL, lowercased; empty when `url` is not one (or carries user info).
std::string url_host(std::string_view url);

}  // namespace docent::api::native
