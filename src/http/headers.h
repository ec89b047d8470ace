#pragma once
// Case-insensitive HTTP header list, independent of any HTTP library.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace docent::http {

bool iequals(std::string_view a, std::string_view b);

class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Appends a header, keeping any existing one with the same name.
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // Replaces every header with this name by one with this value.
  void set(std::string_view name, std::string value);
  void remove(std::string_view name);
  // The first value of a header, if present.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  const std::vector<Entry>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<Entry> items_;
};

}  // namespace docent::http
