// Decode + unmask throughput of WsFrameDecoder (word-wise in-place unmasking, zero-copy delivery)
// against a plain decoder that parses the same headers and unmasks byte by byte, for 16 B, 512 B,
// 4 KiB and 64 KiB client frames packed into ~1 MiB receive buffers. Also the bare masking kernels.
// Usage: ws_frame_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "net/ws_frame.hpp"

using namespace hexwire::net;

namespace {

struct Workload {
  std::vector<std::byte> wire;
  std::size_t payload_bytes = 0;
};

Workload make_workload(std::size_t frame_size) {
  Workload workload;
  std::mt19937_64 rng(1);
  MaskKeyGenerator keys(7);
  std::vector<std::byte> payload(frame_size);
  for (auto& b : payload) {
    b = static_cast<std::byte>(rng());
  }
  while (workload.wire.size() < (1u << 20)) {
    auto frame = encode_masked_frame(Opcode::kBinary, payload, keys);
    workload.wire.insert(workload.wire.end(), frame.data(), frame.data() + frame.size());
    workload.payload_bytes += frame_size;
  }
  return workload;
}

class CountingSink final : public WsFrameSink {
 public:
  void on_message(Opcode, std::span<std::byte> payload, bool) noexcept override {
    bytes += payload.size();
    benchmark::DoNotOptimize(payload.data());
  }
  void on_control(Opcode, std::span<const std::byte>) noexcept override {}
  void on_error(CloseCode, std::string_view) noexcept override { std::abort(); }
  std::size_t bytes = 0;
};

/// Baseline: the straightforward decoder (header parse, byte-at-a-time unmask, in place).
std::size_t decode_bytewise(std::byte* data, std::size_t size, CountingSink& sink) {
  std::size_t pos = 0;
  while (pos + 2 <= size) {
    const auto* h = reinterpret_cast<const std::uint8_t*>(data + pos);
    std::uint64_t length = h[1] & 0x7f;
    std::size_t header = 2;
    if (length == 126) {
      length = (std::uint64_t{h[2]} << 8) | h[3];
      header = 4;
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; ++i) {
        length = (length << 8) | h[2 + i];
      }
      header = 10;
    }
    MaskKey key;
    std::memcpy(key.data(), h + header, 4);
    header += 4;
    std::byte* payload = data + pos + header;
    for (std::size_t i = 0; i < length; ++i) {
      payload[i] ^= static_cast<std::byte>(key[i & 3]);
    }
    sink.on_message(static_cast<Opcode>(h[0] & 0x0f), {payload, static_cast<std::size_t>(length)},
                    true);
    pos += header + length;
  }
  return pos;
}

void BM_DecodeUnmask(benchmark::State& state) {
  Workload workload = make_workload(static_cast<std::size_t>(state.range(0)));
  WsDecoderOptions options;
  options.max_frame_payload = 1u << 20;
  WsFrameDecoder decoder(Role::kServer, options);
  CountingSink sink;
  for (auto _ : state) {
    // Unmasking in place flips the buffer between masked and clear; the work is the same.
    decoder.feed(workload.wire, sink);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * workload.payload_bytes));
  state.counters["frames/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * (workload.payload_bytes / state.range(0))),
      benchmark::Counter::kIsRate);
}

void BM_DecodeUnmaskBytewiseBaseline(benchmark::State& state) {
  Workload workload = make_workload(static_cast<std::size_t>(state.range(0)));
  CountingSink sink;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decode_bytewise(workload.wire.data(), workload.wire.size(), sink));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * workload.payload_bytes));
  state.counters["frames/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * (workload.payload_bytes / state.range(0))),
      benchmark::Counter::kIsRate);
}

void BM_UnmaskKernel(benchmark::State& state) {
  std::vector<std::byte> data(static_cast<std::size_t>(state.range(0)) + 1);
  const MaskKey key = {1, 2, 3, 4};
  for (auto _ : state) {
    apply_mask(data.data() + 1, data.size() - 1, key, 0);  // deliberately misaligned
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_UnmaskKernelBytewiseBaseline(benchmark::State& state) {
  std::vector<std::byte> data(static_cast<std::size_t>(state.range(0)) + 1);
  const MaskKey key = {1, 2, 3, 4};
  for (auto _ : state) {
    apply_mask_bytewise(data.data() + 1, data.size() - 1, key, 0);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

BENCHMARK(BM_DecodeUnmask)->Arg(16)->Arg(512)->Arg(4096)->Arg(65536);
BENCHMARK(BM_DecodeUnmaskBytewiseBaseline)->Arg(16)->Arg(512)->Arg(4096)->Arg(65536);
BENCHMARK(BM_UnmaskKernel)->Arg(16)->Arg(512)->Arg(4096)->Arg(65536);
BENCHMARK(BM_UnmaskKernelBytewiseBaseline)->Arg(16)->Arg(512)->Arg(4096)->Arg(65536);
