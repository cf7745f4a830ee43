// UTF-8 validation throughput: the simdjson-backed streaming validator (fed in 4 KiB pieces, as
// from receive buffers) and the whole-buffer simdjson check, against a plain scalar validator, on
// ASCII JSON and on multilingual text. Usage: utf8_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <string>

#include "net/utf8.hpp"

using namespace hexwire::net;

namespace {

std::string make_text(bool multilingual, std::size_t size) {
  const std::string ascii =
      "{\"op\":\"pub\",\"id\":17,\"channel\":\"general\",\"data\":{\"text\":\"see you at 5\"}}";
  const std::string mixed =
      "{\"text\":\"caf\xC3\xA9 \xE2\x82\xAC 42 \xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 "
      "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\"}";
  const std::string& unit = multilingual ? mixed : ascii;
  std::string text;
  while (text.size() + unit.size() <= size) {
    text += unit;
  }
  while (text.size() < size) {
    text += ' ';
  }
  return text;
}

std::span<const std::byte> as_span(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

void BM_Utf8Streaming(benchmark::State& state) {
  const std::string text = make_text(state.range(1) != 0, static_cast<std::size_t>(state.range(0)));
  const auto bytes = as_span(text);
  for (auto _ : state) {
    Utf8StreamValidator validator;
    for (std::size_t at = 0; at < bytes.size(); at += 4096) {
      benchmark::DoNotOptimize(
          validator.feed(bytes.subspan(at, std::min<std::size_t>(4096, bytes.size() - at))));
    }
    benchmark::DoNotOptimize(validator.finish());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Utf8WholeSimdjson(benchmark::State& state) {
  const std::string text = make_text(state.range(1) != 0, static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(is_valid_utf8(as_span(text)));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Utf8ScalarBaseline(benchmark::State& state) {
  const std::string text = make_text(state.range(1) != 0, static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(is_valid_utf8_scalar(as_span(text)));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

// Args: {size, multilingual}
#define UTF8_ARGS        \
  ->Args({64, 0})        \
      ->Args({4096, 0})  \
      ->Args({65536, 0}) \
      ->Args({64, 1})    \
      ->Args({4096, 1})  \
      ->Args({65536, 1})
BENCHMARK(BM_Utf8Streaming) UTF8_ARGS;
BENCHMARK(BM_Utf8WholeSimdjson) UTF8_ARGS;
BENCHMARK(BM_Utf8ScalarBaseline) UTF8_ARGS;
