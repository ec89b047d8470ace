#pragma once
// Native /v1 accounts, API keys and login.
//   POST /v1/auth/login                       (public) login + password -> a new API key
//   GET|POST /v1/accounts, GET|PATCH|DELETE /v1/accounts/{account_id}
//   GET|POST /v1/keys, GET|DELETE /v1/keys/{key_id}, POST /v1/keys/{key_id}/rotate

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_account_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
