#pragma once
// The native face's jobs (docs/MEDIA.md, docs/FACES.md):
//   GET /v1/jobs/{job_id}         a media job (img_..., voice_..., conv_..., tts_...) or another
//                                 job of the caller's (e.g. a file's ingest job) -> {"object": "job", ...}
//   GET /v1/jobs/{job_id}/events  SSE: "status" now, "progress" on each change, ending "done" or "failed"
// Another account's job answers 404 like a missing one.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_job_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
