#pragma once
// JSON at the edge: parse a request body with size and depth limits, then read it into typed
// structs. A wrong type is an error naming the field, never a silent default.
//
//   auto body = core::parse_json(req.body, 64);
//   if (!body) return render(body.error());
//   core::ObjectReader r(*body);
//   Echo e;
//   r.required("message", e.message);
//   r.optional("count", e.count);
//   if (!r.ok()) return render(r.error());

#include "core/error.h"

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::core {

// Parses text as one JSON value. Errors: Code::InvalidJson with the byte offset of the problem,
// or with "nesting deeper than N" when the depth limit is exceeded.
Result<boost::json::value> parse_json(std::string_view text, int max_depth = 64);

// Converts a JSON value to T. Returns false when the value has the wrong type; `expected`
// names the type for the error message ("a string", "an integer", ...).
bool json_to(const boost::json::value& v, std::string& out, std::string_view& expected);
bool json_to(const boost::json::value& v, bool& out, std::string_view& expected);
bool json_to(const boost::json::value& v, int64_t& out, std::string_view& expected);
bool json_to(const boost::json::value& v, int& out, std::string_view& expected);
bool json_to(const boost::json::value& v, double& out, std::string_view& expected);
bool json_to(const boost::json::value& v, boost::json::object& out, std::string_view& expected);
bool json_to(const boost::json::value& v, boost::json::array& out, std::string_view& expected);
bool json_to(const boost::json::value& v, boost::json::value& out, std::string_view& expected);
template <typename T>
bool json_to(const boost::json::value& v, std::vector<T>& out, std::string_view& expected) {
  if (!v.is_array()) {
    expected = "an array";
    return false;
  }
  out.clear();
  for (const auto& item : v.get_array()) {
    T element{};
    if (!json_to(item, element, expected)) return false;
    out.push_back(std::move(element));
  }
  return true;
}

// Reads the members of a JSON object into typed fields, remembering the first error.
// `prefix` makes nested field names read "options.count".
class ObjectReader {
 public:
  // An error if `v` is not an object; `ok()` is then false and every read is a no-op.
  explicit ObjectReader(const boost::json::value& v, std::string prefix = {});
  // The reader keeps a pointer into `v`: a temporary would dangle.
  explicit ObjectReader(boost::json::value&& v, std::string prefix = {}) = delete;

  // The member must be present and non-null, of type T.
  template <typename T>
  ObjectReader& required(std::string_view key, T& out) {
    const boost::json::value* v = find(key);
    if (!v) {
      if (ok()) fail(Code::MissingField, key, "is required");
      return *this;
    }
    convert(key, *v, out);
    return *this;
  }

  // Absent or null leaves `out` unset; otherwise the member must be of type T.
  template <typename T>
  ObjectReader& optional(std::string_view key, std::optional<T>& out) {
    if (const boost::json::value* v = find(key)) {
      T value{};
      if (convert(key, *v, value)) out = std::move(value);
    }
    return *this;
  }

  // Absent or null keeps `out`'s current (default) value.
  template <typename T>
  ObjectReader& optional(std::string_view key, T& out) {
    if (const boost::json::value* v = find(key)) convert(key, *v, out);
    return *this;
  }

  // Adds an error for a value that has the right type but is not acceptable.
  void invalid(std::string_view key, std::string_view why) { fail(Code::InvalidInput, key, why); }

  // Takes the first error of a reader of a nested value (one made with a prefix naming where
  // it is) unless this reader already has one.
  ObjectReader& merge(const ObjectReader& nested) {
    if (ok() && !nested.ok()) error_ = nested.error();
    return *this;
  }

  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }
  Status status() const { return ok() ? Status() : Status(*error_); }
  const boost::json::object* object() const { return object_; }

 private:
  const boost::json::value* find(std::string_view key) const;
  void fail(Code code, std::string_view key, std::string_view what);

  template <typename T>
  bool convert(std::string_view key, const boost::json::value& v, T& out) {
    if (!ok()) return false;
    std::string_view expected;
    if (json_to(v, out, expected)) return true;
    fail(Code::InvalidInput, key, std::string("must be ") + std::string(expected));
    return false;
  }

  const boost::json::object* object_ = nullptr;
  std::string prefix_;
  std::optional<Error> error_;
};

}  // namespace docent::core
