// chatpdf (seeds/chatpdf.txt) wraps every answer as {"data": ..., "success": true}; its document
// shows no error body, so errors keep that envelope: {"data": null, "success": false,
// "message": "...", "code": "NOT_FOUND"}.
#include "api/chatpdf/errors.h"

#include <boost/json.hpp>

namespace docent::api::chatpdf {

http::Response render_error(const http::Request&, const core::Error& error) {
  boost::json::object body{
      {"data", nullptr},
      {"success", false},
      {"message", error.message},
      {"code", core::code_name(error.code)},
  };
  if (!error.field.empty()) body["field"] = error.field;
  // A quota refusal carries the same facts on every face: metric, limit, used, period, resets_at, plan.
  if (error.code == core::Code::QuotaExceeded && !error.details.empty()) body["details"] = error.details;
  return http::Response::json(error.status(), body);
}

const http::ErrorRenderer& error_renderer() {
  static const http::ErrorRenderer renderer = render_error;
  return renderer;
}

}  // namespace docent::api::chatpdf
