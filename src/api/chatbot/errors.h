#pragma once
// Errors of the chatbot face, in the envelope its seed document shows (see errors.cpp).

#include "http/message.h"

namespace docent::api::chatbot {

http::Response render_error(const http::Request& req, const core::Error& error);
const http::ErrorRenderer& error_renderer();

}  // namespace docent::api::chatbot
