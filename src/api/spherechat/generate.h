#pragma once
// The spherechat face's generation routes. The seed names "generate images, videos, voice, music,
// and presentations" without paths; these are docent's, in the seed's style (camelCase fields,
// {"success", "message", ...} answers, its error envelope), and listed in docs/FACES.md:
//   POST /api/generate/presentation   {"prompt"?, "fileIds"?|"file_ids"?, "outline"?, "title"?,
//        "maxSlides"?|"max_slides"?, "model"?} -> 202 {"success", "message", "jobId", "type",
//        "status": "queued", "statusUrl", "downloadUrl"}
//   GET  /api/generate/jobs/{jobId}            the job: status, progress, and when completed the
//        file's name and size, slide count and the engine that outlined it
//   GET  /api/generate/jobs/{jobId}/download   the .pptx (409 while it is being made)
// Generation counts against the seed's "Generation API: 50 requests per hour" limit
// (limits.spherechat_generation), which the POST routes carry.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::spherechat {

void register_generation_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::spherechat
