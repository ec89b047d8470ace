#include "core/json.h"

#include <gtest/gtest.h>

namespace docent::core {
namespace {

struct Echo {
  std::string message;
  std::optional<int64_t> count;
  bool stream = false;
  std::vector<std::string> tags;
  double temperature = 1.0;
};

Result<Echo> read_echo(std::string_view text) {
  auto v = parse_json(text);
  if (!v) return v.error();
  Echo e;
  ObjectReader r(*v);
  r.required("message", e.message).optional("count", e.count).optional("stream", e.stream);
  r.optional("tags", e.tags).optional("temperature", e.temperature);
  if (!r.ok()) return r.error();
  return e;
}

TEST(Json, ReadsTypedFields) {
  auto e = read_echo(R"({"message":"hi","count":3,"stream":true,"tags":["a","b"],"temperature":0})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->message, "hi");
  EXPECT_EQ(e->count, 3);
  EXPECT_TRUE(e->stream);
  EXPECT_EQ(e->tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(e->temperature, 0.0);
}

TEST(Json, AbsentAndNullOptionalsKeepDefaults) {
  auto e = read_echo(R"({"message":"hi","count":null})");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->count.has_value());
  EXPECT_FALSE(e->stream);
  EXPECT_EQ(e->temperature, 1.0);
}

TEST(Json, WrongTypeIsAnErrorNamingTheField) {
  auto e = read_echo(R"({"message":"hi","stream":"yes"})");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Code::InvalidInput);
  EXPECT_EQ(e.error().field, "stream");
  EXPECT_EQ(e.error().message, "field 'stream' must be a boolean");
  EXPECT_EQ(read_echo(R"({"message":5})").error().message, "field 'message' must be a string");
  EXPECT_EQ(read_echo(R"({"message":"x","count":2.5})").error().field, "count");
  EXPECT_EQ(read_echo(R"({"message":"x","tags":["a",1]})").error().field, "tags");
  EXPECT_EQ(read_echo(R"({"message":"x","temperature":"hot"})").error().status(), 400);
}

TEST(Json, MissingRequiredFieldIsMissingField) {
  auto e = read_echo(R"({"count":1})");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Code::MissingField);
  EXPECT_EQ(e.error().field, "message");
  EXPECT_EQ(read_echo(R"({"message":null})").error().code, Code::MissingField);
}

TEST(Json, BodyMustBeAnObject) {
  EXPECT_EQ(read_echo(R"([1,2])").error().message, "request body must be a JSON object");
  EXPECT_EQ(read_echo(R"("text")").error().code, Code::InvalidInput);
}

TEST(Json, NestedReadersPrefixFieldNames) {
  auto v = parse_json(R"({"options":{"depth":"deep"}})");
  ASSERT_TRUE(v.ok());
  ObjectReader outer(*v);
  boost::json::value options;
  outer.required("options", options);
  ObjectReader inner(options, "options");
  int depth = 0;
  inner.required("depth", depth);
  ASSERT_FALSE(inner.ok());
  EXPECT_EQ(inner.error().field, "options.depth");
}

TEST(Json, IntegersAreRangeChecked) {
  auto v = parse_json(R"({"small":4294967296,"whole":3.0})");
  ASSERT_TRUE(v.ok());
  ObjectReader r(*v);
  int64_t whole = 0;
  r.required("whole", whole);
  EXPECT_EQ(whole, 3);
  int small = 0;
  r.required("small", small);
  EXPECT_FALSE(r.ok());
}

TEST(Json, MalformedAndDeepInputIsInvalidJson) {
  EXPECT_EQ(parse_json("{").error().code, Code::InvalidJson);
  EXPECT_EQ(parse_json("").error().message, "request body is empty; expected JSON");
  EXPECT_EQ(parse_json("{} {}").error().code, Code::InvalidJson);
  EXPECT_EQ(parse_json("[[[[1]]]]", 3).error().message, "JSON nesting is deeper than 3");
  EXPECT_TRUE(parse_json("[[[1]]]", 3).ok());
  EXPECT_EQ(parse_json("{\"a\":\"\xff\"}").error().code, Code::InvalidJson);  // invalid UTF-8
}

TEST(Json, InvalidLetsHandlersAddTheirOwnChecks) {
  auto v = parse_json(R"({"n":0})");
  ObjectReader r(*v);
  int n = 0;
  r.required("n", n);
  if (n < 1) r.invalid("n", "must be at least 1");
  EXPECT_EQ(r.error().message, "field 'n' must be at least 1");
  EXPECT_EQ(r.error().code, Code::InvalidInput);
}

TEST(Json, MergeTakesANestedReadersFirstErrorAndKeepsAnEarlierOne) {
  auto v = parse_json(R"({"items":[{"n":1},{"n":"two"}],"flag":"yes"})");
  ASSERT_TRUE(v);
  ObjectReader r(*v);
  {
    const auto& items = v->get_object().at("items").get_array();
    for (size_t i = 0; i < items.size(); ++i) {
      ObjectReader item(items[i], "items[" + std::to_string(i) + "]");
      int64_t n = 0;
      r.merge(item.required("n", n));
    }
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "items[1].n");
  EXPECT_EQ(r.error().code, Code::InvalidInput);

  // An error the outer reader already has wins over a nested one.
  ObjectReader first(*v);
  bool flag = false;
  first.optional("flag", flag);
  ObjectReader nested(v->get_object().at("items").get_array()[1], "items[1]");
  int64_t n = 0;
  first.merge(nested.required("n", n));
  EXPECT_EQ(first.error().field, "flag");
}

}  // namespace
}  // namespace docent::core
