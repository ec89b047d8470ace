#include "api/openapi/postman.h"

#include <algorithm>
#include <cctype>

namespace docent::api::openapi {

namespace json = boost::json;

namespace {

constexpr std::string_view kMethods[] = {"get", "put", "post", "delete", "patch", "head", "options"};

// The value `ref` ("#/components/schemas/X") points to, or null.
const json::value* resolve(std::string_view ref, const json::object& document) {
  if (!ref.starts_with("#/")) return nullptr;
  const json::value* at = nullptr;
  const json::object* obj = &document;
  std::string_view rest = ref.substr(2);
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    at = obj->if_contains(part);
    if (!at) return nullptr;
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (!rest.empty()) {
      if (!at->is_object()) return nullptr;
      obj = &at->as_object();
    }
  }
  return at;
}

json::value example_at(const json::value& schema_in, const json::object& document, int depth) {
  if (depth > 8 || !schema_in.is_object()) return nullptr;
  const json::object* schema = &schema_in.as_object();
  if (const auto* ref = schema->if_contains("$ref"); ref && ref->is_string()) {
    const json::value* target = resolve(ref->as_string(), document);
    return target ? example_at(*target, document, depth + 1) : json::value(nullptr);
  }
  if (const auto* v = schema->if_contains("example")) return *v;
  if (const auto* v = schema->if_contains("examples"); v && v->is_array() && !v->as_array().empty()) {
    return v->as_array().front();
  }
  if (const auto* v = schema->if_contains("const")) return *v;
  if (const auto* v = schema->if_contains("default")) return *v;
  if (const auto* v = schema->if_contains("enum"); v && v->is_array() && !v->as_array().empty()) {
    return v->as_array().front();
  }
  for (std::string_view key : {"oneOf", "anyOf"}) {
    if (const auto* v = schema->if_contains(key); v && v->is_array() && !v->as_array().empty()) {
      return example_at(v->as_array().front(), document, depth + 1);
    }
  }
  if (const auto* v = schema->if_contains("allOf"); v && v->is_array()) {
    json::object merged;
    for (const auto& part : v->as_array()) {
      json::value e = example_at(part, document, depth + 1);
      if (e.is_object()) {
        for (auto& [k, val] : e.as_object()) merged[k] = val;
      }
    }
    return merged;
  }
  std::string type;
  if (const auto* t = schema->if_contains("type")) {
    if (t->is_string()) type = t->as_string();
    if (t->is_array()) {
      for (const auto& one : t->as_array()) {
        if (one.is_string() && one != "null") {
          type = one.as_string();
          break;
        }
      }
    }
  }
  if (type.empty() && schema->contains("properties")) type = "object";
  if (type == "object") {
    json::object out;
    const auto* props = schema->if_contains("properties");
    if (!props || !props->is_object()) return out;
    const auto* required = schema->if_contains("required");
    bool all = !required || !required->is_array() || required->as_array().empty();
    for (const auto& [name, sub] : props->as_object()) {
      bool wanted = all;
      if (!all) {
        const auto& req = required->as_array();
        wanted = std::find(req.begin(), req.end(), json::value(name)) != req.end();
      }
      if (wanted) out[name] = example_at(sub, document, depth + 1);
    }
    return out;
  }
  if (type == "array") {
    json::array out;
    if (const auto* items = schema->if_contains("items")) out.push_back(example_at(*items, document, depth + 1));
    return out;
  }
  if (type == "string") {
    if (const auto* fmt = schema->if_contains("format"); fmt && fmt->is_string()) {
      if (fmt->as_string() == "binary") return "";
      if (fmt->as_string() == "uuid") return "00000000-0000-0000-0000-000000000000";
    }
    return "string";
  }
  if (type == "integer") return 0;
  if (type == "number") return 0.0;
  if (type == "boolean") return false;
  return nullptr;
}

// "/api/files/{file_id}/status" -> ["api", "files", ":file_id", "status"] and its raw form.
json::object postman_url(std::string_view path, const json::object& op, const json::object& document) {
  json::array segments, variables, query;
  std::string raw = "{{baseUrl}}";
  size_t at = 1;
  while (at <= path.size()) {
    size_t end = path.find('/', at);
    std::string seg(path.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      std::string name = seg.substr(1, seg.size() - 2);
      variables.push_back(json::object{{"key", name}, {"value", ""}});
      seg = ":" + name;
    }
    raw += "/" + seg;
    segments.push_back(json::value(seg));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  if (const auto* params = op.if_contains("parameters"); params && params->is_array()) {
    for (const auto& p_in : params->as_array()) {
      const json::value* p = &p_in;
      if (p->is_object() && p->as_object().contains("$ref")) {
        p = resolve(p->at("$ref").as_string(), document);
        if (!p) continue;
      }
      if (!p->is_object() || p->as_object().if_contains("in") == nullptr || p->at("in") != "query") continue;
      query.push_back(json::object{{"key", p->at("name")}, {"value", ""}, {"disabled", true}});
    }
  }
  json::object url{{"raw", raw}, {"host", json::array{"{{baseUrl}}"}}, {"path", std::move(segments)}};
  if (!variables.empty()) url["variable"] = std::move(variables);
  if (!query.empty()) url["query"] = std::move(query);
  return url;
}

json::object postman_request(std::string_view method, std::string_view path, const json::object& op,
                             const json::object& document) {
  json::object request;
  std::string m(method);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::toupper(c); });
  request["method"] = m;
  json::array headers;
  const auto* security = op.if_contains("security");
  if (security && security->is_array() && security->as_array().empty()) {
    request["auth"] = json::object{{"type", "noauth"}};
  }
  const json::value* body = op.if_contains("requestBody");
  if (body && body->is_object() && body->as_object().contains("$ref"))
    body = resolve(body->at("$ref").as_string(), document);
  if (body && body->is_object()) {
    const auto* content = body->as_object().if_contains("content");
    if (content && content->is_object()) {
      const auto& c = content->as_object();
      if (const auto* media = c.if_contains("application/json"); media && media->is_object()) {
        json::value example;
        if (const auto* e = media->as_object().if_contains("example")) {
          example = *e;
        } else if (const auto* s = media->as_object().if_contains("schema")) {
          example = example_of(*s, document);
        }
        headers.push_back(json::object{{"key", "Content-Type"}, {"value", "application/json"}});
        request["body"] = json::object{{"mode", "raw"},
                                       {"raw", json::serialize(example)},
                                       {"options", json::object{{"raw", json::object{{"language", "json"}}}}}};
      } else if (const auto* form = c.if_contains("multipart/form-data"); form && form->is_object()) {
        json::array fields;
        json::value schema = form->as_object().contains("schema") ? form->at("schema") : json::value(nullptr);
        if (schema.is_object() && schema.as_object().contains("$ref")) {
          const json::value* t = resolve(schema.at("$ref").as_string(), document);
          schema = t ? *t : json::value(nullptr);
        }
        if (schema.is_object() && schema.as_object().contains("properties")) {
          for (const auto& [name, prop] : schema.at("properties").as_object()) {
            bool is_file = prop.is_object() && prop.as_object().contains("format") && prop.at("format") == "binary";
            if (is_file) {
              fields.push_back(json::object{{"key", name}, {"type", "file"}, {"src", ""}});
            } else {
              fields.push_back(json::object{{"key", name}, {"type", "text"}, {"value", ""}});
            }
          }
        }
        request["body"] = json::object{{"mode", "formdata"}, {"formdata", std::move(fields)}};
      }
    }
  }
  request["header"] = std::move(headers);
  request["url"] = postman_url(path, op, document);
  if (const auto* d = op.if_contains("description")) request["description"] = *d;
  return request;
}

}  // namespace

