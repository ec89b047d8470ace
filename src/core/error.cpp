#include "core/error.h"

namespace docent::core {

int http_status(Code code) {
  switch (code) {
    case Code::InvalidInput:
    case Code::MissingField:
    case Code::InvalidJson:
    case Code::InvalidFormat:
    case Code::BadRequest: return 400;
    case Code::Unauthenticated: return 401;
    case Code::PermissionDenied: return 403;
    case Code::NotFound: return 404;
    case Code::MethodNotAllowed: return 405;
    case Code::Conflict:
    case Code::NotReady: return 409;
    case Code::PayloadTooLarge: return 413;
    case Code::UnsupportedMediaType: return 415;
    case Code::HeadersTooLarge: return 431;
    case Code::RateLimited:
    case Code::QuotaExceeded: return 429;
    case Code::Internal:
    case Code::ProcessingError: return 500;
    case Code::UpstreamError: return 502;
    case Code::ServiceUnavailable: return 503;
    case Code::Timeout: return 504;
  }
  return 500;
}

std::string_view code_name(Code code) {
  switch (code) {
    case Code::InvalidInput: return "INVALID_INPUT";
    case Code::MissingField: return "MISSING_FIELD";
    case Code::InvalidJson: return "INVALID_JSON";
    case Code::InvalidFormat: return "INVALID_FORMAT";
    case Code::BadRequest: return "BAD_REQUEST";
    case Code::Unauthenticated: return "UNAUTHENTICATED";
    case Code::PermissionDenied: return "PERMISSION_DENIED";
    case Code::NotFound: return "NOT_FOUND";
    case Code::MethodNotAllowed: return "METHOD_NOT_ALLOWED";
    case Code::Conflict: return "CONFLICT";
    case Code::NotReady: return "NOT_READY";
    case Code::PayloadTooLarge: return "PAYLOAD_TOO_LARGE";
    case Code::UnsupportedMediaType: return "UNSUPPORTED_MEDIA_TYPE";
    case Code::HeadersTooLarge: return "HEADERS_TOO_LARGE";
    case Code::RateLimited: return "RATE_LIMIT_EXCEEDED";
    case Code::QuotaExceeded: return "QUOTA_EXCEEDED";
    case Code::Internal: return "INTERNAL";
    case Code::ProcessingError: return "PROCESSING_ERROR";
    case Code::UpstreamError: return "UPSTREAM_ERROR";
    case Code::ServiceUnavailable: return "SERVICE_UNAVAILABLE";
    case Code::Timeout: return "TIMEOUT";
  }
  return "INTERNAL";
}

}  // namespace docent::core
