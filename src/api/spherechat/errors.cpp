// SphereChat (seeds/spherechat.txt): {"success": false, "message": "Error description",
// "error": "Detailed error information"}. The description is the status's short text; the detail
// is docent's message.
#include "api/spherechat/errors.h"

#include <boost/json.hpp>

namespace docent::api::spherechat {

namespace {

std::string_view summary(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Request Failed";
  }
}

}  // namespace

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object body{
      {"success", false},
      {"message", summary(error.status())},
      {"error", error.message},
  };
  // A quota refusal carries the same facts on every face: metric, limit, used, period, resets_at, plan.
  if (error.code == core::Code::QuotaExceeded && !error.details.empty()) body["details"] = error.details;
  return http::Response::json(error.status(), body);
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::spherechat
