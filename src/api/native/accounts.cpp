#include "api/native/accounts.h"

#include "api/native/errors.h"
#include "core/json.h"

#include <boost/json.hpp>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

json::value nullable(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

json::object rate_limits_json(const services::Account& a) {
  json::object o;
  for (const auto& [policy, rate] : a.rate_limits) o[policy] = rate;
  return o;
}

json::object account_json(const services::Account& a) {
  return json::object{
      {"id", a.id},
      {"object", "account"},
      {"login", a.login},
      {"first_name", a.first_name},
      {"last_name", a.last_name},
      {"email", a.email},
      {"phone", a.phone},
      {"company", a.company},
      {"department", a.department},
      {"role", services::role_name(a.role)},
      {"plan", a.plan},
      {"user_type", a.user_type},
      {"tier", a.tier},
      {"rate_limits", rate_limits_json(a)},
      {"created_at", a.created_at},
      {"updated_at", a.updated_at},
  };
}

json::object key_json(const services::ApiKey& k) {
  return json::object{
      {"id", k.id},           {"object", "api_key"},        {"account_id", k.account_id},
      {"name", k.name},       {"prefix", k.prefix},         {"last4", k.last4},
      {"masked", k.masked()}, {"created_at", k.created_at}, {"revoked_at", nullable(k.revoked_at)},
  };
}

json::object new_key_json(const services::NewKey& k) {
  json::object o = key_json(k.key);
  o["key"] = k.plain;  // the only time the full key is ever shown
  return o;
}

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

// Reads the account fields of a create or update body (snake_case, as the rest of /v1).
core::Result<services::AccountInput> read_account_input(const Request& req, const Context& ctx) {
  auto body = json_body(req, *ctx.config);
  if (!body) return body.error();
  core::ObjectReader r(*body);
  services::AccountInput in;
  r.optional("login", in.login).optional("password", in.password).optional("first_name", in.first_name);
  r.optional("last_name", in.last_name).optional("email", in.email).optional("phone", in.phone);
  r.optional("company", in.company).optional("department", in.department).optional("role", in.role);
  r.optional("plan", in.plan).optional("tier", in.tier);
  if (!r.ok()) return r.error();
  // rate_limits: {"<policy>": "N/period" | "off" | null}; null removes the account's override.
  if (const json::value* limits = body->is_object() ? body->as_object().if_contains("rate_limits") : nullptr) {
    if (!limits->is_object()) {
      return core::Error(core::Code::InvalidInput, "rate_limits must be an object of policy -> \"N/period\" or null",
                         "rate_limits");
    }
    in.rate_limits.emplace();
    for (const auto& [policy, value] : limits->as_object()) {
      if (value.is_null()) {
        in.rate_limits->emplace_back(std::string(policy), std::nullopt);
      } else if (value.is_string()) {
        in.rate_limits->emplace_back(std::string(policy), std::string(value.as_string()));
      } else {
        return core::Error(core::Code::InvalidInput,
                           "rate_limits." + std::string(policy) + " must be a string such as \"10/min\" or null",
                           "rate_limits");
      }
    }
  }
  return in;
}

}  // namespace

