#include "api/native/models.h"

#include "api/native/errors.h"
#include "core/crypto.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <bit>
#include <cstring>

namespace docent::api::native {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

constexpr size_t kMaxEmbeddingInputs = 2048;

json::object model_json(const engines::ModelInfo& m) {
  return json::object{{"id", m.id},
                      {"object", "model"},
                      {"created", m.created},
                      {"owned_by", m.owned_by.empty() ? std::string("upstream") : m.owned_by}};
}

// float32 little-endian bytes, base64-encoded (what OpenAI's encoding_format=base64 returns).
std::string base64_floats(const std::vector<float>& v) {
  std::string bytes(v.size() * 4, '\0');
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits = std::bit_cast<uint32_t>(v[i]);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xFF);
  }
  return core::crypto::base64_encode(bytes);
}

core::Error invalid(std::string message, std::string field) {
  return core::Error(core::Code::InvalidInput, std::move(message), std::move(field));
}

struct EmbeddingRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool base64 = false;
  std::optional<int64_t> dimensions;
};

core::Result<EmbeddingRequest> parse_embedding_request(const json::value& body) {
  core::ObjectReader r(body);
  EmbeddingRequest e;
  json::value input;
  std::string format = "float";
  r.optional("model", e.model).required("input", input).optional("encoding_format", format);
  r.optional("dimensions", e.dimensions);
  if (!r.ok()) return r.error();
  if (input.is_string()) {
    e.inputs.emplace_back(input.get_string());
  } else if (input.is_array()) {
    const auto& arr = input.get_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_string()) {
        return invalid("input[" + std::to_string(i) + "] must be a string (token arrays are not supported)", "input");
      }
      e.inputs.emplace_back(arr[i].get_string());
    }
  } else {
    return invalid("input must be a string or an array of strings", "input");
  }
  if (e.inputs.empty()) return invalid("input must not be empty", "input");
  if (e.inputs.size() > kMaxEmbeddingInputs) return invalid("input has more than 2048 items", "input");
  for (const auto& s : e.inputs) {
    if (s.empty()) return invalid("input must not contain empty strings", "input");
  }
  if (format != "float" && format != "base64")
    return invalid("encoding_format must be 'float' or 'base64'", "encoding_format");
  e.base64 = format == "base64";
  if (e.dimensions && *e.dimensions < 1) return invalid("dimensions must be a positive integer", "dimensions");
  return e;
}

}  // namespace

void register_model_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  // The model list is the cheapest authenticated answer there is: from memory, it is handled on
  // the network thread (when the chain agrees; see ServerOptions::prepare_inline).
  const http::RouteOptions warm{.inline_when = [models = ctx.models] { return models->lists_without_waiting(); }};

  router.add(
      Method::Get, "/v1/models",
      [ctx](Request&) {
    json::array data;
    for (const auto& m : ctx.models->list_models({})) data.push_back(model_json(m));
    return Response::json(200, json::object{{"object", "list"}, {"data", std::move(data)}});
      },
      warm, errors);

  router.add(
      Method::Get, "/v1/models/{model...}",
      [ctx](Request& req) {
    auto m = ctx.models->get_model(std::string(req.param("model")), {});
    if (!m) return render_error(req, m.error());
    return Response::json(200, model_json(*m));
      },
      warm, errors);

  router.add(
      Method::Post, "/v1/embeddings",
      [ctx](Request& req) {
    auto body = json_body(req, *ctx.config);
    if (!body) return render_error(req, body.error());
    auto e = parse_embedding_request(*body);
    if (!e) return render_error(req, e.error());
    auto result = ctx.models->embed(e->model, e->inputs, {});
    if (!result) return render_error(req, result.error());
    json::array data;
    for (size_t i = 0; i < result->vectors.size(); ++i) {
      const auto& v = result->vectors[i];
      if (e->dimensions && static_cast<size_t>(*e->dimensions) != v.size()) {
        return render_error(req, invalid("model " + result->model + " makes vectors of " + std::to_string(v.size()) +
                                             " dimensions only",
                                         "dimensions"));
      }
      json::value embedding;
      if (e->base64) {
        embedding = base64_floats(v);
      } else {
        json::array a;
        a.reserve(v.size());
        for (float x : v) a.emplace_back(static_cast<double>(x));
        embedding = std::move(a);
      }
      data.push_back(json::object{{"object", "embedding"},
                                  {"index", static_cast<int64_t>(i)},
                                  {"embedding", std::move(embedding)}});
    }
    return Response::json(200, json::object{
                                   {"object", "list"},
                                   {"data", std::move(data)},
                                   {"model", result->model},
                                   {"usage", json::object{{"prompt_tokens", result->usage.prompt_tokens},
                                                          {"total_tokens", result->usage.total_tokens}}},
                               });
      },
      {.max_body_bytes = 16 * 1024 * 1024}, errors);
}

}  // namespace docent::api::native
