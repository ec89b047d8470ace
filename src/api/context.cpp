#include "api/context.h"

#include "core/json.h"

#include <charconv>
#include <stdexcept>

namespace docent::api {

const services::Principal& principal(const http::Request& req) {
  const auto* p = std::any_cast<services::Principal>(&req.principal);
  if (!p) throw std::logic_error("route " + (req.route ? req.route->pattern : req.path) + " has no principal");
  return *p;
}

core::Result<boost::json::value> json_body(const http::Request& req, const core::Config& config) {
  return core::parse_json(req.body, config.server.json_max_depth);
}

core::Result<int64_t> int_query(const http::Request& req, std::string_view name, int64_t fallback, int64_t min,
                                int64_t max) {
  auto text = req.query_param(name);
  if (!text || text->empty()) return fallback;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size() || v < min || v > max) {
    return core::Error(core::Code::InvalidInput,
                       std::string(name) + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max),
                       std::string(name));
  }
  return v;
}

}  // namespace docent::api
