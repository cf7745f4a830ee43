// permessage-deflate cost for JSON-like chat messages (~150-230 B): CPU ns per input byte and
// compressed/plain ratio, with and without context takeover, against framing the message
// uncompressed (the baseline). Usage: ws_deflate_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"

using namespace hexwire::net;

namespace {

/// Chat events with varied text drawn from a word list (seeded): 4096 distinct messages, far more
/// than a 32 KiB window holds, so context takeover cannot simply find the same message again.
std::vector<std::string> messages() {
  static const char* const kWords[] = {
      "the",    "meeting",  "moved",   "to",     "three",    "pm",       "see",     "you",
      "there",  "thanks",   "for",     "the",    "update",   "can",      "someone", "review",
      "my",     "pull",     "request", "lunch",  "today",    "?",        "on",      "my",
      "way",    "running",  "late",    "deploy", "finished", "green",    "build",   "ok",
      "great",  "idea",     "let's",   "ship",   "it",       "tomorrow", "morning", "coffee",
      "anyone", "incident", "resolved"};
  std::mt19937 rng(2026);
  std::vector<std::string> out;
  for (int i = 0; i < 4096; ++i) {
    std::string text;
    const int words = 4 + static_cast<int>(rng() % 12);
    for (int w = 0; w < words; ++w) {
      text += (w == 0 ? "" : " ");
      text += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    }
    out.push_back("{\"op\":\"msg\",\"channel\":\"team-" + std::to_string(rng() % 40) +
                  "\",\"seq\":" + std::to_string(100000 + i) + ",\"from\":\"user" +
                  std::to_string(rng() % 500) +
                  "\",\"ts\":" + std::to_string(1764320000000000ULL + rng() % 100000000) +
                  ",\"data\":{\"text\":\"" + text + "\"}}");
  }
  return out;
}

std::span<const std::byte> as_span(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

void BM_DeflateChatMessage(benchmark::State& state) {
  const bool no_context_takeover = state.range(0) != 0;
  const auto corpus = messages();
  WsDeflater deflater(15, no_context_takeover);
  std::vector<std::byte> out;
  std::size_t plain = 0;
  std::size_t compressed = 0;
  std::size_t index = 0;
  for (auto _ : state) {
    const std::string& message = corpus[index++ % corpus.size()];
    out.clear();
    deflater.compress(as_span(message), out);
    auto frame = encode_frame(Opcode::kText, out, FrameFlags{true, true});
    benchmark::DoNotOptimize(frame.data());
    plain += message.size();
    compressed += out.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(plain));
  state.counters["ratio"] = static_cast<double>(compressed) / static_cast<double>(plain);
  state.counters["ns_per_byte"] = benchmark::Counter(
      static_cast<double>(plain), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_InflateChatMessage(benchmark::State& state) {
  const bool no_context_takeover = state.range(0) != 0;
  const auto corpus = messages();
  WsDeflater deflater(15, no_context_takeover);
  std::vector<std::vector<std::byte>> compressed;
  for (const auto& message : corpus) {
    compressed.emplace_back();
    deflater.compress(as_span(message), compressed.back());
  }
  auto inflater = std::make_unique<WsInflater>(15, no_context_takeover);
  std::size_t plain = 0;
  std::size_t index = 0;
  std::vector<std::byte> out;
  for (auto _ : state) {
    if (index == compressed.size()) {
      // The compressed stream is in message order; start a fresh inflater to replay it.
      state.PauseTiming();
      inflater = std::make_unique<WsInflater>(15, no_context_takeover);
      index = 0;
      state.ResumeTiming();
    }
    out.clear();
    inflater->decompress(compressed[index++], 1 << 20, out);
    plain += out.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(plain));
  state.counters["ns_per_byte"] = benchmark::Counter(
      static_cast<double>(plain), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FrameUncompressedBaseline(benchmark::State& state) {
  const auto corpus = messages();
  std::size_t plain = 0;
  std::size_t index = 0;
  for (auto _ : state) {
    const std::string& message = corpus[index++ % corpus.size()];
    auto frame = encode_text_frame(message);
    benchmark::DoNotOptimize(frame.data());
    plain += message.size();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(plain));
  state.counters["ns_per_byte"] = benchmark::Counter(
      static_cast<double>(plain), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

// Arg: 0 = context takeover (default), 1 = no context takeover.
BENCHMARK(BM_DeflateChatMessage)->Arg(0)->Arg(1);
BENCHMARK(BM_InflateChatMessage)->Arg(0)->Arg(1);
BENCHMARK(BM_FrameUncompressedBaseline);
