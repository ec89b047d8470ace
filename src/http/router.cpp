#include "http/router.h"

#include <stdexcept>

namespace docent::http {

struct Router::Node {
  std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
  std::unique_ptr<Node> param;  // "{name}"
  std::string param_name;
  std::unique_ptr<Node> wildcard;  // "{name...}": matches the rest of the path
  std::string wildcard_name;
  std::map<Method, const Route*> routes;
};

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segs;
  size_t i = 0;
  if (!path.empty() && path[0] == '/') i = 1;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    segs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  // "/" is one empty segment; "/a/" keeps its trailing empty segment so it stays distinct.
  return segs;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;

const Route& Router::add(Method method, std::string_view pattern, Handler handler, RouteOptions options,
                         const ErrorRenderer* render_error) {
  if (pattern.empty() || pattern[0] != '/')
    throw std::invalid_argument("route must start with '/': " + std::string(pattern));
  auto segs = split_path(pattern);
  Node* node = root_.get();
  for (size_t i = 0; i < segs.size(); ++i) {
    std::string_view seg = segs[i];
    if (is_param(seg)) {
      std::string_view name = seg.substr(1, seg.size() - 2);
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        if (i + 1 != segs.size()) throw std::invalid_argument("wildcard must be last: " + std::string(pattern));
        name.remove_suffix(3);
        if (!node->wildcard) node->wildcard = std::make_unique<Node>();
        node->wildcard_name = std::string(name);
        node = node->wildcard.get();
        continue;
      }
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = std::string(name);
      } else if (node->param_name != name) {
        // One parameter name per position keeps matches unambiguous.
        throw std::invalid_argument("conflicting parameter names {" + node->param_name + "} and {" + std::string(name) +
                                    "} in " + std::string(pattern));
      }
      node = node->param.get();
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("malformed segment in route: " + std::string(pattern));
      }
      auto it = node->literals.find(seg);
      if (it == node->literals.end()) it = node->literals.emplace(std::string(seg), std::make_unique<Node>()).first;
      node = it->second.get();
    }
  }
  if (node->routes.count(method)) {
    throw std::invalid_argument("duplicate route: " + std::string(method_name(method)) + " " + std::string(pattern));
  }
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = std::string(pattern);
  route->handler = std::move(handler);
  route->options = options;
  route->render_error = render_error;
  node->routes[method] = route.get();
  routes_.push_back(std::move(route));
  return *routes_.back();
}

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

template <typename NodeT>
bool accepts(const NodeT* node, Method method) {
  return node->routes.count(method) || (method == Method::Head && node->routes.count(Method::Get));
}

// Depth-first: literal, then parameter, then wildcard. Returns the first node whose pattern
// matches the path and that accepts the method; `params` then holds its parameters. The first
// node that matches the path but not the method is kept in `path_only` (for a 405).
template <typename NodeT>
const NodeT* find_node(const NodeT* node, const std::vector<std::string_view>& segs, size_t i, std::string_view path,
                       size_t offset, Method method, Params& params, const NodeT*& path_only) {
  if (i == segs.size()) {
    if (node->routes.empty()) return nullptr;
    if (accepts(node, method)) return node;
    if (!path_only) path_only = node;
    return nullptr;
  }
  std::string_view seg = segs[i];
  size_t next_offset = offset + seg.size() + 1;
  if (auto it = node->literals.find(seg); it != node->literals.end()) {
    if (auto* found = find_node(it->second.get(), segs, i + 1, path, next_offset, method, params, path_only)) {
      return found;
    }
  }
  if (node->param && !seg.empty()) {
    params.emplace_back(node->param_name, std::string(seg));
    if (auto* found = find_node(node->param.get(), segs, i + 1, path, next_offset, method, params, path_only)) {
      return found;
    }
    params.pop_back();
  }
  if (node->wildcard && !node->wildcard->routes.empty()) {
    if (accepts(node->wildcard.get(), method)) {
      params.emplace_back(node->wildcard_name, std::string(path.substr(std::min(offset, path.size()))));
      return node->wildcard.get();
    }
    if (!path_only) path_only = node->wildcard.get();
  }
  return nullptr;
}

}  // namespace

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch m;
  auto segs = split_path(path);
  Params params;
  const Node* path_only = nullptr;
  size_t first = (!path.empty() && path[0] == '/') ? 1 : 0;
  const Node* node = find_node(root_.get(), segs, 0, path, first, method, params, path_only);
  if (!node) {
    if (path_only) {
      m.kind = RouteMatch::Kind::MethodNotAllowed;
      for (const auto& [allowed, _] : path_only->routes) m.allowed.push_back(allowed);
      m.path_route = path_only->routes.begin()->second;
    }
    return m;
  }
  auto it = node->routes.find(method);
  if (it == node->routes.end()) it = node->routes.find(Method::Get);  // HEAD served by GET
  m.kind = RouteMatch::Kind::Found;
  m.route = it->second;
  m.params = std::move(params);
  return m;
}

void Router::add_error_prefix(std::string_view prefix, const ErrorRenderer* renderer) {
  if (prefix.size() < 2 || prefix[0] != '/' || prefix.back() == '/') {
    throw std::invalid_argument("error prefix must be a path without a trailing '/': " + std::string(prefix));
  }
  if (!error_prefixes_.emplace(std::string(prefix), renderer).second) {
    throw std::invalid_argument("duplicate error prefix: " + std::string(prefix));
  }
}

const ErrorRenderer* Router::error_renderer_for(std::string_view path) const {
  // Try the path itself, then each shorter whole-segment prefix of it.
  for (std::string_view p = path; p.size() > 1;) {
    if (auto it = error_prefixes_.find(p); it != error_prefixes_.end()) return it->second;
    size_t slash = p.find_last_of('/');
    if (slash == std::string_view::npos || slash == 0) break;
    p = p.substr(0, slash);
  }
  return nullptr;
}

std::vector<const Route*> Router::routes() const {
  std::vector<const Route*> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back(r.get());
  return out;
}

}  // namespace docent::http
