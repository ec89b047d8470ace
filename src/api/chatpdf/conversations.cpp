#include "api/chatpdf/conversations.h"

#include "api/chatpdf/errors.h"

#include <boost/json.hpp>

#include <charconv>

namespace docent::api::chatpdf {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }

Response ok(json::value data) { return Response::json(200, json::object{{"data", std::move(data)}, {"success", true}}); }

// The conversation object of the seed's examples. `device_id` is the caller's device, empty for
// an account that signed in with a key.
json::object conversation_json(const services::Conversation& c, const std::string& device_id) {
  return json::object{
      {"fileId", c.file_ids.empty() ? std::string() : c.file_ids.front()},
      {"deviceId", device_id},
      {"totalMessages", c.total_messages},
      {"title", c.title},
      {"sourceId", c.source_id},
      {"_id", c.id},
      {"createdAt", c.created_at},
      {"updatedAt", c.updated_at},
      {"__v", c.version},
      {"summary", c.summary},
      {"lastMessage", c.last_message},
      {"fileType", c.file_type},
  };
}

// The optional "page" field: the client's page count, a positive integer.
core::Status check_page_field(const http::MultipartForm& form) {
  const auto* page = form.field("page");
  if (!page) return {};
  const std::string& v = page->value;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1000000) {
    return core::Error(core::Code::InvalidInput, "page must be a positive whole number of pages", "page");
  }
  return {};
}

}  // namespace

void register_conversation_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(Method::Post, "/upload/register-file", [ctx](Request& req) {
    if (!req.form) {
      return error(req, core::Error(core::Code::UnsupportedMediaType,
                                    "send multipart/form-data with the PDF in a 'file' part", "file"));
    }
    auto files = req.form->files_named("file");
    if (files.size() != 1) return error(req, core::Error(core::Code::MissingField, "one 'file' part is required", "file"));
    if (auto st = check_page_field(*req.form); !st) return error(req, st.error());
    const auto& p = principal(req);

    services::NewFile info;
    info.name = files[0]->filename.empty() ? "upload.pdf" : files[0]->filename;
    info.accept_types = {"pdf"};
    auto file = ctx.knowledge->add_file(p, files[0]->path, std::move(info));
    if (!file) return error(req, file.error());
    req.form->release(*files[0]);

    services::NewConversation nc;
    nc.title = file->name;
    nc.file_ids = {file->id};
    auto conversation = ctx.conversations->create(p, nc);
    if (!conversation) return error(req, conversation.error());
    auto device = ctx.devices->device_of(p.account_id);
    const std::string device_id = device && *device ? (*device)->device_id : std::string();
    return ok(json::object{{"conversation", conversation_json(*conversation, device_id)}});
  }, {.multipart = true}, errors);
}

}  // namespace docent::api::chatpdf
