// Endpoint registry and response encoding: exact matches, 404, 405 with Allow, keep-alive.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "net/http_router.hpp"

using namespace hexwire::net;

namespace {
HttpRequest request_for(std::string method, std::string path, bool keep_alive = true) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.keep_alive = keep_alive;
  return request;
}
}  // namespace

TEST_CASE("router dispatches exact method and path, else 404 or 405") {
  HttpRouter router;
  router.add("GET", "/healthz", [](const HttpRequest&) {
    HttpResponse response;
    response.body = "ok\n";
    return response;
  });
  router.add("POST", "/api/echo", [](const HttpRequest& request) {
    HttpResponse response;
    response.body = request.body;
    return response;
  });
  router.add("GET", "/api/echo",
             [](const HttpRequest&) { return make_status_response(204, true); });
  CHECK(router.size() == 3);
  CHECK_THROWS_AS(router.add("GET", "/healthz", nullptr), std::invalid_argument);

  CHECK(router.route(request_for("GET", "/healthz")).body == "ok\n");
  CHECK(router.route(request_for("GET", "/healthz/")).status == 404);
  CHECK(router.route(request_for("GET", "/nope")).status == 404);
  const HttpResponse wrong = router.route(request_for("DELETE", "/api/echo"));
  CHECK(wrong.status == 405);
  REQUIRE(wrong.headers.size() == 1);
  CHECK(wrong.headers[0].first == "Allow");
  CHECK(wrong.headers[0].second == "POST, GET");
  CHECK_FALSE(router.route(request_for("GET", "/healthz", false)).keep_alive);
}

TEST_CASE("responses are encoded with status line, type, length and connection") {
  HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = "{\"a\":1}";
  response.headers.emplace_back("Cache-Control", "no-store");
  CHECK(encode_response(response).view() ==
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 7\r\n"
        "Connection: keep-alive\r\nCache-Control: no-store\r\n\r\n{\"a\":1}");
  const auto closing = encode_response(make_status_response(431, false));
  CHECK(
      closing.view() ==
      "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: 32\r\nConnection: close\r\n\r\nRequest Header Fields Too Large\n");
  CHECK(reason_phrase(413) == "Content Too Large");
  CHECK(reason_phrase(799) == "Unknown");
}
