#pragma once
// chatpdf's device and plan routes (seeds/chatpdf.txt), in its {"data": ..., "success": true}
// envelope:
//   POST /auth/register-device {deviceId}   (public) create or return the device's account
//   GET  /user/quota                         the plan's quota and what is left this month
//   PUT  /user/upgrade-plan {packageType}    base, plus or ultimate (self-service plans)

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatpdf {

void register_user_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatpdf
