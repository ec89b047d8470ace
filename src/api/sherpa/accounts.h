#pragma once
// Sherpa AI Server's "Key" and "Accounts" sections (seeds/sherpa-ai-server.txt):
//   GET /api/key, POST /api/key/assign, POST /api/key/refresh
//   POST /api/account/create, GET /api/account/read/{guid}, PUT /api/account/update,
//   DELETE /api/account/delete/{guid}
// Request fields are the seed's (Login, Password, FirstName, ...). Unlike the seed's example,
// no response ever contains a password or a hash.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::sherpa {

void register_account_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::sherpa
