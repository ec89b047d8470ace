#include "api/openapi/document.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

namespace docent::api::openapi {

namespace json = boost::json;

namespace {

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

// The names of the path's parameters, in order ("/a/{x}/b/{y}" -> x, y).
std::vector<std::string> path_parameters(std::string_view path) {
  std::vector<std::string> names;
  size_t at = 0;
  while ((at = path.find('{', at)) != std::string_view::npos) {
    size_t end = path.find('}', at);
    if (end == std::string_view::npos) break;
    names.emplace_back(path.substr(at + 1, end - at - 1));
    at = end + 1;
  }
  return names;
}

// "post /v1/vector_stores/{vector_store_id}/files" -> "post_v1_vector_stores_vector_store_id_files"
std::string operation_id(std::string_view method, std::string_view path) {
  std::string id(method);
  bool gap = true;
  for (char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap) id += '_';
      id += c;
      gap = false;
    } else {
      gap = true;
    }
  }
  return id;
}

// A face's defaults, from the "face" object of its file.
struct Face {
  std::string name;
  json::array security;
  std::string error_response;  // a components/responses name
};

// Fills in what the route table knows for one operation of `face` at `path`.
void complete_operation(json::object& op, const Face& face, std::string_view method, std::string_view path,
                        bool is_public, std::set<std::string>& operation_ids, std::vector<std::string>& errors) {
  if (!op.contains("tags")) op["tags"] = json::array{json::value(face.name)};
  if (!op.contains("operationId")) op["operationId"] = operation_id(method, path);
  std::string id(op["operationId"].as_string());
  if (!operation_ids.insert(id).second) errors.push_back("operationId " + id + " is used twice");
  op["security"] = is_public ? json::array{} : face.security;

  // Path parameters the operation does not declare are plain required strings.
  json::array params = op.contains("parameters") ? op["parameters"].as_array() : json::array{};
  for (const auto& name : path_parameters(path)) {
    bool declared = false;
    for (const auto& p : params) {
      const json::object* o = p.if_object();
      if (!o) continue;
      const json::value* in = o->if_contains("in");
      const json::value* n = o->if_contains("name");
      if (in && n && *in == "path" && n->is_string() && n->as_string() == name) declared = true;
    }
    if (!declared) {
      params.push_back(json::object{{"name", name},
                                    {"in", "path"},
                                    {"required", true},
                                    {"schema", json::object{{"type", "string"}}}});
    }
  }
  if (!params.empty()) op["parameters"] = std::move(params);

  if (!op.contains("responses") || !op["responses"].is_object()) {
    errors.push_back(upper(method) + " " + std::string(path) + " (" + face.name + ") has no responses");
    op["responses"] = json::object{};
  }
  auto& responses = op["responses"].as_object();
  std::string ref = "#/components/responses/" + face.error_response;
  if (!is_public && !responses.contains("401")) responses["401"] = json::object{{"$ref", ref}};
  if (!responses.contains("default")) responses["default"] = json::object{{"$ref", ref}};
}

// Merges `from` (a components object) into `into`, naming any name defined twice.
void merge_components(json::object& into, const json::object& from, std::string_view file,
                      std::vector<std::string>& errors) {
  for (const auto& [section, entries] : from) {
    if (!entries.is_object()) {
      errors.push_back(std::string(file) + ": components." + std::string(section) + " is not an object");
      continue;
    }
    if (!into.contains(section)) into[section] = json::object{};
    auto& target = into[section].as_object();
    for (const auto& [name, value] : entries.as_object()) {
      if (target.contains(name)) {
        errors.push_back(std::string(file) + ": components." + std::string(section) + "." + std::string(name) +
                         " is already defined by another file");
        continue;
      }
      target[name] = value;
    }
  }
}

