// Protocol hot paths against plain baselines in the same binary (so every claim is a ratio):
//  - parsing a `pub` with a 100-byte `data` object: OpParser (simdjson On-Demand, raw data span)
//    vs simdjson DOM (parse the tree, read the fields, re-serialise `data` with simdjson::minify);
//  - the `msg` event for N subscribers: encode ONCE into a shared frame and hand out references,
//    vs building a std::string with fmt (escaping strings) and a frame per subscriber.
// Usage: app_protocol_bench [--benchmark_filter=Parse|Encode]
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <simdjson.h>

#include <string>
#include <vector>

#include "app/protocol.hpp"
#include "app/protocol_encode.hpp"
#include "core/json_string.hpp"
#include "net/ws_frame.hpp"

using namespace hexwire;

namespace {

// data is exactly 100 bytes of JSON.
const std::string kData =
    R"({"text":"hello from the benchmark, a typical chat line here!!!!","mentions":["u2","u3"],"n":4200042})";
const std::string kPub = R"({"op":"pub","id":12345,"channel":"team.general","data":)" + kData + "}";

void BM_ParsePub_OnDemand(benchmark::State& state) {
  app::OpParser parser;
  for (auto _ : state) {
    app::ParseResult result = parser.parse(kPub);
    const auto& pub = std::get<app::PubOp>(result.op);
    benchmark::DoNotOptimize(pub.data.data());
    benchmark::DoNotOptimize(pub.channel.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPub.size()));
  state.counters["data_bytes"] = static_cast<double>(kData.size());
}
BENCHMARK(BM_ParsePub_OnDemand);

void BM_ParsePub_DomBaseline(benchmark::State& state) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(kPub);  // the DOM baseline gets its padding for free
  for (auto _ : state) {
    simdjson::dom::element root;
    if (parser.parse(padded).get(root)) {
      state.SkipWithError("parse failed");
      break;
    }
    std::string_view op;
    std::string_view channel;
    std::int64_t id = 0;
    simdjson::dom::element data;
    if (root["op"].get(op) || root["channel"].get(channel) || root["id"].get(id) ||
        root["data"].get(data)) {
      state.SkipWithError("field missing");
      break;
    }
    std::string data_text = simdjson::minify(data);  // DOM keeps no raw text: re-serialise
    benchmark::DoNotOptimize(data_text.data());
    benchmark::DoNotOptimize(channel.size());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kPub.size()));
}
BENCHMARK(BM_ParsePub_DomBaseline);

pubsub::Message sample_message() {
  pubsub::Message m;
  m.channel = "team.general";
  m.seq = 123456;
  m.ts_us = 1'800'000'000'123'456;
  m.from = "user-42";
  m.payload = core::SharedBuffer::copy_of(kData);
  return m;
}

void BM_EncodeMsg_OncePerShard(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const pubsub::Message message = sample_message();
  app::FrameWriter writer;
  std::vector<core::SharedBuffer> queued(subscribers);
  for (auto _ : state) {
    core::SharedBuffer frame = app::encode_msg(writer, message);
    for (std::size_t i = 0; i < subscribers; ++i) {
      queued[i] = frame;  // what send_frame keeps: a reference to the same bytes
    }
    benchmark::DoNotOptimize(queued.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * subscribers));
}
BENCHMARK(BM_EncodeMsg_OncePerShard)->Arg(1)->Arg(100)->Arg(1000);

void BM_EncodeMsg_FmtPerSubscriberBaseline(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const pubsub::Message message = sample_message();
  std::vector<core::SharedBuffer> queued(subscribers);
  {
    // Both encoders must produce the same bytes, or the comparison means nothing.
    app::FrameWriter writer;
    const std::string ours(app::encode_msg(writer, message).view());
    const std::string theirs(
        net::encode_text_frame(
            fmt::format(R"({{"op":"msg","channel":{},"seq":{},"from":{},"ts":{},"data":{}}})",
                        core::json_quoted(message.channel), message.seq,
                        core::json_quoted(message.from), message.ts_us, message.payload.view()))
            .view());
    if (ours != theirs) {
      state.SkipWithError("encoders disagree");
      return;
    }
  }
  for (auto _ : state) {
    for (std::size_t i = 0; i < subscribers; ++i) {
      const std::string text =
          fmt::format(R"({{"op":"msg","channel":{},"seq":{},"from":{},"ts":{},"data":{}}})",
                      core::json_quoted(message.channel), message.seq,
                      core::json_quoted(message.from), message.ts_us, message.payload.view());
      queued[i] = net::encode_text_frame(text);
    }
    benchmark::DoNotOptimize(queued.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * subscribers));
}
BENCHMARK(BM_EncodeMsg_FmtPerSubscriberBaseline)->Arg(1)->Arg(100)->Arg(1000);

}  // namespace
