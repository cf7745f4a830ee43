// A small HTTP endpoint registry: exact method + path → handler returning a response. Unknown
// paths answer 404, known paths with another method 405 (with an Allow header). Built at
// start-up, then only read; lookups do not allocate.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_request_parser.hpp"
#include "net/http_response.hpp"

namespace hexwire::net {

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpRouter {
 public:
  /// Registers a handler. Throws std::invalid_argument when the same method and path are
  /// registered twice (a start-up bug the operator should see).
  void add(std::string method, std::string path, HttpHandler handler);

  /// The handler for exactly this method and path, or null.
  [[nodiscard]] const HttpHandler* find(std::string_view method,
                                        std::string_view path) const noexcept;

  /// Runs the matching handler, or builds 404 (no route for the path) / 405 (the path exists
  /// with other methods; Allow lists them). keep_alive is off when the request asked to close.
  [[nodiscard]] HttpResponse route(const HttpRequest& request) const;

  [[nodiscard]] std::size_t size() const noexcept { return routes_.size(); }

 private:
  struct Route {
    std::string method;
    std::string path;
    HttpHandler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace hexwire::net
