#pragma once
// Errors of the chatbot face, in the envelope its seed document shows (see errors.cpp).

#include "http/message.h"

namespace docent::api::chatbot {

// The seed's code for an error (RATE_LIMITED for every 429), also used in stream error events.
std::string_view error_code(core::Code code);

http::Response render_error(const http::Request& req, const core::Error& error);
const http::ErrorRenderer& error_renderer();

}  // namespace docent::api::chatbot
