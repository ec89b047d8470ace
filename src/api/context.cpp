#include "api/context.h"

#include "core/json.h"
#include "core/log.h"
#include "http/download.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace docent::api {

const services::Principal& principal(const http::Request& req) {
  const auto* p = std::any_cast<services::Principal>(&req.principal);
  if (!p) throw std::logic_error("route " + (req.route ? req.route->pattern : req.path) + " has no principal");
  return *p;
}

services::RequestOrigin origin(const http::Request& req) {
  return services::RequestOrigin{req.remote_address, req.request_id};
}

core::Result<boost::json::value> json_body(const http::Request& req, const core::Config& config) {
  return core::parse_json(req.body, config.server.json_max_depth);
}

core::Result<services::Answer> ask_preferring_model(const Context& ctx, const services::Principal& p,
                                                    services::AskInput in,
                                                    const std::function<bool(std::string_view)>& on_delta,
                                                    const engines::CancelCheck& cancel) {
  auto answer = ctx.chat->ask(p, in, on_delta, cancel);
  if (!answer && answer.error().code == core::Code::NotFound && answer.error().field == "model" && !in.model.empty()) {
    in.model.clear();
    answer = ctx.chat->ask(p, in, on_delta, cancel);
  }
  return answer;
}

void record_question(const Context& ctx, const services::Principal& p) {
  record_usage(ctx, p, services::Metric::Question);
}

void record_usage(const Context& ctx, const services::Principal& p, services::Metric metric) {
  if (auto st = ctx.quota->record(p.account_id, metric); !st) {
    core::log::warn("usage not recorded", {{"metric", services::metric_name(metric)}, {"error", st.error().message}});
  }
}

core::Result<int64_t> int_query(const http::Request& req, std::string_view name, int64_t fallback, int64_t min,
                                int64_t max) {
  auto text = req.query_param(name);
  if (!text || text->empty()) return fallback;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || ptr != text->data() + text->size() || v < min || v > max) {
    return core::Error(core::Code::InvalidInput,
                       std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                           std::to_string(max),
                       std::string(name));
  }
  return v;
}

core::Result<std::vector<std::string>> string_list_field(std::string_view text, std::string_view field) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (!ec && v.is_array()) {
    for (const auto& item : v.as_array()) {
      if (!item.is_string()) {
        return core::Error(core::Code::InvalidInput, std::string(field) + " must be a list of strings",
                           std::string(field));
      }
      out.emplace_back(item.as_string());
    }
    return out;
  }
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view item = text.substr(i, j - i);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    i = j + 1;
  }
  return out;
}

core::Status check_upload_size(const core::Config& config, uint64_t size, std::string_view field) {
  const uint64_t limit = config.server.max_upload_bytes;
  if (limit == 0 || size <= limit) return {};
  core::Error e(core::Code::PayloadTooLarge,
                "the file is " + std::to_string(size) + " bytes; uploads are limited to " + std::to_string(limit) +
                    " bytes",
                std::string(field));
  e.details["limit"] = limit;
  return e;
}

http::Response download(const std::filesystem::path& path, const std::string& mime, const std::string& filename) {
  return http::attachment(path, mime, filename);
}

}  // namespace docent::api
