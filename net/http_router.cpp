// Endpoint registry: a linear scan over a handful of routes beats hashing at this size.
#include "net/http_router.hpp"

#include <stdexcept>

namespace hexwire::net {

void HttpRouter::add(std::string method, std::string path, HttpHandler handler) {
  if (find(method, path) != nullptr) {
    throw std::invalid_argument("HTTP route registered twice: " + method + " " + path);
  }
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler)});
}

const HttpHandler* HttpRouter::find(std::string_view method, std::string_view path) const noexcept {
  for (const auto& route : routes_) {
    if (route.path == path && route.method == method) {
      return &route.handler;
    }
  }
  return nullptr;
}

HttpResponse HttpRouter::route(const HttpRequest& request) const {
  if (const HttpHandler* handler = find(request.method, request.path)) {
    HttpResponse response = (*handler)(request);
    response.keep_alive = response.keep_alive && request.keep_alive;
    return response;
  }
  std::string allow;
  for (const auto& route : routes_) {
    if (route.path == request.path) {
      if (!allow.empty()) {
        allow += ", ";
      }
      allow += route.method;
    }
  }
  if (allow.empty()) {
    return make_status_response(404, request.keep_alive);
  }
  HttpResponse response = make_status_response(405, request.keep_alive);
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

}  // namespace hexwire::net
