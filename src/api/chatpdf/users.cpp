#include "api/chatpdf/users.h"

#include "api/chatpdf/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::chatpdf {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

Response ok(json::value data) {
  return Response::json(200, json::object{{"data", std::move(data)}, {"success", true}});
}

json::array file_types(const core::PlanConfig& plan) {
  json::array out;
  for (const auto& t : plan.file_types) out.emplace_back(t);
  return out;
}

// The user object every one of these routes answers with, around a route-specific quota.
json::object user_json(const services::Account& a, const std::optional<services::Device>& device, json::object quota) {
  return json::object{
      {"quota", std::move(quota)},
      {"userType", a.user_type == "ANONYMOUS" ? "ANONYMOUS" : "REGISTERED"},
      {"deviceId", device ? device->device_id : ""},
      {"isSync", device ? device->is_sync : false},
      {"location", device ? device->location : ""},
      {"email", device ? device->email : a.email},
      {"_id", a.id},
      {"createdAt", a.created_at},
      {"updatedAt", a.updated_at},
      {"__v", a.version},
  };
}

json::value limit_or_null(int64_t remaining) { return remaining < 0 ? json::value(nullptr) : json::value(remaining); }

}  // namespace

void register_user_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/auth/register-device",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string device_id;
    r.required("deviceId", device_id);
    if (!r.ok()) return error(req, r.error());
    auto registered = ctx.devices->register_device(device_id, origin(req));
    if (!registered) return error(req, registered.error());
    auto view = ctx.quota->quota_of(registered->account.id);
    if (!view) return error(req, view.error());
    const auto& plan = view->plan;
    json::object quota{{"filePerDay", plan.file_per_day}, {"questionPerDay", plan.question_per_day}};
    return ok(user_json(registered->account, registered->device, std::move(quota)));
      },
      {.is_public = true}, errors);

  router.add(
      Method::Get, "/user/quota",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto view = ctx.quota->quota(p);
    if (!view) return error(req, view.error());
    auto account = ctx.accounts->get(p, p.account_id);
    if (!account) return error(req, account.error());
    auto device = ctx.devices->device_of(p.account_id);
    if (!device) return error(req, device.error());
    const auto& plan = view->plan;
    json::object quota{
        {"fileSize", plan.file_size},
        {"fileTypes", file_types(plan)},
        {"fileCappacity", plan.file_capacity},
        {"filePerMonth", plan.file_per_month},
        {"pagePerMonth", plan.page_per_month},
        {"questionPerMonth", plan.question_per_month},
        {"questionPerDay", plan.question_per_day},
        {"remainingPages", limit_or_null(view->remaining_pages())},
        {"remainingQuestions", limit_or_null(view->remaining_questions())},
    };
    return ok(user_json(*account, *device, std::move(quota)));
      },
      {}, errors);

  router.add(
      Method::Put, "/user/upgrade-plan",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string package;
    r.required("packageType", package);
    if (!r.ok()) return error(req, r.error());
    const auto& p = principal(req);
    auto account = ctx.quota->upgrade(p, package, origin(req));
    if (!account) return error(req, account.error());
    auto device = ctx.devices->device_of(p.account_id);
    if (!device) return error(req, device.error());
    auto view = ctx.quota->quota_of(account->id);
    if (!view) return error(req, view.error());
    const auto& plan = view->plan;
    json::object quota{
        {"fileSize", plan.file_size},
        {"filePerMonth", plan.file_per_month},
        {"questionPerMonth", plan.question_per_month},
        {"fileCappacity", plan.file_capacity},
        {"fileTypes", file_types(plan)},
    };
    return ok(user_json(*account, *device, std::move(quota)));
      },
      {}, errors);
}

}  // namespace docent::api::chatpdf