void register_account_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/v1/auth/login",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string login, password, name = "login";
    r.required("login", login).required("password", password).optional("name", name);
    if (!r.ok()) return error(req, r.error());
    auto account = ctx.accounts->login(login, password, origin(req));
    if (!account) return error(req, account.error());
    const services::Principal self{account->id, account->role, account->plan, "", false};
    auto key = ctx.keys->create_unchecked(account->id, name, origin(req), &self);
    if (!key) return error(req, key.error());
    return Response::json(200, json::object{{"object", "login"},
                                            {"account", account_json(*account)},
                                            {"api_key", new_key_json(*key)}});
      },
      {.is_public = true}, errors);

  router.add(
      Method::Get, "/v1/accounts",
      [ctx](Request& req) {
    auto limit = int_query(req, "limit", 50, 1, 200);
    if (!limit) return error(req, limit.error());
    auto page = ctx.accounts->list(principal(req), req.query_param("after").value_or(""), *limit);
    if (!page) return error(req, page.error());
    json::array data;
    for (const auto& a : page->items) data.push_back(account_json(a));
    return Response::json(200,
                          json::object{{"object", "list"},
                                       {"data", std::move(data)},
                                       {"has_more", page->has_more},
                                       {"next_cursor", page->next_cursor.empty() ? json::value(nullptr)
                                                                                 : json::value(page->next_cursor)}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/accounts",
      [ctx](Request& req) {
    auto in = read_account_input(req, ctx);
    if (!in) return error(req, in.error());
    auto created = ctx.accounts->create(principal(req), *in, origin(req));
    if (!created) return error(req, created.error());
    return Response::json(201, account_json(*created));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/accounts/{account_id}",
      [ctx](Request& req) {
    std::string id(req.param("account_id"));
    if (id == "me") id = principal(req).account_id;
    auto a = ctx.accounts->get(principal(req), id);
    if (!a) return error(req, a.error());
    return Response::json(200, account_json(*a));
      },
      {}, errors);

  router.add(
      Method::Patch, "/v1/accounts/{account_id}",
      [ctx](Request& req) {
    auto in = read_account_input(req, ctx);
    if (!in) return error(req, in.error());
    auto a = ctx.accounts->update(principal(req), req.param("account_id"), *in, origin(req));
    if (!a) return error(req, a.error());
    return Response::json(200, account_json(*a));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/accounts/{account_id}",
      [ctx](Request& req) {
    std::string id(req.param("account_id"));
    if (auto st = ctx.accounts->remove(principal(req), id, origin(req)); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "account.deleted"}, {"deleted", true}});
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/keys",
      [ctx](Request& req) {
    const auto& p = principal(req);
    std::string account_id(req.query_param("account_id").value_or(p.account_id));
    bool revoked = req.query_param("include_revoked").value_or("") == "true";
    auto keys = ctx.keys->list(p, account_id, revoked);
    if (!keys) return error(req, keys.error());
    json::array data;
    for (const auto& k : *keys) data.push_back(key_json(k));
    return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/keys",
      [ctx](Request& req) {
    const auto& p = principal(req);
    std::string name, account_id = p.account_id;
    if (!req.body.empty()) {
      auto body = json_body(req, *ctx.config);
      if (!body) return error(req, body.error());
      core::ObjectReader r(*body);
      r.optional("name", name).optional("account_id", account_id);
      if (!r.ok()) return error(req, r.error());
    }
    auto key = ctx.keys->create(p, account_id, name, origin(req));
    if (!key) return error(req, key.error());
    return Response::json(201, new_key_json(*key));
      },
      {}, errors);

  router.add(
      Method::Get, "/v1/keys/{key_id}",
      [ctx](Request& req) {
    auto key = ctx.keys->get(principal(req), req.param("key_id"));
    if (!key) return error(req, key.error());
    return Response::json(200, key_json(*key));
      },
      {}, errors);

  router.add(
      Method::Delete, "/v1/keys/{key_id}",
      [ctx](Request& req) {
    std::string id(req.param("key_id"));
    if (auto st = ctx.keys->revoke(principal(req), id, origin(req)); !st) return error(req, st.error());
    return Response::json(200, json::object{{"id", id}, {"object", "api_key.revoked"}, {"revoked", true}});
      },
      {}, errors);

  router.add(
      Method::Post, "/v1/keys/{key_id}/rotate",
      [ctx](Request& req) {
    auto key = ctx.keys->rotate(principal(req), req.param("key_id"), origin(req));
    if (!key) return error(req, key.error());
    return Response::json(200, new_key_json(*key));
      },
      {}, errors);
}

}  // namespace docent::api::native
