#pragma once
// The chatbot seed's chat (seeds/chatbot-platform.txt):
//   POST /api/chat {message, model?, stream?, attachments?: [file ids]}   a new chat, answered
//   POST /api/chat/{chat_id}/messages {message, stream?}                   a turn in a chat
//   GET  /api/chat/{chat_id}/history                                       its messages, oldest first
// Streamed: data: {"type":"text","content":...} ... data: {"type":"done","chat_id",...}; else
// {id, message, model, usage, created_at}. Answers come from the attachments, or from all of the
// caller's files when a chat has none, with their citations (file, page) beyond the seed. The
// model is a preference: a name no provider serves falls back to the default model.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::chatbot {

void register_chat_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::chatbot
