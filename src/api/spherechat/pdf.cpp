#include "api/spherechat/pdf.h"

#include "api/spherechat/errors.h"
#include "engines/xlsx.h"

#include <boost/json.hpp>

namespace docent::api::spherechat {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr std::string_view kDownloadPrefix = "/api/pdf/download/";

Response post_pdf(const Context& ctx, engines::DocKind kind, Request& req) {
  if (!req.form) {
    return render_error(req, core::Error(core::Code::BadRequest,
                                         "send the PDF as multipart/form-data with a 'file' part", "file"));
  }
  auto files = req.form->files_named("file");
  if (files.empty()) {
    return render_error(req, core::Error(core::Code::MissingField, "the 'file' part (a PDF) is required", "file"));
  }
  std::vector<services::ExtractionUpload> uploads;
  for (const auto* f : files) uploads.push_back({f->filename, f->path});
  auto result = ctx.extraction->extract_uploads(principal(req), kind, uploads);
  if (!result) return render_error(req, result.error());

  std::string message = files.size() == 1 ? "PDF processed successfully"
                                          : std::to_string(files.size()) + " PDFs processed successfully";
  if (!result->found_fields()) message += ", but no recognisable fields were found; the workbook's fields are empty";
  return Response::json(200, json::object{
                                 {"success", true},
                                 {"message", message},
                                 {"fileId", result->id},
                                 {"fileName", result->file_name},
                                 {"excelPath", std::string(kDownloadPrefix) + result->id},
                                 {"fileSize", result->xlsx_size},
                             });
}

Response get_download(const Context& ctx, Request& req) {
  auto book = ctx.extraction->workbook(principal(req), req.param("fileId"));
  if (!book) return render_error(req, book.error());
  return download(book->path, std::string(engines::kXlsxMime), book->file_name);
}

}  // namespace

void register_pdf_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  for (auto kind : {engines::DocKind::Invoice, engines::DocKind::PurchaseOrder, engines::DocKind::DeliveryChallan,
                    engines::DocKind::EwayBill}) {
    router.add(
        Method::Post, "/api/pdf/" + std::string(engines::kind_name(kind)),
        [ctx, kind](Request& req) { return post_pdf(ctx, kind, req); }, {.multipart = true}, errors);
  }
  router.add(
      Method::Get, std::string(kDownloadPrefix) + "{fileId}", [ctx](Request& req) { return get_download(ctx, req); },
      {}, errors);
}

}  // namespace docent::api::spherechat
