#include "api/nexus/errors.h"

#include "core/time.h"

#include <boost/json.hpp>

namespace docent::api::nexus {

std::string_view nexus_code(core::Code code) {
  switch (code) {
    case core::Code::MissingField: return "MISSING_FIELD";
    case core::Code::PayloadTooLarge: return "FILE_TOO_LARGE";
    case core::Code::InvalidFormat:
    case core::Code::UnsupportedMediaType: return "INVALID_FORMAT";
    case core::Code::RateLimited:
    case core::Code::QuotaExceeded: return "RATE_LIMIT_EXCEEDED";
    case core::Code::ProcessingError:
    case core::Code::Internal:
    case core::Code::UpstreamError:
    case core::Code::Timeout: return "PROCESSING_ERROR";
    case core::Code::ServiceUnavailable: return "SERVICE_UNAVAILABLE";
    case core::Code::InvalidInput:
    case core::Code::InvalidJson:
    case core::Code::BadRequest:
    case core::Code::HeadersTooLarge: return "INVALID_INPUT";
    default: return core::code_name(code);
  }
}

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object details = error.details;
  if (!error.field.empty()) details["field"] = error.field;
  boost::json::object body{
      {"success", false},
      {"error", error.message},
      {"error_code", nexus_code(error.code)},
  };
  if (!details.empty()) body["details"] = std::move(details);
  body["timestamp"] = core::rfc3339_now();
  return http::Response::json(error.status(), body);
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::nexus
