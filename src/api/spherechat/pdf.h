#pragma once
// The spherechat face's PDF routes (seeds/spherechat.txt), answering exactly its documented JSON:
//   POST /api/pdf/invoice, /api/pdf/po, /api/pdf/dc, /api/pdf/ewaybill   multipart `file` (one,
//        or several for a batch with one workbook) ->
//        {"success": true, "message", "fileId", "fileName", "excelPath", "fileSize"}
//   GET  /api/pdf/download/{fileId}   the workbook (xlsx MIME type, attachment file name)
// excelPath is the download path of the workbook, never a path on the server.

#include "api/context.h"
#include "http/router.h"

namespace docent::api::spherechat {

void register_pdf_routes(http::Router& router, const Context& ctx);

}  // namespace docent::api::spherechat
