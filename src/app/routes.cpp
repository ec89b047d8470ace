#include "app/routes.h"

#include "api/chatbot/chat.h"
#include "api/chatbot/documents.h"
#include "api/chatbot/errors.h"
#include "api/chatbot/knowledge.h"
#include "api/chatbot/webhooks.h"
#include "api/chatpdf/conversations.h"
#include "api/chatpdf/errors.h"
#include "api/chatpdf/users.h"
#include "api/native/accounts.h"
#include "api/native/audit.h"
#include "api/native/conversations.h"
#include "api/native/documents.h"
#include "api/native/errors.h"
#include "api/native/audio.h"
#include "api/native/extractions.h"
#include "api/native/jobs.h"
#include "api/native/knowledge.h"
#include "api/native/models.h"
#include "api/native/plans.h"
#include "api/native/vector_stores.h"
#include "api/native/webhooks.h"
#include "api/nexus/errors.h"
#include "api/nexus/media.h"
#include "api/nexus/sessions.h"
#include "api/openapi/routes.h"
#include "api/sherpa/accounts.h"
#include "api/sherpa/errors.h"
#include "api/sherpa/logs.h"
#include "api/sherpa/storage.h"
#include "api/sherpa/threads.h"
#include "api/spherechat/errors.h"
#include "api/spherechat/generate.h"
#include "api/spherechat/pdf.h"
#include "http/static_files.h"

#include <set>
#include <stdexcept>

namespace docent::app {

namespace {

// Every route reachable without credentials, in one reviewed place. register_routes refuses to
// start when a face marks a route public that is not listed here, or the other way round.
constexpr std::string_view kPublicRoutes[] = {
    "GET /health",                 // liveness for load balancers
    "GET /v1/health",              // the nexus seed's health check
    "GET /metrics",                // Prometheus scraping (bind to loopback or firewall it)
    "POST /v1/echo",               // diagnostics and benchmarks; touches no data
    "POST /v1/auth/login",         // exchanges a login and password for a key
    "POST /auth/register-device",  // chatpdf: makes the anonymous device account
    "GET /",                       // the web UI
    "GET /ui/{path...}",
    // The published contract (docs/OPENAPI.md): describes the API, holds no data.
    "GET /openapi.json", "GET /docs",
    "GET /swagger/v1/swagger.json",      // spherechat's seed names this path
    "GET /api/postman-collection.json",  // spherechat's seed names this path
};

// Which face's envelope a 404 (or an error before the route is known) takes, by the longest path
// prefix a face's seed owns; anything else is the native face's (OpenAI's shape). /api/... is
// shared by four faces, so their prefixes are one level deeper. A 405 takes the envelope of the
// route whose path matched, so POST-only /api/files/upload (chatbot) answers in chatbot's even
// though other /api/files paths are sherpa's.
struct FacePrefix {
  std::string_view prefix;
  const http::ErrorRenderer& (*renderer)();
};
constexpr FacePrefix kFacePrefixes[] = {
    {"/api/pdf", api::spherechat::error_renderer},    {"/api/generate", api::spherechat::error_renderer},
    {"/swagger", api::spherechat::error_renderer},    {"/auth", api::chatpdf::error_renderer},
    {"/upload", api::chatpdf::error_renderer},        {"/messages", api::chatpdf::error_renderer},
    {"/conversations", api::chatpdf::error_renderer}, {"/user", api::chatpdf::error_renderer},
    {"/api/sessions", api::nexus::error_renderer},    {"/api/process", api::nexus::error_renderer},
    {"/api/status", api::nexus::error_renderer},      {"/api/clear-history", api::nexus::error_renderer},
    {"/api/folders", api::sherpa::error_renderer},    {"/api/files", api::sherpa::error_renderer},
    {"/api/log", api::sherpa::error_renderer},        {"/api/account", api::sherpa::error_renderer},
    {"/api/threads", api::sherpa::error_renderer},    {"/api/key", api::sherpa::error_renderer},
    {"/api/chat", api::chatbot::error_renderer},      {"/api/documents", api::chatbot::error_renderer},
    {"/api/knowledge", api::chatbot::error_renderer}, {"/api/webhooks", api::chatbot::error_renderer},
};

void check_public_routes(const http::Router& router) {
  std::set<std::string> listed(std::begin(kPublicRoutes), std::end(kPublicRoutes));
  for (const http::Route* r : router.routes()) {
    std::string name = std::string(http::method_name(r->method)) + " " + r->pattern;
    if (r->options.is_public != (listed.count(name) > 0)) {
      throw std::logic_error("route " + name +
                             (r->options.is_public ? " is public but not listed in kPublicRoutes"
                                                   : " is listed in kPublicRoutes but not public"));
    }
  }
}

}  // namespace

void register_routes(http::Router& router, const api::Context& ctx, api::native::SystemDeps system,
                     const std::filesystem::path& web_dir) {
  api::native::register_system_routes(router, std::move(system));
  api::native::register_account_routes(router, ctx);
  api::native::register_plan_routes(router, ctx);
  api::native::register_audit_routes(router, ctx);
  api::native::register_knowledge_routes(router, ctx);
  api::native::register_document_routes(router, ctx);
  api::native::register_vector_store_routes(router, ctx);
  api::native::register_model_routes(router, ctx);
  api::native::register_chat_completion_routes(router, ctx);
  api::native::register_response_routes(router, ctx);
  api::native::register_conversation_routes(router, ctx);
  api::native::register_extraction_routes(router, ctx);
  api::native::register_audio_routes(router, ctx);
  api::native::register_webhook_routes(router, ctx);
  api::native::register_job_routes(router, ctx);
  api::nexus::register_session_routes(router, ctx);
  api::nexus::register_media_routes(router, ctx);
  api::sherpa::register_account_routes(router, ctx);
  api::sherpa::register_storage_routes(router, ctx);
  api::sherpa::register_thread_routes(router, ctx);
  api::sherpa::register_log_routes(router, ctx);
  api::chatpdf::register_user_routes(router, ctx);
  api::chatpdf::register_conversation_routes(router, ctx);
  api::chatbot::register_knowledge_routes(router, ctx);
  api::chatbot::register_document_routes(router, ctx);
  api::chatbot::register_chat_routes(router, ctx);
  api::chatbot::register_webhook_routes(router, ctx);
  api::spherechat::register_pdf_routes(router, ctx);
  api::spherechat::register_generation_routes(router, ctx);

  if (!web_dir.empty()) {
    auto files = http::static_files(web_dir, "path", api::native::render_error);
    router.add(http::Method::Get, "/", files, {.is_public = true}, &api::native::error_renderer());
    router.add(http::Method::Get, "/ui/{path...}", files, {.is_public = true}, &api::native::error_renderer());
  }
  // Last: the document is assembled over every route registered before it.
  api::openapi::register_openapi_routes(router);
  for (const auto& face : kFacePrefixes) router.add_error_prefix(face.prefix, &face.renderer());
  check_public_routes(router);
}

}  // namespace docent::app
