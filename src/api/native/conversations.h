#pragma once
// docent's own conversations API, for the web UI and scripts:
//   POST   /v1/conversations {title?, file_ids?, folder_ids?}     201, the conversation
//   GET    /v1/conversations?limit&offset                         newest activity first
//   GET    /v1/conversations/{id}
//   PATCH  /v1/conversations/{id} {title}
//   DELETE /v1/conversations/{id}                                 its messages go too
//   GET    /v1/conversations/{id}/messages?limit&offset           newest first
//   POST   /v1/conversations/{id}/messages {content, model?, stream? (true), regenerate?}
//          stream: SSE "delta" events {"content"}, then "done" with the stored answer (citations
//          with file, page, snippet, score) or "error"; otherwise JSON {question, answer}.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_conversation_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
