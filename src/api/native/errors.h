#pragma once
// The native face (/v1, OpenAI's REST shape) renders errors as OpenAI does:
// {"error": {"message": "...", "type": "invalid_request_error", "param": "model", "code": "..."}}

#include "http/message.h"

namespace docent::api::native {

http::Response render_error(const http::Request& req, const core::Error& error);

// The renderer object routes of this face point to.
const http::ErrorRenderer& error_renderer();

}  // namespace docent::api::native
