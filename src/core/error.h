#pragma once
// The error model: one enum of codes, each with its HTTP status. Expected failures travel as
// values (Error inside Result<T> / Status); exceptions are for boundaries only.
// Faces render an Error in their own documented shape; the core knows none of those shapes.

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace docent::core {

enum class Code {
  InvalidInput,          // 400: the request is well formed but a value is wrong
  MissingField,          // 400: a required field is absent
  InvalidJson,           // 400: the body is not JSON, or too deep
  InvalidFormat,         // 400: an uploaded file is not of a supported format
  BadRequest,            // 400: malformed HTTP (request line, headers, multipart framing)
  Unauthenticated,       // 401
  PermissionDenied,      // 403
  NotFound,              // 404
  MethodNotAllowed,      // 405
  Conflict,              // 409
  NotReady,              // 409: the resource exists but is still being processed
  PayloadTooLarge,       // 413
  UnsupportedMediaType,  // 415
  HeadersTooLarge,       // 431
  RateLimited,           // 429
  QuotaExceeded,         // 429
  Internal,              // 500
  ProcessingError,       // 500: a document or media parser failed on the user's input
  UpstreamError,         // 502: an upstream model server failed
  ServiceUnavailable,    // 503: a capability has no engine configured, or we are shutting down
  Timeout,               // 504
};

// The HTTP status for a code: the one place this mapping lives.
int http_status(Code code);

// The stable SCREAMING_SNAKE name of a code, e.g. "INVALID_INPUT".
std::string_view code_name(Code code);

struct Error {
  Code code = Code::Internal;
  std::string message;
  std::string field;            // the offending request field, when there is one
  boost::json::object details;  // extra, face-neutral facts (limits, sizes, retry_after)

  Error() = default;
  Error(Code c, std::string msg, std::string f = {}) : code(c), message(std::move(msg)), field(std::move(f)) {}

  int status() const { return http_status(code); }
};

// Result<T>: a value or an Error. Cheap to move; test with ok() / operator bool.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error, for operations with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status Ok() { return {}; }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace docent::core
