#include "api/sherpa/storage.h"

#include "api/sherpa/errors.h"
#include "api/sherpa/format.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/time.h"

#include <boost/json.hpp>

#include <ctime>

namespace docent::api::sherpa {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const core::Error& e) { return render_error(req, e); }
Response empty_array() { return Response::json(200, json::array{}); }

json::object folder_json(const services::Folder& f, const Context& ctx) {
  return json::object{{"id", f.seq},
                      {"guid", f.id},
                      {"name", f.name},
                      {"description", f.description},
                      {"created", seed_time(f.created_at)},
                      {"updated", seed_time(f.updated_at)},
                      {"is_deleted", 0},
                      {"account_id", account_seq(ctx, f.account_id)},
                      {"parent_guid", f.parent_id ? json::value(*f.parent_id) : json::value(nullptr)}};
}

std::string_view openai_status(const std::string& s) {
  return s == "processed" ? "processed" : s == "failed" ? "error" : "uploaded";
}

// The file object of the seed's uploadfile example, with the guid docent's other routes take.
json::object file_json(const services::File& f) {
  return json::object{{"id", f.seq},
                      {"guid", f.id},
                      {"object", "file"},
                      {"purpose", f.purpose},
                      {"filename", f.name},
                      {"bytes", f.size},
                      {"created_at", core::unix_seconds(f.created_at)},
                      {"status", openai_status(f.status)},
                      {"status_details", f.status == "processed" ? "Indexed"
                                         : f.status == "failed"  ? f.status_reason
                                                                 : "Processing"},
                      {"tools_type", "retrieval"},
                      {"description", f.description},
                      {"folder_guid", f.folder_id ? json::value(*f.folder_id) : json::value(nullptr)},
                      {"metadata", f.metadata},
                      {"pages", f.pages},
                      {"chunks", f.chunk_count}};
}

// RFC 4648 Base32 (letters in either case), padded to a multiple of eight characters.
std::optional<std::string> base32_decode(std::string_view s) {
  if (s.empty() || s.size() % 8 != 0) return std::nullopt;
  std::string out;
  uint64_t buffer = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : s) {
    int v;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad) return std::nullopt;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a';
    else if (c >= '2' && c <= '7')
      v = c - '2' + 26;
    else
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint64_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

// The seed's "file": "binary" (text as it is), Base16 or Base32, and beyond the seed Base64.
// Only an explicit "encoding" decodes: text that happens to look like hex is still text.
core::Result<std::string> decode_content(const std::string& text, const std::string& encoding) {
  if (encoding.empty() || encoding == "binary" || encoding == "text") return text;
  std::optional<std::string> decoded;
  std::string_view name;
  if (encoding == "base16" || encoding == "hex") {
    decoded = core::crypto::hex_decode(text);
    name = "Base16";
  } else if (encoding == "base32") {
    decoded = base32_decode(text);
    name = "Base32";
  } else if (encoding == "base64") {
    decoded = core::crypto::base64_decode(text);
    name = "Base64";
  } else {
    return core::Error(core::Code::InvalidInput, "encoding must be text, binary, base16, base32 or base64", "encoding");
  }
  if (!decoded) return core::Error(core::Code::InvalidInput, "file is not valid " + std::string(name), "file");
  return std::move(*decoded);
}

std::vector<std::string> string_list(const json::value& v, const char* field, core::Status& st) {
  std::vector<std::string> out;
  json::value list = v;
  if (v.is_string()) {  // the seed sends "JSON string with a list"
    boost::system::error_code ec;
    list = json::parse(std::string(v.as_string()), ec);
    if (ec) {
      st = core::Error(core::Code::InvalidInput, std::string(field) + " must be a JSON list of strings", field);
      return out;
    }
  }
  if (list.is_null()) return out;
  if (!list.is_array()) {
    st = core::Error(core::Code::InvalidInput, std::string(field) + " must be a list of strings", field);
    return out;
  }
  for (const auto& item : list.as_array()) {
    if (!item.is_string()) {
      st = core::Error(core::Code::InvalidInput, std::string(field) + " must be a list of strings", field);
      return out;
    }
    out.emplace_back(item.as_string());
  }
  return out;
}

// A file by guid, or by name when the seed's update passes only "Name".
core::Result<services::File> find_file(const Context& ctx, const services::Principal& p, const std::string& guid,
                                       const std::string& name) {
  if (!guid.empty()) return ctx.knowledge->get_file(p, guid);
  auto page = ctx.knowledge->list_files(p, std::nullopt, "", 1000);
  if (!page) return page.error();
  std::optional<services::File> found;
  for (auto& f : page->items) {
    if (f.name != name) continue;
    if (found) return core::Error(core::Code::Conflict, "several files are named '" + name + "'; pass Guid", "Name");
    found = f;
  }
  if (!found) return core::Error(core::Code::NotFound, "no file named '" + name + "'", "Name");
  return *found;
}

}  // namespace

