#include "api/sherpa/accounts.h"

#include "api/sherpa/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::sherpa {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

json::object key_body(const std::string& shown) {
  return json::object{{"Key", shown}, {"Authorization", "Bearer " + shown}};
}

core::Result<services::AccountInput> read_input(const json::value& body, bool with_guid, std::string* guid) {
  core::ObjectReader r(body);
  services::AccountInput in;
  if (with_guid) r.required("Guid", *guid);
  r.optional("Login", in.login).optional("Password", in.password).optional("FirstName", in.first_name);
  r.optional("LastName", in.last_name).optional("Email", in.email).optional("Phone", in.phone);
  r.optional("Company", in.company).optional("Department", in.department);
  if (!r.ok()) return r.error();
  return in;
}

}  // namespace

void register_account_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  // The key this request was made with, masked; for a device caller, its newest key if any.
  router.add(
      Method::Get, "/api/key",
      [ctx](Request& req) {
    const auto& p = principal(req);
    std::optional<services::ApiKey> key;
    if (!p.key_id.empty()) {
      auto k = ctx.keys->get(p, p.key_id);
      if (!k) return error(req, k.error());
      key = *k;
    } else {
      auto keys = ctx.keys->list(p, p.account_id, false);
      if (!keys) return error(req, keys.error());
      if (!keys->empty()) key = keys->front();
    }
    if (!key) return error(req, core::Error(core::Code::NotFound, "this account has no API key; assign one"));
    return Response::json(200, key_body(key->masked()));
      },
      {}, errors);

  // Assign: a new, additional key for the caller's account, shown in full this once.
  router.add(
      Method::Post, "/api/key/assign",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto key = ctx.keys->create(p, p.account_id, "assigned", origin(req));
    if (!key) return error(req, key.error());
    return Response::json(200, key_body(key->plain));
      },
      {}, errors);

  // Refresh: replaces the key this request was made with (it stops working at once).
  router.add(
      Method::Post, "/api/key/refresh",
      [ctx](Request& req) {
    const auto& p = principal(req);
    if (p.key_id.empty()) {
      return error(req, core::Error(core::Code::InvalidInput,
                                    "refresh replaces the API key the request is made with; "
                                    "authenticate with Authorization: Bearer <key>"));
    }
    auto key = ctx.keys->rotate(p, p.key_id, origin(req));
    if (!key) return error(req, key.error());
    return Response::json(200, key_body(key->plain));
      },
      {}, errors);

  router.add(
      Method::Post, "/api/account/create",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    auto in = read_input(*body, false, nullptr);
    if (!in) return error(req, in.error());
    auto account = ctx.accounts->create(principal(req), *in, origin(req));
    if (!account) return error(req, account.error());
    return Response::json(200, json::object{{"guid", account->id}});
      },
      {}, errors);

  router.add(
      Method::Get, "/api/account/read/{guid}",
      [ctx](Request& req) {
    auto a = ctx.accounts->get(principal(req), req.param("guid"));
    if (!a) return error(req, a.error());
    return Response::json(200, json::object{
                                   {"id", std::to_string(a->seq)},
                                   {"guid", a->id},
                                   {"login", a->login},
                                   {"first name", a->first_name},
                                   {"last name", a->last_name},
                                   {"email", a->email},
                                   {"phone", a->phone},
                                   {"company", a->company},
                                   {"department", a->department},
                               });
      },
      {}, errors);

  router.add(
      Method::Put, "/api/account/update",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    std::string guid;
    auto in = read_input(*body, true, &guid);
    if (!in) return error(req, in.error());
    auto a = ctx.accounts->update(principal(req), guid, *in, origin(req));
    if (!a) return error(req, a.error());
    return Response::json(200, json::array{});
      },
      {}, errors);

  router.add(
      Method::Delete, "/api/account/delete/{guid}",
      [ctx](Request& req) {
    if (auto st = ctx.accounts->remove(principal(req), req.param("guid"), origin(req)); !st)
      return error(req, st.error());
    return Response::json(200, json::array{});
      },
      {}, errors);
}

}  // namespace docent::api::sherpa
