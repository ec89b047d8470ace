#pragma once
// A Postman Collection (v2.1) made from the assembled OpenAPI document: one folder per tag (face),
// one request per operation with its method, a {{baseUrl}} URL, the collection's Bearer {{apiKey}}
// (no auth on public routes) and, for a JSON body, an example built from the operation's schema.

#include <boost/json.hpp>

namespace docent::api::openapi {

boost::json::object postman_collection(const boost::json::object& document);

// An example value for `schema`: its example, default, first enum value or const, else one made
// from its type (objects take their required properties, or all when none is required).
// `$ref`s are resolved against `document`; recursion stops at a depth of 8.
boost::json::value example_of(const boost::json::value& schema, const boost::json::object& document);

}  // namespace docent::api::openapi
