// The building blocks composed the way hexwire-sim composes them, against an in-memory chat
// "engine" on a synthetic clock instead of sockets: open-loop schedule -> workload choice -> probe
// and request text -> (engine) -> server frames -> parser -> latency recorder + verifier -> report.
// A clean engine passes verification; one that drops a single delivery fails it.
#include <simdjson.h>
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/chat_workload.hpp"
#include "sim/latency_recorder.hpp"
#include "sim/report.hpp"
#include "sim/schedule.hpp"
#include "sim/verifier.hpp"
#include "sim/wire.hpp"

using namespace hexwire::sim;

namespace {

constexpr std::uint64_t kUs = 1000;
constexpr std::uint64_t kSecond = 1'000'000'000ull;

struct RunResult {
  VerificationSummary verification;
  IntervalSample totals;
  std::vector<IntervalRow> rows;
  std::uint64_t publishes = 0;
  std::uint64_t deliveries = 0;
};

// drop_delivery: index (over all deliveries) of one the engine loses; -1 for none.
RunResult run_chat(long drop_delivery) {
  const ChatWorkload chat(300, 30, 3, 1.1, 42);
  Verifier verifier;
  LatencyRecorder recorder(0);
  RunAggregator aggregator(1);
  IntervalSummarizer summarizer;
  RunResult result;

  for (std::uint32_t u = 0; u < chat.user_count(); ++u) {
    for (const std::uint32_t c : chat.channels_of(u)) {
      verifier.on_subscribed(u, c, 0);  // the engine's subbed reply said seq 0
    }
  }

  ArrivalSchedule schedule(ArrivalProcess::kPoisson, 2000.0, 0, 7, 3 * kSecond);
  Rng rng(11);
  std::vector<std::uint64_t> publish_counter(chat.user_count(), 0);
  std::vector<std::uint64_t> channel_seq(chat.channel_count(), 0);
  std::uint64_t engine_free_at = 0;
  long delivery_index = 0;

  std::string request;
  std::string frame;
  simdjson::dom::parser engine_parser;
  ServerFrameParser client_parser;
  ServerEvent event;

  while (schedule.next_ns() != kNever) {
    const std::uint64_t intended = schedule.pop();
    if (auto finished = recorder.roll(intended)) {
      aggregator.submit(0, std::move(*finished));
    }
    // Client: who publishes where, and the request text.
    const PublishChoice choice = chat.choose_publish(rng);
    const Probe probe{intended, choice.publisher, ++publish_counter[choice.publisher]};
    std::string channel_name;
    append_channel_name(channel_name, choice.channel);
    request.clear();
    encode_pub(request, intended, channel_name, probe, 64);
    verifier.on_publish_sent(PublishKey{probe.sender, probe.number}, choice.channel);
    recorder.count(Counter::kSent);
    ++result.publishes;

    // Engine: parse the request, sequence it, ack, fan out (50 us per publish, 1 us per delivery).
    simdjson::dom::element pub;
    REQUIRE(engine_parser.parse(request).get(pub) == simdjson::SUCCESS);
    const std::string channel{std::string_view(pub["channel"])};
    const auto channel_index = parse_indexed_name(channel, 'c');
    REQUIRE(channel_index.has_value());
    const std::uint64_t seq = ++channel_seq[*channel_index];
    const std::uint64_t start = std::max(intended, engine_free_at);
    std::uint64_t now = start + 50 * kUs;
    const std::string data{std::string_view(pub["data"])};

    frame = "{\"op\":\"ack\",\"id\":" + std::to_string(uint64_t(pub["id"])) + ",\"channel\":\"" +
            channel + "\",\"seq\":" + std::to_string(seq) + ",\"ts\":1}";
    REQUIRE(client_parser.parse(frame, event) == ParseStatus::kOk);
    REQUIRE(event.op == ServerOp::kAck);
    recorder.record(LatencyKind::kAck, event.id, now);
    verifier.on_ack(PublishKey{probe.sender, probe.number}, choice.channel, event.seq);

    for (const std::uint32_t member : chat.members_of(*channel_index)) {
      now += 1 * kUs;
      if (delivery_index++ == drop_delivery) {
        continue;
      }
      frame = "{\"op\":\"msg\",\"channel\":\"" + channel + "\",\"seq\":" + std::to_string(seq) +
              ",\"from\":\"u1\",\"ts\":1,\"data\":\"" + data + "\"}";
      REQUIRE(client_parser.parse(frame, event) == ParseStatus::kOk);
      REQUIRE(event.probe.has_value());
      recorder.record(LatencyKind::kDeliver, event.probe->intended_ns, now);
      recorder.count(Counter::kReceived);
      verifier.on_receive(member, *parse_indexed_name(event.channel, 'c'), event.seq,
                          PublishKey{event.probe->sender, event.probe->number});
      ++result.deliveries;
    }
    engine_free_at = now;
  }
  aggregator.submit(0, recorder.take());
  for (const IntervalSample& sample : aggregator.take_all()) {
    result.rows.push_back(summarizer.add(sample));
  }
  result.totals = aggregator.totals();
  result.verification = verifier.finish();
  return result;
}

}  // namespace

TEST_CASE("composed blocks: a clean in-memory chat run verifies and reports its numbers") {
  const RunResult run = run_chat(-1);
  CHECK(run.publishes > 5000);
  CHECK(run.verification.clean());
  CHECK(verification_exit_code(run.verification) == 0);
  CHECK(run.verification.publishes_acked == run.publishes);
  CHECK(run.verification.deliveries_expected == run.deliveries);
  CHECK(run.verification.deliveries_received == run.deliveries);
  CHECK(run.totals.histogram(LatencyKind::kAck).count() == run.publishes);
  CHECK(run.totals.histogram(LatencyKind::kDeliver).count() == run.deliveries);
  // Every ack takes at least the engine's 50 us; queueing behind big fan-outs adds more.
  CHECK(run.totals.histogram(LatencyKind::kAck).min() >= 49 * kUs);
  CHECK(run.rows.size() == 3);

  RunReport report;
  report.scenario = "chat";
  report.target = "in-memory";
  report.measured_duration_s = 3.0;
  report.totals = run.totals;
  report.intervals = run.rows;
  report.verification = run.verification;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(format_json_report(report)).get(doc) == simdjson::SUCCESS);
  CHECK(uint64_t(doc["latency_us"]["deliver"]["count"]) == run.deliveries);
  CHECK(bool(doc["verification"]["clean"]));
  CHECK(simdjson::dom::array(doc["intervals"]).size() == 3);
}

TEST_CASE("composed blocks: one delivery lost by the engine fails verification") {
  const RunResult run = run_chat(1234);
  CHECK_FALSE(run.verification.clean());
  CHECK(run.verification.lost == 1);
  CHECK(run.verification.duplicated == 0);
  CHECK(run.verification.unmatched == 0);
  CHECK(run.verification.deliveries_received + 1 == run.verification.deliveries_expected);
  CHECK(verification_exit_code(run.verification) == kVerifyFailedExitCode);
}
