// Sherpa AI Server (seeds/sherpa-ai-server.txt) shows errors as {"error": "message"}; docent adds
// the stable code beside it: {"error": "...", "code": "NOT_FOUND"}.
#include "api/sherpa/errors.h"

#include <boost/json.hpp>

namespace docent::api::sherpa {

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object body{{"error", error.message}, {"code", core::code_name(error.code)}};
  if (!error.field.empty()) body["field"] = error.field;
  // A quota refusal carries the same facts on every face: metric, limit, used, period, resets_at, plan.
  if (error.code == core::Code::QuotaExceeded && !error.details.empty()) body["details"] = error.details;
  return http::Response::json(error.status(), body);
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::sherpa
