#pragma once
// Native /v1 extraction routes (docs/EXTRACTION.md, "API"):
//   POST /v1/extractions                 {"kind", "file_id" | "file_ids"} of uploaded files, or
//                                        multipart with a `kind` field and `file` parts
//   GET  /v1/extractions                 the caller's extractions, paged (limit, after)
//   GET  /v1/extractions/{id}            one extraction: every document's fields, lines, taxes, checks
//   GET  /v1/extractions/{id}/xlsx       its workbook

#include "api/context.h"
#include "http/router.h"

namespace docent::api::native {

void register_extraction_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::native
