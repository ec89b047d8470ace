#pragma once
// The nexus seed's chat (seeds/quantum-nexus.txt). Where the seed names no path, the obvious REST
// form (DESIGN.md §1):
//   POST   /api/sessions {title?}              -> {success, session_id, title, created_at}
//   GET    /api/sessions?limit&offset          -> {sessions: [{id, title, created_at, updated_at, message_count}]}
//   GET    /api/sessions/{session_id}          -> {session_id, title, messages: [{type, content, timestamp}]}
//   DELETE /api/sessions/{session_id}          -> {success, message}
//   POST   /api/process/text {message, session_id?}  SSE: {"word": "...", "complete": false} ...
//          {"word": "", "complete": true, "session_id", "citations"}; also at /v1/process/text
//   POST   /api/clear-history {session_id}     -> {success, message}
// A session not found is SESSION_NOT_FOUND in the seed's error shape.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::nexus {

void register_session_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::nexus