// Merges one face's file into the document: its tag, components and the operations the route
// table serves.
void add_face(const std::string& file, json::object& frag, const std::map<std::string, bool>& live,
              json::object& document, json::object& paths, std::set<std::string>& documented,
              std::set<std::string>& operation_ids, Assembly& result) {
  auto& errors = result.errors;
  Face face;
  face.name = file.substr(0, file.find('/'));
  const json::value* f = frag.if_contains("face");
  if (!f || !f->is_object() || !f->as_object().contains("error") || !f->as_object().contains("security")) {
    errors.push_back(file + ": needs a \"face\" object with \"security\" and \"error\"");
    return;
  }
  face.security = f->at("security").as_array();
  face.error_response = std::string(f->at("error").as_string());
  if (const auto* tag = f->as_object().if_contains("tag")) {
    json::object t = tag->as_object();
    t["name"] = face.name;
    document["tags"].as_array().push_back(std::move(t));
  }
  if (const auto* comps = frag.if_contains("components"); comps && comps->is_object()) {
    merge_components(document["components"].as_object(), comps->as_object(), file, errors);
  }
  const json::value* fpaths = frag.if_contains("paths");
  if (!fpaths || !fpaths->is_object()) return;
  for (const auto& [path_key, item_value] : fpaths->as_object()) {
    std::string path(path_key);
    if (!item_value.is_object()) {
      errors.push_back(file + ": paths." + path + " is not an object");
      continue;
    }
    json::object item = item_value.as_object();
    json::object kept;
    for (auto& [key, value] : item) {
      std::string k(key);
      bool is_method = std::find(std::begin(kMethods), std::end(kMethods), k) != std::end(kMethods);
      if (!is_method) {
        kept[key] = value;
        continue;
      }
      std::string name = k + " " + path;
      auto it = live.find(name);
      if (it == live.end()) {
        result.stale.push_back(upper(k) + " " + path + " (" + file + ")");
        continue;
      }
      if (!documented.insert(name).second) {
        errors.push_back(upper(k) + " " + path + " is described by two files");
        continue;
      }
      if (!value.is_object()) {
        errors.push_back(file + ": " + upper(k) + " " + path + " is not an object");
        continue;
      }
      complete_operation(value.as_object(), face, k, path, it->second, operation_ids, errors);
      kept[key] = value;
    }
    if (paths.contains(path)) {
      // Two faces may share a path with different methods (none do yet, but allow it).
      for (auto& [k, v] : kept) {
        if (paths[path].as_object().contains(k)) continue;
        paths[path].as_object()[k] = v;
      }
    } else {
      paths[path] = std::move(kept);
    }
  }
}

}  // namespace

std::string_view embedded_source(std::string_view name) {
  for (const auto& s : embedded_sources()) {
    if (s.name == name) return s.text;
  }
  return {};
}

std::string openapi_path(std::string_view pattern) {
  std::string out(pattern);
  for (size_t at; (at = out.find("...}")) != std::string::npos;) out.erase(at, 3);
  return out;
}

Assembly assemble(std::span<const RouteInfo> routes, std::span<const EmbeddedSource> sources) {
  Assembly result;
  auto& errors = result.errors;

  // "get /path" -> whether the route is public.
  std::map<std::string, bool> live;
  for (const auto& r : routes) live[lower(r.method) + " " + openapi_path(r.pattern)] = r.is_public;

  json::object document;
  for (const auto& s : sources) {
    if (s.name != "openapi/base.json") continue;
    boost::system::error_code ec;
    json::value base = json::parse(s.text, ec);
    if (ec || !base.is_object()) {
      errors.push_back("openapi/base.json: not a JSON object (" + ec.message() + ")");
    } else {
      document = std::move(base.as_object());
    }
  }
  if (!document.contains("components")) document["components"] = json::object{};
  if (!document.contains("tags")) document["tags"] = json::array{};
  json::object paths;
  std::set<std::string> documented, operation_ids;

  for (const auto& s : sources) {
    if (!s.name.ends_with("/openapi.json")) continue;
    std::string file(s.name);
    boost::system::error_code ec;
    json::value parsed = json::parse(s.text, ec);
    if (ec || !parsed.is_object()) {
      errors.push_back(file + ": not a JSON object (" + ec.message() + ")");
      continue;
    }
    try {
      add_face(file, parsed.as_object(), live, document, paths, documented, operation_ids, result);
    } catch (const std::exception& e) {
      // A value of the wrong JSON type somewhere (Boost.JSON's accessors throw on it).
      errors.push_back(file + ": " + e.what());
    }
  }
  // The native face first (docent's own API), then the seeds' faces in file order.
  auto& tags = document["tags"].as_array();
  auto native = std::find_if(tags.begin(), tags.end(), [](const json::value& t) {
    return t.is_object() && t.as_object().contains("name") && t.at("name") == "native";
  });
  if (native != tags.end()) std::rotate(tags.begin(), native, native + 1);

  for (const auto& r : routes) {
    if (!documented.count(lower(r.method) + " " + openapi_path(r.pattern))) {
      result.undocumented.push_back(upper(r.method) + " " + r.pattern);
    }
  }
  // Paths left with no operation (all stale) are dropped.
  json::object served;
  for (auto& [k, v] : paths) {
    bool any = false;
    for (const auto& m : kMethods) any = any || v.as_object().contains(m);
    if (any) served[k] = std::move(v);
  }
  document["paths"] = std::move(served);
  result.document = std::move(document);
  return result;
}

}  // namespace docent::api::openapi
