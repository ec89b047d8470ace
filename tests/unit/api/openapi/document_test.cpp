#include "api/openapi/document.h"

#include "api/openapi/postman.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace docent::api::openapi {
namespace {

namespace json = boost::json;

constexpr std::string_view kBase = R"({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}})";
constexpr std::string_view kFace = R"({
  "face": {"tag": {"description": "d"}, "security": [{"BearerAuth": []}], "error": "FaceError"},
  "paths": {
    "/things/{thing_id}": {"get": {"summary": "Get", "responses": {"200": {"description": "OK"}}}},
    "/open": {"post": {"summary": "Open", "operationId": "open_it", "responses": {"200": {"description": "OK"}},
              "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/FaceBody"}}}}}},
    "/gone": {"delete": {"summary": "Gone", "responses": {"200": {"description": "OK"}}}},
    "/models/{model}": {"get": {"summary": "Model", "responses": {"200": {"description": "OK"}}}}
  },
  "components": {
    "schemas": {"FaceBody": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}},
    "responses": {"FaceError": {"description": "error"}}
  }
})";

std::vector<EmbeddedSource> sources(std::string_view face = kFace) {
  return {{"openapi/base.json", kBase}, {"face/openapi.json", face}};
}

const std::vector<RouteInfo> kRoutes = {
    {"GET", "/things/{thing_id}", false},
    {"POST", "/open", true},
    {"GET", "/models/{model...}", false},
    {"GET", "/undocumented", false},
};

TEST(OpenApiAssembly, NamesUndocumentedRoutesAndStaleOperations) {
  auto srcs = sources();
  Assembly a = assemble(kRoutes, srcs);
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  EXPECT_EQ(a.undocumented, std::vector<std::string>{"GET /undocumented"});
  ASSERT_EQ(a.stale.size(), 1u);
  EXPECT_EQ(a.stale[0], "DELETE /gone (face/openapi.json)");
  EXPECT_FALSE(a.ok());
  // A stale operation is not served.
  EXPECT_FALSE(a.document.at("paths").as_object().contains("/gone"));
}

TEST(OpenApiAssembly, FillsInTagsSecurityParametersAndErrors) {
  auto srcs = sources();
  Assembly a = assemble(kRoutes, srcs);
  const auto& get = a.document.at("paths").at("/things/{thing_id}").at("get").as_object();
  EXPECT_EQ(get.at("tags"), json::array{"face"});
  EXPECT_EQ(get.at("security"), json::parse(R"([{"BearerAuth": []}])"));
  EXPECT_EQ(get.at("operationId"), "get_things_thing_id");
  const auto& param = get.at("parameters").as_array().at(0).as_object();
  EXPECT_EQ(param.at("name"), "thing_id");
  EXPECT_EQ(param.at("in"), "path");
  EXPECT_EQ(get.at("responses").at("default").at("$ref"), "#/components/responses/FaceError");
  EXPECT_EQ(get.at("responses").at("401").at("$ref"), "#/components/responses/FaceError");

  const auto& open = a.document.at("paths").at("/open").at("post").as_object();
  EXPECT_TRUE(open.at("security").as_array().empty()) << "a public route needs no credentials";
  EXPECT_EQ(open.at("operationId"), "open_it");
  EXPECT_FALSE(open.at("responses").as_object().contains("401"));

  // The router's wildcard is an ordinary OpenAPI parameter.
  EXPECT_TRUE(a.document.at("paths").as_object().contains("/models/{model}"));
  EXPECT_EQ(a.document.at("tags").at(0).at("name"), "face");
  EXPECT_TRUE(a.document.at("components").at("schemas").as_object().contains("FaceBody"));
}

TEST(OpenApiAssembly, RefusesComponentsDefinedTwiceAndMalformedFiles) {
  std::vector<EmbeddedSource> srcs = {{"openapi/base.json", kBase},
                                      {"face/openapi.json", kFace},
                                      {"other/openapi.json", kFace}};
  Assembly a = assemble(kRoutes, srcs);
  EXPECT_TRUE(std::any_of(a.errors.begin(), a.errors.end(), [](const std::string& e) {
    return e.find("FaceBody is already defined") != std::string::npos;
  }));
  EXPECT_TRUE(std::any_of(a.errors.begin(), a.errors.end(),
                          [](const std::string& e) { return e.find("described by two files") != std::string::npos; }));

  auto broken = sources("{not json");
  EXPECT_FALSE(assemble(kRoutes, broken).errors.empty());
  auto faceless = sources(R"({"paths": {}})");
  EXPECT_FALSE(assemble(kRoutes, faceless).errors.empty());
}

TEST(OpenApiAssembly, OpenApiPathDropsTheWildcardMark) {
  EXPECT_EQ(openapi_path("/ui/{path...}"), "/ui/{path}");
  EXPECT_EQ(openapi_path("/a/{b}/c"), "/a/{b}/c");
}

TEST(OpenApiEmbedded, EveryFaceHasItsFileAndTheDocsPage) {
  for (std::string_view face : {"native", "chatpdf", "nexus", "sherpa", "spherechat", "chatbot"}) {
    EXPECT_FALSE(embedded_source(std::string(face) + "/openapi.json").empty()) << face;
  }
  EXPECT_NE(embedded_source("openapi/docs.html").find("openapi.json"), std::string_view::npos);
  EXPECT_FALSE(embedded_source("openapi/base.json").empty());
}

TEST(OpenApiPostman, ExampleFollowsTheSchema) {
  auto srcs = sources();
  Assembly a = assemble(kRoutes, srcs);
  json::value example = example_of(json::parse(R"({"$ref": "#/components/schemas/FaceBody"})"), a.document);
  // Only the required properties of an object with required ones.
  EXPECT_EQ(example, json::parse(R"({"name": "string"})"));
  EXPECT_EQ(example_of(json::parse(R"({"type": ["integer", "null"]})"), a.document), json::value(0));
  EXPECT_EQ(example_of(json::parse(R"({"type": "string", "enum": ["b", "c"]})"), a.document), json::value("b"));
  EXPECT_EQ(example_of(json::parse(R"({"type": "string", "example": "x"})"), a.document), json::value("x"));
}

TEST(OpenApiPostman, FoldersPerTagAndRequestsPerOperation) {
  auto srcs = sources();
  Assembly a = assemble(kRoutes, srcs);
  json::object c = postman_collection(a.document);
  EXPECT_EQ(c.at("info").at("schema"), "https://schema.getpostman.com/json/collection/v2.1.0/collection.json");
  const auto& folders = c.at("item").as_array();
  ASSERT_EQ(folders.size(), 1u);
  EXPECT_EQ(folders[0].at("name"), "face");
  const auto& items = folders[0].at("item").as_array();
  ASSERT_EQ(items.size(), 3u);  // /things, /open, /models (the stale one is gone)
  bool saw_open = false;
  for (const auto& it : items) {
    const auto& req = it.at("request").as_object();
    if (req.at("url").at("raw") == "{{baseUrl}}/open") {
      saw_open = true;
      EXPECT_EQ(req.at("method"), "POST");
      EXPECT_EQ(req.at("auth").at("type"), "noauth");
      EXPECT_EQ(json::parse(req.at("body").at("raw").as_string()), json::parse(R"({"name": "string"})"));
    }
    if (req.at("url").at("raw") == "{{baseUrl}}/things/:thing_id") {
      EXPECT_EQ(req.at("url").at("variable").at(0).at("key"), "thing_id");
    }
  }
  EXPECT_TRUE(saw_open);
}

}  // namespace
}  // namespace docent::api::openapi
