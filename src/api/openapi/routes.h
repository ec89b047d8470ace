#pragma once
// The routes that publish the contract (all public, listed in app/routes.cpp kPublicRoutes):
//   GET /openapi.json                 the OpenAPI 3.1 document (native face)
//   GET /docs                         a page that reads /openapi.json and shows it (no CDN)
//   GET /swagger/v1/swagger.json      the same document, where SphereChat's seed names it
//   GET /api/postman-collection.json  the Postman Collection v2.1 made from it (SphereChat)
// Each body is built once, when the routes are registered, and answered with an ETag (a matching
// If-None-Match is 304).

#include "api/openapi/document.h"
#include "http/router.h"

#include <vector>

namespace docent::api::openapi {

// The router's routes as the assembler takes them.
std::vector<RouteInfo> route_infos(const http::Router& router);

// Adds the four routes, then assembles the document over every route of `router` (including
// them): register them after every other route. A description out of step with the route table
// (an undocumented route, a malformed file) is logged as a warning; the ctest openapi_contract
// fails on it.
void register_openapi_routes(http::Router& router);

}  // namespace docent::api::openapi
