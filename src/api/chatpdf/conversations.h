#pragma once
// chatpdf's file and conversation routes (seeds/chatpdf.txt), in its {"data": ..., "success":
// true} envelope:
//   POST /upload/register-file  multipart: file (PDF only), page (optional page count)
//                               -> {"conversation": {...}} with its _id and sourceId
//   GET    /conversations?page&limit      the caller's conversations, newest activity first
//   PUT    /conversations/:conversationId {title}
//   DELETE /conversations/:conversationId -> true
//   GET    /messages/chatting?sourceId&message&isReGenerate   the answer, streamed (SSE)
//   POST   /messages/conversation/:conversationId?page&limit  its messages, newest first

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatpdf {

void register_conversation_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatpdf
