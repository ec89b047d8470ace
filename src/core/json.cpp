#include "core/json.h"

#include <boost/json/parser.hpp>

#include <cmath>
#include <limits>

namespace docent::core {

namespace json = boost::json;

Result<json::value> parse_json(std::string_view text, int max_depth) {
  json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(max_depth);
  json::parser parser(json::storage_ptr(), opts);
  boost::system::error_code ec;
  std::size_t consumed = parser.write(text.data(), text.size(), ec);
  if (ec) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return Error(Code::InvalidJson, "request body is empty; expected JSON");
    }
    if (ec == json::error::too_deep) {
      return Error(Code::InvalidJson, "JSON nesting is deeper than " + std::to_string(max_depth));
    }
    return Error(Code::InvalidJson, "malformed JSON near byte " + std::to_string(consumed) + ": " + ec.message());
  }
  return parser.release();
}

bool json_to(const json::value& v, std::string& out, std::string_view& expected) {
  if (!v.is_string()) {
    expected = "a string";
    return false;
  }
  out.assign(v.get_string().data(), v.get_string().size());
  return true;
}

bool json_to(const json::value& v, bool& out, std::string_view& expected) {
  if (!v.is_bool()) {
    expected = "a boolean";
    return false;
  }
  out = v.get_bool();
  return true;
}

bool json_to(const json::value& v, int64_t& out, std::string_view& expected) {
  expected = "an integer";
  if (v.is_int64()) {
    out = v.get_int64();
    return true;
  }
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(v.get_uint64());
    return true;
  }
  if (v.is_double()) {  // 3.0 is an integer; 3.5 is not
    double d = v.get_double();
    if (std::trunc(d) != d || std::fabs(d) > 9.0e15) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

bool json_to(const json::value& v, int& out, std::string_view& expected) {
  int64_t wide = 0;
  if (!json_to(v, wide, expected)) return false;
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    expected = "an integer in the 32-bit range";
    return false;
  }
  out = static_cast<int>(wide);
  return true;
}

bool json_to(const json::value& v, double& out, std::string_view& expected) {
  if (!v.is_number()) {
    expected = "a number";
    return false;
  }
  out = v.to_number<double>();
  return true;
}

bool json_to(const json::value& v, json::object& out, std::string_view& expected) {
  if (!v.is_object()) {
    expected = "an object";
    return false;
  }
  out = v.get_object();
  return true;
}

bool json_to(const json::value& v, json::array& out, std::string_view& expected) {
  if (!v.is_array()) {
    expected = "an array";
    return false;
  }
  out = v.get_array();
  return true;
}

bool json_to(const json::value& v, json::value& out, std::string_view&) {
  out = v;
  return true;
}

ObjectReader::ObjectReader(const json::value& v, std::string prefix) : prefix_(std::move(prefix)) {
  if (v.is_object()) {
    object_ = &v.get_object();
  } else {
    error_ = Error(Code::InvalidInput,
                   prefix_.empty() ? std::string("request body must be a JSON object")
                                   : "field '" + prefix_ + "' must be an object",
                   prefix_);
  }
}

const json::value* ObjectReader::find(std::string_view key) const {
  if (!object_) return nullptr;
  const json::value* v = object_->if_contains(key);
  if (v && v->is_null()) return nullptr;
  return v;
}

void ObjectReader::fail(Code code, std::string_view key, std::string_view what) {
  if (error_) return;
  std::string field = prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  error_ = Error(code, "field '" + field + "' " + std::string(what), field);
}

}  // namespace docent::core