json::value example_of(const json::value& schema, const json::object& document) {
  return example_at(schema, document, 0);
}

json::object postman_collection(const json::object& document) {
  json::object info{{"name", "docent"},
                    {"schema", "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}};
  if (const auto* i = document.if_contains("info"); i && i->is_object()) {
    if (const auto* t = i->as_object().if_contains("title")) info["name"] = *t;
    if (const auto* d = i->as_object().if_contains("description")) info["description"] = *d;
    if (const auto* v = i->as_object().if_contains("version")) info["version"] = *v;
  }

  // Folders in the order of the document's tags, then any tag not listed there.
  std::vector<std::string> order;
  json::object folders;  // tag -> {"name", "description", "item"}
  if (const auto* tags = document.if_contains("tags"); tags && tags->is_array()) {
    for (const auto& t : tags->as_array()) {
      if (!t.is_object() || !t.as_object().contains("name")) continue;
      std::string name(t.at("name").as_string());
      json::object folder{{"name", name}, {"item", json::array{}}};
      if (const auto* d = t.as_object().if_contains("description")) folder["description"] = *d;
      folders[name] = std::move(folder);
      order.push_back(name);
    }
  }
  if (const auto* paths = document.if_contains("paths"); paths && paths->is_object()) {
    for (const auto& [path, item] : paths->as_object()) {
      if (!item.is_object()) continue;
      for (std::string_view method : kMethods) {
        const auto* op = item.as_object().if_contains(method);
        if (!op || !op->is_object()) continue;
        std::string tag = "other";
        if (const auto* tags = op->as_object().if_contains("tags");
            tags && tags->is_array() && !tags->as_array().empty()) {
          tag = tags->as_array().front().as_string();
        }
        if (!folders.contains(tag)) {
          folders[tag] = json::object{{"name", tag}, {"item", json::array{}}};
          order.push_back(tag);
        }
        std::string name;
        if (const auto* s = op->as_object().if_contains("summary"); s && s->is_string()) name = s->as_string();
        if (name.empty()) {
          std::string m(method);
          std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::toupper(c); });
          name = m + " " + std::string(path);
        }
        folders[tag].as_object()["item"].as_array().push_back(
            json::object{{"name", name}, {"request", postman_request(method, path, op->as_object(), document)}});
      }
    }
  }
  json::array items;
  for (const auto& name : order) items.push_back(folders[name]);

  return json::object{
      {"info", std::move(info)},
      {"auth",
       json::object{{"type", "bearer"},
                    {"bearer",
                     json::array{json::object{{"key", "token"}, {"value", "{{apiKey}}"}, {"type", "string"}}}}}},
      {"variable", json::array{json::object{{"key", "baseUrl"}, {"value", "http://127.0.0.1:8080"}},
                               json::object{{"key", "apiKey"}, {"value", "dk_your_key"}}}},
      {"item", std::move(items)},
  };
}

}  // namespace docent::api::openapi