void register_storage_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();

  router.add(
      Method::Post, "/api/folders/create",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string name, description;
    std::optional<std::string> parent;
    r.required("Name", name).optional("Description", description).optional("ParentGuid", parent);
    if (!r.ok()) return error(req, r.error());
    auto f = ctx.knowledge->create_folder(principal(req), name, description, parent);
    if (!f) return error(req, f.error());
    return Response::json(200, json::object{{"guid", f->id}});
      },
      {}, errors);

  router.add(
      Method::Get, "/api/folders/read/{guid}",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_folder(principal(req), req.param("guid"));
    if (!f) return error(req, f.error());
    return Response::json(200, folder_json(*f, ctx));
      },
      {}, errors);

  router.add(
      Method::Get, "/api/folders/list",
      [ctx](Request& req) {
    auto folders = ctx.knowledge->list_folders(principal(req));
    if (!folders) return error(req, folders.error());
    json::array out;
    for (const auto& f : *folders) out.push_back(folder_json(f, ctx));
    return Response::json(200, out);
      },
      {}, errors);

  router.add(
      Method::Put, "/api/folders/update",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string guid;
    std::optional<std::string> name, description;
    r.required("Guid", guid).optional("Name", name).optional("Description", description);
    if (!r.ok()) return error(req, r.error());
    auto f = ctx.knowledge->update_folder(principal(req), guid, name, description);
    if (!f) return error(req, f.error());
    return empty_array();
      },
      {}, errors);

  router.add(
      Method::Post, "/api/files/create",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string name, name_new, description, folder, file, encoding;
    json::object metadata;
    r.required("name", name).optional("name_new", name_new).optional("description", description);
    r.optional("folder_id", folder).optional("Metadata", metadata).required("file", file);
    r.optional("encoding", encoding);
    if (!r.ok()) return error(req, r.error());
    auto bytes = decode_content(file, encoding);
    if (!bytes) return error(req, bytes.error());
    if (auto st = check_upload_size(*ctx.config, bytes->size()); !st) return error(req, st.error());
    services::NewFile info;
    info.name = name_new.empty() ? name : name_new;
    info.description = description;
    if (!folder.empty()) info.folder = folder;
    info.metadata = std::move(metadata);
    auto f = ctx.knowledge->add_bytes(principal(req), *bytes, std::move(info));
    if (!f) return error(req, f.error());
    Response res = empty_array();
    res.headers.set("Location", "/api/files/read/" + f->id);  // the seed answers []; the new guid rides here
    return res;
      },
      {.file_in_json = true}, errors);

  router.add(
      Method::Get, "/api/files/read/{guid}",
      [ctx](Request& req) {
    auto f = ctx.knowledge->get_file(principal(req), req.param("guid"));
    if (!f) return error(req, f.error());
    return Response::json(200, file_json(*f));
      },
      {}, errors);

  router.add(
      Method::Put, "/api/files/update",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string guid, name, name_new, folder, description, file;
    r.optional("Guid", guid).optional("Name", name).optional("name_new", name_new).optional("folder_guid", folder);
    r.optional("description", description).optional("file", file);
    if (r.ok() && guid.empty() && name.empty()) r.invalid("Name", "or Guid is required");
    if (!r.ok()) return error(req, r.error());
    const auto& p = principal(req);
    auto f = find_file(ctx, p, guid, name);
    if (!f) return error(req, f.error());
    if (!file.empty()) {
      return error(req,
                   core::Error(core::Code::InvalidInput,
                               "replacing a file's content is not supported; delete it and create it again", "file"));
    }
    services::FilePatch patch;
    if (!name_new.empty()) patch.name = name_new;
    if (!description.empty()) patch.description = description;
    if (!folder.empty()) patch.folder = std::optional<std::string>(folder);
    auto updated = ctx.knowledge->update_file(p, f->id, patch);
    if (!updated) return error(req, updated.error());
    return empty_array();
      },
      {}, errors);

  router.add(
      Method::Delete, "/api/files/delete",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string target;
    int type = 0;
    r.required("file_folder_guid", target).required("type_processing", type);
    if (r.ok() && (type < 0 || type > 2)) r.invalid("type_processing", "must be 0 (auto), 1 (file) or 2 (directory)");
    if (!r.ok()) return error(req, r.error());
    const auto& p = principal(req);
    if (type != 2) {
      auto f = ctx.knowledge->get_file(p, target);
      if (f) {
        if (auto st = ctx.knowledge->delete_file(p, f->id); !st) return error(req, st.error());
        return empty_array();
      }
      if (type == 1) return error(req, f.error());
    }
    auto folder = ctx.knowledge->resolve_folder(p, target);
    if (!folder)
      return error(req, core::Error(core::Code::NotFound, "no file or folder " + target, "file_folder_guid"));
    if (auto st = ctx.knowledge->delete_folder(p, folder->id); !st) return error(req, st.error());
    return empty_array();
      },
      {}, errors);

  router.add(
      Method::Post, "/api/files/uploadfile",
      [ctx](Request& req) {
    if (!req.form) {
      return error(req, core::Error(core::Code::UnsupportedMediaType, "send multipart/form-data with a 'file' part",
                                    "file"));
    }
    auto files = req.form->files_named("file");
    if (files.size() != 1)
      return error(req, core::Error(core::Code::MissingField, "one 'file' part is required", "file"));
    services::NewFile info;
    info.name = files[0]->filename.empty() ? "upload" : files[0]->filename;
    if (const auto* f = req.form->field("folder_id")) info.folder = f->value;
    if (const auto* m = req.form->field("metadata")) {
      boost::system::error_code ec;
      auto v = json::parse(m->value, ec);
      if (ec || !v.is_object()) {
        return error(req, core::Error(core::Code::InvalidInput, "metadata must be a JSON object", "metadata"));
      }
      core::ObjectReader mr(v, "metadata");
      mr.optional("tags", info.tags);  // a list of strings, or a 400 naming metadata.tags
      if (!mr.ok()) return error(req, mr.error());
      info.metadata = v.as_object();
    }
    auto f = ctx.knowledge->add_file(principal(req), files[0]->path, std::move(info));
    if (!f) return error(req, f.error());
    req.form->release(*files[0]);
    return Response::json(200, file_json(*f));
      },
      {.multipart = true}, errors);

  router.add(
      Method::Get, "/api/files/download/{guid}",
      [ctx](Request& req) {
    const auto& p = principal(req);
    auto f = ctx.knowledge->get_file(p, req.param("guid"));
    if (!f) return error(req, f.error());
    auto path = ctx.knowledge->file_content(p, f->id);
    if (!path) return error(req, path.error());
    return download(*path, f->mime, f->name);
      },
      {}, errors);

  router.add(
      Method::Post, "/api/files/addchunk",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return error(req, body.error());
    core::ObjectReader r(*body);
    std::string text, file;
    json::object metadata;
    int64_t page = 1;
    r.required("text_chunk", text).required("guid_file", file).optional("metadata", metadata).optional("page", page);
    if (!r.ok()) return error(req, r.error());
    auto id = ctx.knowledge->add_chunk(principal(req), file, text, page);
    if (!id) return error(req, id.error());
    return empty_array();
      },
      {}, errors);

  // Search takes its fields from the query string (GET, as the seed says) or a JSON body.
  auto search = [ctx](Request& req) {
    json::object fields;
    if (!req.body.empty()) {
      auto body = json_body(req, *ctx.config);
      if (!body) return error(req, body.error());
      if (!body->is_object()) return error(req, core::Error(core::Code::InvalidInput, "body must be a JSON object"));
      fields = body->as_object();
    }
    for (const auto& [k, v] : req.query) {
      if (k == "n_top" || k == "enable_subfolders") {
        try {
          fields[k] = std::stoll(v);
        } catch (const std::exception&) {
          return error(req, core::Error(core::Code::InvalidInput, k + " must be an integer", k));
        }
      } else {
        fields[k] = v;
      }
    }
    const json::value all_fields(std::move(fields));
    core::ObjectReader r(all_fields);
    services::SearchQuery q;
    int64_t subfolders = 1;
    json::value files_ids, folder_ids;
    r.required("text_for_search", q.text).optional("n_top", q.limit).optional("enable_subfolders", subfolders);
    r.optional("files_ids", files_ids).optional("folder_ids", folder_ids);
    if (r.ok() && (q.limit < 1 || q.limit > 100)) r.invalid("n_top", "must be from 1 to 100");
    if (!r.ok()) return error(req, r.error());
    core::Status st;
    q.file_ids = string_list(files_ids, "files_ids", st);
    if (st) q.folder_ids = string_list(folder_ids, "folder_ids", st);
    if (!st) return error(req, st.error());
    q.include_subfolders = subfolders != 0;
    auto hits = ctx.knowledge->search(principal(req), q);
    if (!hits) return error(req, hits.error());
    json::array out;
    for (const auto& h : *hits) {
      out.push_back(json::object{{"text", h.text},
                                 {"score", h.score},
                                 {"guid_file", h.file_id},
                                 {"file_name", h.file_name},
                                 {"page", h.page},
                                 {"section", h.section},
                                 {"position", h.position}});
    }
    return Response::json(200, out);
  };
  router.add(Method::Get, "/api/files/search", search, {}, errors);
  router.add(Method::Post, "/api/files/search", search, {}, errors);
}

}  // namespace docent::api::sherpa
