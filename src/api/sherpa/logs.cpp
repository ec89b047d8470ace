#include "api/sherpa/logs.h"

#include "api/sherpa/errors.h"
#include "api/sherpa/format.h"
#include "core/json.h"

#include <boost/json.hpp>

#include <charconv>

namespace docent::api::sherpa {

namespace json = boost::json;
using core::Code;
using core::Error;
using http::Method;
using http::Request;
using http::Response;

namespace {

Response error(const Request& req, const Error& e) { return render_error(req, e); }

const json::value* member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && !v->is_null() ? v : nullptr;
}

// A level sent as a number (1) or as a name or digits in a string ("warn", "3").
core::Result<int> read_level(const json::value& v, const char* field) {
  std::optional<int> level;
  if (v.is_int64() || v.is_uint64()) {
    const int64_t n = v.is_int64() ? v.as_int64() : static_cast<int64_t>(std::min<uint64_t>(v.as_uint64(), 99));
    if (n >= 0 && n <= 5) level = static_cast<int>(n);
  } else if (v.is_string()) {
    level = services::parse_log_level(std::string_view(v.as_string()));
  }
  if (!level) {
    return Error(Code::InvalidInput,
                 std::string(field) + " must be 0-5 or one of trace, debug, info, warn, error, fatal", field);
  }
  return *level;
}

// Unix seconds sent as a number or as digits in a string (the seed writes "Time": "1590481487").
core::Result<int64_t> read_unix(const json::value& v, const char* field) {
  int64_t n = -1;
  if (v.is_int64()) {
    n = v.as_int64();
  } else if (v.is_string()) {
    const auto& s = v.as_string();
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) n = -1;
  }
  if (n < 0) return Error(Code::InvalidInput, std::string(field) + " must be a Unix timestamp in seconds", field);
  return n;
}

core::Result<int64_t> read_count(const json::value& v, const char* field) {
  if (!v.is_int64()) return Error(Code::InvalidInput, std::string(field) + " must be a whole number", field);
  return v.as_int64();
}

core::Result<std::string> read_text(const json::object& o, const char* field) {
  const json::value* v = member(o, field);
  if (!v) return Error(Code::MissingField, std::string(field) + " is required", field);
  if (!v->is_string()) return Error(Code::InvalidInput, std::string(field) + " must be a string", field);
  return std::string(v->as_string());
}

