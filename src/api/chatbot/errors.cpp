// Chatbot platform (seeds/chatbot-platform.txt):
// {"error": {"code": "INVALID_REQUEST", "message": "...", "details": {...}}} with its own codes:
// INVALID_API_KEY, RATE_LIMITED, INVALID_REQUEST, RESOURCE_NOT_FOUND, INSUFFICIENT_PERMISSIONS.
#include "api/chatbot/errors.h"

#include <boost/json.hpp>

namespace docent::api::chatbot {

std::string_view error_code(core::Code code) {
  switch (code) {
    case core::Code::Unauthenticated: return "INVALID_API_KEY";
    case core::Code::PermissionDenied: return "INSUFFICIENT_PERMISSIONS";
    case core::Code::NotFound: return "RESOURCE_NOT_FOUND";
    case core::Code::RateLimited:
    case core::Code::QuotaExceeded: return "RATE_LIMITED";
    case core::Code::InvalidInput:
    case core::Code::MissingField:
    case core::Code::InvalidJson:
    case core::Code::BadRequest:
    case core::Code::MethodNotAllowed: return "INVALID_REQUEST";
    default: return core::code_name(code);
  }
}

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object details = error.details;
  if (error.code == core::Code::MissingField && !error.field.empty()) {
    details["missing_fields"] = boost::json::array{boost::json::value(error.field)};
  } else if (!error.field.empty()) {
    details["field"] = error.field;
  }
  boost::json::object inner{{"code", error_code(error.code)}, {"message", error.message}};
  if (!details.empty()) inner["details"] = std::move(details);
  return http::Response::json(error.status(), boost::json::object{{"error", std::move(inner)}});
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::chatbot
