// Cost of accepting a WebSocket: parse a browser-like upgrade request, validate it, compute the
// accept key and build the 101 — against parsing a plain GET of the same size (the baseline), and
// the SHA-1 accept key alone. Usage: ws_handshake_bench
#include <benchmark/benchmark.h>

#include <string>

#include "net/http_request_parser.hpp"
#include "net/ws_handshake.hpp"

using namespace hexwire::net;

namespace {

const std::string kUpgrade =
    "GET /ws?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.sig HTTP/1.1\r\n"
    "Host: localhost:8080\r\n"
    "Connection: Upgrade\r\n"
    "Pragma: no-cache\r\n"
    "Cache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36\r\n"
    "Upgrade: websocket\r\n"
    "Origin: http://localhost:8080\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Accept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: hexwire.v1\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";

std::string plain_get_of_same_size() {
  std::string text = "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\nX-Pad: ";
  text += std::string(kUpgrade.size() - text.size() - 4, 'a');
  text += "\r\n\r\n";
  return text;
}

void BM_HandshakeParseValidateRespond(benchmark::State& state) {
  HandshakeConfig config;
  config.deflate.enabled = true;
  for (auto _ : state) {
    HttpRequestParser parser;
    if (parser.feed(kUpgrade) != HttpParseStatus::kComplete) {
      state.SkipWithError("parse failed");
      break;
    }
    const HandshakeOutcome outcome = validate_upgrade(parser.request(), config);
    auto response = build_upgrade_response(outcome);
    benchmark::DoNotOptimize(response.data());
  }
}

void BM_HttpParsePlainGetBaseline(benchmark::State& state) {
  const std::string text = plain_get_of_same_size();
  for (auto _ : state) {
    HttpRequestParser parser;
    if (parser.feed(text) != HttpParseStatus::kComplete) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(parser.request().path.data());
  }
}

void BM_HttpParseUpgradeOnly(benchmark::State& state) {
  for (auto _ : state) {
    HttpRequestParser parser;
    benchmark::DoNotOptimize(parser.feed(kUpgrade));
  }
}

void BM_AcceptKey(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==").data());
  }
}

}  // namespace

BENCHMARK(BM_HandshakeParseValidateRespond);
BENCHMARK(BM_HttpParseUpgradeOnly);
BENCHMARK(BM_HttpParsePlainGetBaseline);
BENCHMARK(BM_AcceptKey);
