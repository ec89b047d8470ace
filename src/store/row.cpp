#include "store/database.h"

#include <stdexcept>
#include <string>

namespace docent::store {

namespace {

const char* type_name(const Value& v) {
  switch (v.index()) {
    case 0: return "NULL";
    case 1: return "INTEGER";
    case 2: return "REAL";
    case 3: return "TEXT";
    default: return "BLOB";
  }
}

}  // namespace

Row::Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> values)
    : columns_(std::move(columns)), values_(std::move(values)) {}

const std::string& Row::column_name(size_t i) const {
  if (columns_ == nullptr || i >= columns_->size()) {
    throw std::out_of_range("row has no column " + std::to_string(i));
  }
  return (*columns_)[i];
}

std::optional<size_t> Row::find(std::string_view name) const {
  if (columns_ == nullptr) return std::nullopt;
  for (size_t i = 0; i < columns_->size(); ++i) {
    if ((*columns_)[i] == name) return i;
  }
  return std::nullopt;
}

size_t Row::index(std::string_view name) const {
  if (auto i = find(name)) return *i;
  throw std::out_of_range("row has no column named '" + std::string(name) + "'");
}

const Value& Row::value(size_t i) const {
  if (i >= values_.size()) throw std::out_of_range("row has no column " + std::to_string(i));
  return values_[i];
}

bool Row::is_null(size_t i) const { return std::holds_alternative<std::nullptr_t>(value(i)); }

int64_t Row::get_int(size_t i) const {
  const Value& v = value(i);
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (std::holds_alternative<std::nullptr_t>(v)) return 0;
  throw std::logic_error("column '" + column_name(i) + "' is " + type_name(v) + ", not INTEGER");
}

double Row::get_double(size_t i) const {
  const Value& v = value(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  if (std::holds_alternative<std::nullptr_t>(v)) return 0.0;
  throw std::logic_error("column '" + column_name(i) + "' is " + type_name(v) + ", not REAL");
}

const std::string& Row::get_text(size_t i) const {
  static const std::string kEmpty;
  const Value& v = value(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* b = std::get_if<Blob>(&v)) return b->bytes;
  if (std::holds_alternative<std::nullptr_t>(v)) return kEmpty;
  throw std::logic_error("column '" + column_name(i) + "' is " + type_name(v) + ", not TEXT");
}

std::optional<int64_t> Row::opt_int(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return get_int(i);
}

std::optional<double> Row::opt_double(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return get_double(i);
}

std::optional<std::string> Row::opt_text(size_t i) const {
  if (is_null(i)) return std::nullopt;
  return get_text(i);
}

}  // namespace docent::store
