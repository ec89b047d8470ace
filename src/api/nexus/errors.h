#pragma once
// The Quantum Nexus face (seeds/quantum-nexus.txt) renders errors in its documented envelope:
// {"success": false, "error": "...", "error_code": "INVALID_INPUT", "details": {...}, "timestamp": "..."}

#include "http/message.h"

namespace docent::api::nexus {

http::Response render_error(const http::Request& req, const core::Error& error);
const http::ErrorRenderer& error_renderer();

// The seed's vocabulary for a core error code (MISSING_FIELD, FILE_TOO_LARGE, ...).
std::string_view nexus_code(core::Code code);

}  // namespace docent::api::nexus
