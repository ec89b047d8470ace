#include "api/native/audit.h"

#include "api/native/errors.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

json::value nullable(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object record_json(const services::AuditRecordView& r) {
  const auto& e = r.entry;
  json::object details;
  for (const auto& [k, v] : e.details) details[k] = v;
  return json::object{
      {"id", r.id},
      {"object", "audit.event"},
      {"created_at", r.created_at},
      {"action", e.action},
      {"actor", json::object{{"account_id", nullable(e.actor_account_id)},
                             {"key_id", nullable(e.actor_key_id)},
                             {"device", e.actor_device}}},
      {"target", json::object{{"type", e.target_type}, {"id", e.target_id}}},
      {"account_id", nullable(e.subject_account_id)},
      {"outcome", e.success ? "success" : "failure"},
      {"reason", e.reason.empty() ? json::value(nullptr) : json::value(e.reason)},
      {"client_address", e.origin.client_address},
      {"request_id", e.origin.request_id},
      {"details", std::move(details)},
  };
}

std::optional<std::string> text_query(const Request& req, std::string_view name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  return std::string(*v);
}

Response get_audit(const Context& ctx, Request& req) {
  services::AuditFilter f;
  auto limit = int_query(req, "limit", 50, 1, 100);
  if (!limit) return render_error(req, limit.error());
  f.limit = *limit;
  constexpr int64_t kMaxTime = 253402300799;  // 9999-12-31
  auto since = int_query(req, "since", -1, 0, kMaxTime);
  if (!since) return render_error(req, since.error());
  if (*since >= 0) f.since_unix = *since;
  auto until = int_query(req, "until", -1, 0, kMaxTime);
  if (!until) return render_error(req, until.error());
  if (*until >= 0) f.until_unix = *until;
  f.account_id = text_query(req, "account_id");
  f.action = text_query(req, "action");
  f.outcome = text_query(req, "outcome");
  f.after = text_query(req, "after").value_or("");
  auto page = ctx.audit->list(principal(req), f);
  if (!page) return render_error(req, page.error());
  json::array data;
  for (const auto& r : page->items) data.push_back(record_json(r));
  return Response::json(200, json::object{{"object", "list"},
                                          {"data", std::move(data)},
                                          {"has_more", page->has_more},
                                          {"next_cursor", page->next_cursor.empty() ? json::value(nullptr)
                                                                                    : json::value(page->next_cursor)}});
}

}  // namespace

void register_audit_routes(http::Router& router, const Context& ctx) {
  router.add(
      Method::Get, "/v1/audit", [ctx](Request& req) { return get_audit(ctx, req); }, {}, &error_renderer());
}

}  // namespace docent::api::native
