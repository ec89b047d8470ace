#pragma once
// Native /v1 audit trail.
//   GET /v1/audit?account_id&action&outcome&since&until&limit&after
// Newest first, OpenAI's list shape ({"object": "list", "data", "has_more", "next_cursor"}).
// Admins see every record (account_id: records where that account is the actor or the subject);
// anyone else sees the records where their account is the actor or the subject. since/until are
// Unix seconds (since inclusive, until exclusive); limit is 1..100 (default 50); after is the
// next_cursor of the previous page.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_audit_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
