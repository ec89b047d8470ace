#pragma once
// The nexus seed's asynchronous media routes (seeds/quantum-nexus.txt, docs/MEDIA.md):
//   POST /api/process/image            multipart image, session_id?            -> {job_id, status: "queued", message}
//   POST /api/process/image-with-text  multipart image, question, session_id?  -> {job_id, status: "queued", message}
//   GET  /api/status/{job_id}          the seed's pending, completed and error shapes; JOB_NOT_FOUND
// Images are told by their bytes (PNG, JPG/JPEG, GIF, BMP, WEBP; else 400 INVALID_FORMAT), at most
// server.max_upload_bytes (413 FILE_TOO_LARGE) and media.image_max_pixels as declared (413).

#include "api/context.h"
#include "http/router.h"

namespace docent::api::nexus {

void register_media_routes(http::Router& router, const Context& ctx);

// A media job in the seed's /api/status shape (shared with the native /v1/jobs view).
boost::json::object status_json(const services::MediaJobView& job);

}  // namespace docent::api::nexus
