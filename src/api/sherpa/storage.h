#pragma once
// Sherpa AI Server's "Storage" section (seeds/sherpa-ai-server.txt): folders and files, chunks and
// search. Request fields are the seed's. Where the seed shows a placeholder response ("[]" for a
// read or a search), docent answers with the data a client needs, in the seed's naming style.
//   POST /api/folders/create, GET /api/folders/read/{guid}, GET /api/folders/list, PUT /api/folders/update
//   POST /api/files/create, GET /api/files/read/{guid}, PUT /api/files/update, DELETE /api/files/delete,
//   POST /api/files/uploadfile, GET /api/files/download/{guid}, POST /api/files/addchunk,
//   GET|POST /api/files/search

#include "api/context.h"
#include "http/router.h"

namespace docent::api::sherpa {

void register_storage_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::sherpa
