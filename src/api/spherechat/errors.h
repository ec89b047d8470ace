#pragma once
// Errors of the spherechat face, in the envelope its seed document shows (see errors.cpp).

#include "http/message.h"

namespace docent::api::spherechat {

http::Response render_error(const http::Request& req, const core::Error& error);
const http::ErrorRenderer& error_renderer();

}  // namespace docent::api::spherechat
