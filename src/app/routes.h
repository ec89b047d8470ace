#pragma once
// The route table of every face, in one place.

#include "api/context.h"
#include "api/native/system.h"
#include "http/router.h"

#include <filesystem>

namespace docent::app {

void register_routes(http::Router& router, const api::Context& ctx, api::native::SystemDeps system,
                     const std::filesystem::path& web_dir);

}  // namespace docent::app
