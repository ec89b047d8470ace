#include "api/native/errors.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace {

std::string_view error_type(int status) {
  switch (status) {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

}  // namespace

http::Response render_error(const http::Request&, const core::Error& error) {
  if (error.code == core::Code::RateLimited) {
    // OpenAI's own words for a request-rate refusal; the wait is in Retry-After.
    return http::Response::json(429, boost::json::object{{"error", boost::json::object{
                                                                       {"message", error.message},
                                                                       {"type", "requests"},
                                                                       {"param", nullptr},
                                                                       {"code", "rate_limit_exceeded"},
                                                                   }}});
  }
  boost::json::object inner{
      {"message", error.message},
      {"type", error_type(error.status())},
      {"param", error.field.empty() ? boost::json::value(nullptr) : boost::json::value(error.field)},
      {"code", core::code_name(error.code)},
  };
  if (!error.details.empty()) inner["details"] = error.details;
  return http::Response::json(error.status(), boost::json::object{{"error", std::move(inner)}});
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::native
