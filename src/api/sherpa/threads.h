#pragma once
// Sherpa AI Server's "AI Server" chat methods (seeds/sherpa-ai-server.txt):
//   POST /api/threads/message   {messages, model, temperature?, assistant_id?, thread_id?, info?}
//                               the model's answer to the last user message, in a thread
//   GET  /api/threads/models    the models, in the vLLM list shape the seed shows
//   POST /api/threads/chat      {thread_id, role, content, assistant_id?, model_id?, temperature?,
//                                prompt?, title?, file_id?, folder_id?, info?} -> message_id
//   GET  /api/threads/getUpdates?assistant_id&thread_id&offset   the messages after `offset`
//
// A thread is a conversation addressed by an integer the client chooses, one namespace per
// account; posting to a thread the caller does not have yet creates it, and another account's
// thread number is simply not the caller's (getUpdates answers 404). file_id and folder_id are
// the storage face's numbers (its "id"), or guids, attached to the thread as context. A user
// message posted to /chat is answered at once from the thread's documents (or all of the
// caller's), so getUpdates after its message_id returns the answer. Message ids are the
// messages' numbers within their thread, from 1. Answers' citations are the OpenAI-style
// file_citation annotations of their content, with the cited page. Successes are
// {"result": 1, "data": ...}; errors {"error": "..."} with a code.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::sherpa {

void register_thread_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::sherpa
