#pragma once
// Native /v1 plans and usage (issue #18, "Quotas and plans"; docs/FACES.md).
//   GET|POST /v1/plans, GET|PATCH|DELETE /v1/plans/{plan}   admins; others see their own plan
//   GET /v1/usage[?account_id=]                             the caller's counters and limits
// Plan fields use the chatpdf seed's names, as [plans.NAME] in docent.toml does.

#include "api/context.h"
#include "http/router.h"

#include <boost/json/object.hpp>

namespace docent::api::native {

void register_plan_routes(http::Router& router, const Context& ctx);

// A plan's limits as /v1/plans shows them (also `docent usage --json`).
boost::json::object plan_limits_json(const core::PlanConfig& plan);
// GET /v1/usage's body for an account's view.
boost::json::object usage_json(std::string_view account_id, const services::QuotaView& view);

}  // namespace docent::api::native