core::Result<json::object> body_object(const Request& req, const Context& ctx, bool empty_ok) {
  if (empty_ok && req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
  auto body = json_body(req, *ctx.config);
  if (!body) return body.error();
  if (empty_ok && body->is_array() && body->as_array().empty()) return json::object{};  // the seed's "[]"
  if (!body->is_object()) return Error(Code::InvalidInput, "the body must be a JSON object");
  return std::move(body->as_object());
}

json::object log_json(const services::RobotLog& l) {
  return json::object{
      {"id", std::to_string(l.id)},
      {"guid", l.guid},
      {"robot_id", l.robot_guid},
      {"process_version_id", l.process_version_guid},
      {"job_id", l.job_guid},
      {"RobotGUID", l.robot_guid},
      {"ProcessVersionGUID", l.process_version_guid},
      {"JobGUID", l.job_guid},
      {"Level", l.level},
      {"LevelName", services::log_level_name(l.level)},
      {"Message", l.message},
      {"created_at", seed_time(l.created_at)},
      {"updated_at", seed_time(l.updated_at)},
  };
}

core::Result<services::NewRobotLog> read_new_log(const json::object& o) {
  services::NewRobotLog in;
  for (auto [out, field] : {std::pair{&in.robot_guid, "RobotGUID"},
                            {&in.process_version_guid, "ProcessVersionGUID"},
                            {&in.job_guid, "JobGUID"}}) {
    auto v = read_text(o, field);
    if (!v) return v.error();
    *out = std::move(*v);
  }
  const json::value* level = member(o, "Level");
  if (!level) return Error(Code::MissingField, "Level is required", "Level");
  auto l = read_level(*level, "Level");
  if (!l) return l.error();
  in.level = *l;
  auto message = read_text(o, "Message");
  if (!message) return message.error();
  in.message = std::move(*message);
  return in;
}

core::Result<services::RobotLogFilter> read_filter(const json::object& o) {
  services::RobotLogFilter f;
  if (const auto* v = member(o, "Skip")) {
    auto n = read_count(*v, "Skip");
    if (!n) return n.error();
    f.skip = *n;
  }
  if (const auto* v = member(o, "Take")) {
    auto n = read_count(*v, "Take");
    if (!n) return n.error();
    f.take = *n;
  }
  if (const auto* v = member(o, "Level")) {
    auto l = read_level(*v, "Level");
    if (!l) return l.error();
    f.min_level = *l;
  }
  if (const auto* v = member(o, "Levels")) {
    if (!v->is_array()) return Error(Code::InvalidInput, "Levels must be a list of levels", "Levels");
    for (const auto& item : v->as_array()) {
      auto l = read_level(item, "Levels");
      if (!l) return l.error();
      f.levels.push_back(*l);
    }
  }
  for (auto [out, field] : {std::pair{&f.from_unix, "From"}, {&f.until_unix, "To"}}) {
    if (const auto* v = member(o, field)) {
      auto t = read_unix(*v, field);
      if (!t) return t.error();
      *out = *t;
    }
  }
  for (auto [out, field] : {std::pair{&f.robot_guid, "RobotGUID"},
                            {&f.process_version_guid, "ProcessVersionGUID"},
                            {&f.job_guid, "JobGUID"}}) {
    if (member(o, field)) {
      auto v = read_text(o, field);
      if (!v) return v.error();
      *out = std::move(*v);
    }
  }
  return f;
}

Response post_log_create(const Context& ctx, Request& req) {
  auto body = body_object(req, ctx, false);
  if (!body) return error(req, body.error());
  auto in = read_new_log(*body);
  if (!in) return error(req, in.error());
  auto made = ctx.robot_logs->create(principal(req), *in);
  if (!made) return error(req, made.error());
  return Response::json(200, json::object{{"guid", made->guid}, {"id", std::to_string(made->id)}});
}

Response get_log_read(const Context& ctx, Request& req) {
  auto log = ctx.robot_logs->get(principal(req), req.param("guid"));
  if (!log) return error(req, log.error());
  return Response::json(200, log_json(*log));
}

Response post_log_list(const Context& ctx, Request& req) {
  auto body = body_object(req, ctx, true);
  if (!body) return error(req, body.error());
  auto filter = read_filter(*body);
  if (!filter) return error(req, filter.error());
  auto page = ctx.robot_logs->list(principal(req), *filter);
  if (!page) return error(req, page.error());
  json::array data;
  for (const auto& l : page->items) data.push_back(log_json(l));
  return Response::json(200, json::object{{"result", 1},
                                          {"total", page->total},
                                          {"skip", filter->skip},
                                          {"take", filter->take},
                                          {"data", std::move(data)}});
}

Response delete_log_purge(const Context& ctx, Request& req) {
  auto body = body_object(req, ctx, false);
  if (!body) return error(req, body.error());
  const json::value* time = member(*body, "Time");
  if (!time) return error(req, Error(Code::MissingField, "Time is required", "Time"));
  auto before = read_unix(*time, "Time");
  if (!before) return error(req, before.error());
  auto n = ctx.robot_logs->purge(principal(req), *before);
  if (!n) return error(req, n.error());
  return Response::json(200, json::object{{"result", 1}, {"deleted", *n}});
}

}  // namespace

void register_log_routes(http::Router& router, const Context& ctx) {
  const http::ErrorRenderer* errors = &error_renderer();
  using Fn = Response (*)(const Context&, Request&);
  const struct {
    Method method;
    std::string_view pattern;
    Fn handler;
  } kRoutes[] = {
      {Method::Post, "/api/log/create", post_log_create},
      {Method::Get, "/api/log/read/{guid}", get_log_read},
      {Method::Post, "/api/log/list", post_log_list},
      {Method::Delete, "/api/log/purge", delete_log_purge},
  };
  for (const auto& r : kRoutes) {
    router.add(
        r.method, r.pattern, [ctx, fn = r.handler](Request& req) { return fn(ctx, req); }, {}, errors);
  }
}

}  // namespace docent::api::sherpa
