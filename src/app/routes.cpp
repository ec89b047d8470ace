#include "app/routes.h"

#include "api/chatpdf/users.h"
#include "api/native/accounts.h"
#include "api/native/errors.h"
#include "api/sherpa/accounts.h"
#include "http/static_files.h"

namespace docent::app {

void register_routes(http::Router& router, const api::Context& ctx, api::native::SystemDeps system,
                     const std::filesystem::path& web_dir) {
  api::native::register_system_routes(router, std::move(system));
  api::native::register_account_routes(router, ctx);
  api::sherpa::register_account_routes(router, ctx);
  api::chatpdf::register_user_routes(router, ctx);

  if (!web_dir.empty()) {
    auto files = http::static_files(web_dir, "path", api::native::render_error);
    router.add(http::Method::Get, "/", files, {.is_public = true}, &api::native::error_renderer());
    router.add(http::Method::Get, "/ui/{path...}", files, {.is_public = true}, &api::native::error_renderer());
  }
}

}  // namespace docent::app
