#include "api/native/plans.h"

#include "api/native/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::object plan_json(const services::Plan& p, bool admin) {
  json::object o{{"object", "plan"}, {"name", p.name}, {"source", p.source}};
  for (auto& [k, v] : plan_limits_json(p.limits)) o[k] = v;
  if (admin) o["accounts"] = p.accounts;
  o["created_at"] = p.created_at;
  o["updated_at"] = p.updated_at;
  return o;
}

core::Result<services::PlanInput> read_plan_input(const Request& req, const Context& ctx) {
  auto body = json_body(req, *ctx.config);
  if (!body) return body.error();
  core::ObjectReader r(*body);
  services::PlanInput in;
  r.optional("name", in.name).optional("rank", in.rank).optional("fileSize", in.file_size);
  r.optional("fileTypes", in.file_types).optional("filePerDay", in.file_per_day);
  r.optional("filePerMonth", in.file_per_month).optional("pagePerMonth", in.page_per_month);
  r.optional("questionPerDay", in.question_per_day).optional("questionPerMonth", in.question_per_month);
  r.optional("fileCappacity", in.file_capacity).optional("extractionPerMonth", in.extraction_per_month);
  r.optional("mediaPerDay", in.media_per_day).optional("mediaPerMonth", in.media_per_month);
  r.optional("selfService", in.self_service);
  if (!r.ok()) return r.error();
  static const char* const kKnown[] = {
      "name",          "rank",           "fileSize",         "fileTypes",     "filePerDay",         "filePerMonth",
      "pagePerMonth",  "questionPerDay", "questionPerMonth", "fileCappacity", "extractionPerMonth", "mediaPerDay",
      "mediaPerMonth", "selfService"};
  for (const auto& [key, _] : body->as_object()) {
    if (std::find(std::begin(kKnown), std::end(kKnown), std::string_view(key)) == std::end(kKnown)) {
      return core::Error(core::Code::InvalidInput, "unknown plan field '" + std::string(key) + "'", std::string(key));
    }
  }
  return in;
}

json::value limit_or_null(int64_t limit) { return limit == 0 ? json::value(nullptr) : json::value(limit); }

json::object counter(int64_t used, int64_t limit) {
  return json::object{{"used", used},
                      {"limit", limit_or_null(limit)},
                      {"remaining",
                       limit == 0 ? json::value(nullptr) : json::value(std::max<int64_t>(0, limit - used))}};
}

}  // namespace

json::object plan_limits_json(const core::PlanConfig& p) {
  json::array types;
  for (const auto& t : p.file_types) types.emplace_back(t);
  return json::object{{"rank", p.rank},
                      {"selfService", p.self_service},
                      {"fileSize", p.file_size},
                      {"fileTypes", std::move(types)},
                      {"filePerDay", p.file_per_day},
                      {"filePerMonth", p.file_per_month},
                      {"pagePerMonth", p.page_per_month},
                      {"questionPerDay", p.question_per_day},
                      {"questionPerMonth", p.question_per_month},
                      {"fileCappacity", p.file_capacity},
                      {"extractionPerMonth", p.extraction_per_month},
                      {"mediaPerDay", p.media_per_day},
                      {"mediaPerMonth", p.media_per_month}};
}

json::object usage_json(std::string_view account_id, const services::QuotaView& v) {
  const auto& p = v.plan;
  const auto& u = v.used;
  using Q = services::QuotaService;
  return json::object{
      {"object", "usage"},
      {"account_id", account_id},
      {"plan", v.plan_name},
      {"plan_granted_by", v.plan_granted_by.empty() ? json::value(nullptr) : json::value(v.plan_granted_by)},
      {"limits", plan_limits_json(p)},
      {"today", json::object{{"period", Q::day_period().substr(4)},
                             {"resets_at", Q::next_day()},
                             {"files", counter(u.files_today, p.file_per_day)},
                             {"questions", counter(u.questions_today, p.question_per_day)},
                             {"media", counter(u.media_today, p.media_per_day)}}},
      {"month", json::object{{"period", Q::month_period().substr(6)},
                             {"resets_at", Q::next_month()},
                             {"files", counter(u.files_month, p.file_per_month)},
                             {"pages", counter(u.pages_month, p.page_per_month)},
                             {"questions", counter(u.questions_month, p.question_per_month)},
                             {"extractions", counter(u.extractions_month, p.extraction_per_month)},
                             {"media", counter(u.media_month, p.media_per_month)}}},
  };
}

void register_plan_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Get, "/v1/plans",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto plans = ctx.quota->list_plans(p);
    if (!plans) return error(req, plans.error());
    json::array data;
    for (const auto& plan : *plans) data.push_back(plan_json(plan, p.is_admin()));
    // Plans are an operator's short list: one page, always complete.
    return Response::json(200, json::object{{"object", "list"},
                                            {"data", std::move(data)},
                                            {"has_more", false},
                                            {"next_cursor", nullptr}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/plans",
      [ctx](Request& req) {
    auto in = read_plan_input(req, ctx);
    if (!in) return error(req, in.error());
    auto plan = ctx.quota->create_plan(principal(req), *in, origin(req));
    if (!plan) return error(req, plan.error());
    return Response::json(201, plan_json(*plan, true));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/plans/{plan}",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto plan = ctx.quota->get_plan(p, req.param("plan"));
    if (!plan) return error(req, plan.error());
    return Response::json(200, plan_json(*plan, p.is_admin()));
      },
      {}, errors);

  router.add(
      Method::Patch, "/v1/plans/{plan}",
      [ctx](Request& req) {
    auto in = read_plan_input(req, ctx);
    if (!in) return error(req, in.error());
    auto plan = ctx.quota->update_plan(principal(req), req.param("plan"), *in, origin(req));
    if (!plan) return error(req, plan.error());
    return Response::json(200, plan_json(*plan, true));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/plans/{plan}",
      [ctx](Request& req) {
    std::string name(req.param("plan"));
    if (auto st = ctx.quota->delete_plan(principal(req), name, origin(req)); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", name}, {"object", "plan.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/usage",
      [ctx](Request& req) {
    const auto& p = principal(req);
    std::string id(req.query_param("account_id").value_or(""));
    if (id.empty() || id == "me") id = p.account_id;
    auto view = ctx.quota->usage_of(p, id);
    if (!view) return error(req, view.error());
    return Response::json(200, usage_json(id, *view));
      },
      {}, errors);
}

}  // namespace docent::api::native
