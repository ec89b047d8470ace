#include "api/nexus/errors.h"

#include "core/time.h"

#include <boost/json.hpp>

#include <cstdio>

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

namespace {

// "20MB", "25.3MB": the seed's way of writing sizes (MiB).
std::string megabytes(double bytes) {
  char buf[32];
  const double mb = bytes / (1024.0 * 1024.0);
  if (mb == static_cast<double>(static_cast<int64_t>(mb))) {
    std::snprintf(buf, sizeof buf, "%lldMB", static_cast<long long>(mb));
  } else {
    std::snprintf(buf, sizeof buf, "%.1fMB", mb);
  }
  return buf;
}

double number(const boost::json::value& v) { return v.is_number() ? v.to_number<double>() : 0.0; }

}  // namespace

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object details = error.details;
  std::string message = error.message;
  // The seed's FILE_TOO_LARGE: {"error": "File size exceeds 20MB limit", "details": {"max_size",
  // "received_size"}}; the received size is known when the client declared it.
  if (error.code == core::Code::PayloadTooLarge && details.contains("limit")) {
    // An upload's body limit includes room for the form's other parts; the file's limit is the one to name.
    const double limit = number(details.contains("max_file_bytes") ? details.at("max_file_bytes")
                                                                   : details.at("limit"));
    boost::json::object seed{{"max_size", megabytes(limit)}};
    if (const auto* got = details.if_contains("received")) {
      seed["received_size"] = megabytes(number(*got));
    } else {
      seed["received_size"] = "more than " + megabytes(limit);
    }
    details = std::move(seed);
    message = "File size exceeds " + megabytes(limit) + " limit";
  }
  if (!error.field.empty()) details["field"] = error.field;
  boost::json::object body{
      {"success", false},
      {"error", message},
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
