// Latency recording: the open-loop proof at unit level (a 100 ms server stall on a synthetic clock
// must show in p99 when latency is measured from the intended send time, and is hidden when it is
// measured closed-loop), per-second intervals, and merging across workers.
#include "sim/latency_recorder.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/schedule.hpp"

using namespace hexwire::sim;

namespace {
constexpr std::uint64_t kMs = 1'000'000ull;
constexpr std::uint64_t kSecond = 1000 * kMs;

// A single-threaded echo "server" on a synthetic clock: 100 us per request, FIFO, and frozen
// during [stall_from, stall_until).
struct StallingServer {
  std::uint64_t stall_from;
  std::uint64_t stall_until;
  std::uint64_t free_at = 0;

  std::uint64_t complete(std::uint64_t arrival_ns) {
    std::uint64_t start = std::max(arrival_ns, free_at);
    if (start >= stall_from && start < stall_until) {
      start = stall_until;
    }
    free_at = start + 100'000;
    return free_at;
  }
};
}  // namespace

TEST_CASE("a 100 ms server stall shows in p99 when measured from intended send times") {
  const std::uint64_t run_start = 10 * kSecond;  // arbitrary monotonic origin
  StallingServer server{run_start + 2 * kSecond, run_start + 2 * kSecond + 100 * kMs};
  ArrivalSchedule schedule(ArrivalProcess::kConstant, 1000.0, run_start, 1,
                           run_start + 5 * kSecond);
  LatencyRecorder open_loop(run_start);
  RunAggregator aggregator(1);

  // Closed-loop baseline (what a client that waits for each reply measures): it can only send the
  // next request after the previous reply, and it times each request from its actual send.
  LatencyRecorder closed_loop(run_start);
  StallingServer closed_server = server;
  std::uint64_t previous_reply = 0;

  while (schedule.next_ns() != kNever) {
    const std::uint64_t intended = schedule.pop();
    if (auto finished = open_loop.roll(intended)) {
      aggregator.submit(0, std::move(*finished));
    }
    open_loop.record(LatencyKind::kRtt, intended, server.complete(intended));
    open_loop.count(Counter::kSent);
    open_loop.count(Counter::kReceived);

    const std::uint64_t actual_send = std::max(intended, previous_reply);
    previous_reply = closed_server.complete(actual_send);
    closed_loop.record(LatencyKind::kRtt, actual_send, previous_reply);
  }
  aggregator.submit(0, open_loop.take());

  const IntervalSample totals = aggregator.totals();
  const auto& rtt = totals.histogram(LatencyKind::kRtt);
  REQUIRE(rtt.count() == 4999);
  // ~100 of 5000 requests (2%) were scheduled during the stall and waited up to 100 ms.
  CHECK(rtt.max() >= 99 * kMs);
  CHECK(rtt.percentile(99) >= 40 * kMs);
  CHECK(rtt.percentile(50) < 1 * kMs);
  CHECK(totals.counter(Counter::kSent) == 4999);

  // Coordinated omission: the closed-loop client saw the stall only once.
  const auto& hidden = closed_loop.current().histogram(LatencyKind::kRtt);
  CHECK(hidden.max() >= 99 * kMs);
  CHECK(hidden.percentile(99) < 1 * kMs);

  // The per-second rows put the stall in second 2 only.
  const std::vector<IntervalSample> rows = aggregator.take_all();
  REQUIRE(rows.size() == 5);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(i);
    CHECK(rows[i].index == i);
    const std::uint64_t p99 = rows[i].histogram(LatencyKind::kRtt).percentile(99);
    if (i == 2) {
      CHECK(p99 >= 90 * kMs);
    } else {
      CHECK(p99 < 1 * kMs);
    }
  }
}

TEST_CASE("record charges latency from the intended time and clamps early completions to 0") {
  LatencyRecorder recorder(0);
  recorder.record(LatencyKind::kAck, 1000, 251'000);
  recorder.record(LatencyKind::kAck, 5000, 4000);
  const auto& ack = recorder.current().histogram(LatencyKind::kAck);
  CHECK(ack.count() == 2);
  CHECK(ack.min() == 0);
  CHECK(ack.max() == Approx(250'000).epsilon(0.01));
  CHECK(recorder.current().histogram(LatencyKind::kRtt).count() == 0);
}

TEST_CASE("roll hands over one interval per second, covering seconds the worker slept through") {
  LatencyRecorder recorder(kSecond);
  CHECK_FALSE(recorder.roll(kSecond + 500 * kMs).has_value());
  recorder.count(Counter::kSent, 3);
  recorder.error(ErrorKind::kTimeout);
  auto first = recorder.roll(2 * kSecond);
  REQUIRE(first.has_value());
  CHECK(first->index == 0);
  CHECK(first->counter(Counter::kSent) == 3);
  CHECK(first->error(ErrorKind::kTimeout) == 1);
  CHECK(first->error_total() == 1);
  CHECK(recorder.current().index == 1);
  CHECK(recorder.current().counter(Counter::kSent) == 0);
  auto second = recorder.roll(5 * kSecond + 1);  // slept through seconds 2 and 3
  REQUIRE(second.has_value());
  CHECK(second->index == 1);
  CHECK(recorder.current().index == 4);
}

TEST_CASE("the aggregator merges workers per second and emits a second only when all reported") {
  RunAggregator aggregator(2);
  LatencyRecorder a(0);
  LatencyRecorder b(0);
  a.record(LatencyKind::kDeliver, 0, 1 * kMs);
  a.count(Counter::kConnectsOpened, 10);
  b.record(LatencyKind::kDeliver, 0, 3 * kMs);
  b.count(Counter::kConnectsOpened, 5);
  b.count(Counter::kConnectsClosed, 2);

  aggregator.submit(0, *a.roll(kSecond + 1));
  CHECK(aggregator.take_completed().empty());  // worker 1 has not reported second 0 yet
  aggregator.submit(1, *b.roll(kSecond + 2));
  std::vector<IntervalSample> rows = aggregator.take_completed();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].index == 0);
  CHECK(rows[0].histogram(LatencyKind::kDeliver).count() == 2);
  CHECK(rows[0].counter(Counter::kConnectsOpened) == 15);
  CHECK(aggregator.open_connections() == 13);

  // Worker 0 goes quiet through seconds 1-2, then reports second 3: seconds 1 and 2 come out as
  // rows (empty for worker 0) once worker 1 has caught up too.
  a.record(LatencyKind::kDeliver, kSecond, kSecond + 2 * kMs);
  aggregator.submit(0, *a.roll(4 * kSecond));  // interval 1 of worker 0
  a.record(LatencyKind::kDeliver, 4 * kSecond, 4 * kSecond + kMs);
  aggregator.submit(0, *a.roll(5 * kSecond));      // interval 4
  aggregator.submit(1, *b.roll(3 * kSecond + 5));  // interval 1 of worker 1 (empty)
  rows = aggregator.take_completed();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].index == 1);
  aggregator.submit(1, *b.roll(5 * kSecond));  // interval 3
  rows = aggregator.take_completed();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].index == 2);
  CHECK(rows[1].index == 3);
  CHECK(rows[0].histogram(LatencyKind::kDeliver).count() == 0);
  rows = aggregator.take_all();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].index == 4);
  CHECK(aggregator.totals().histogram(LatencyKind::kDeliver).count() == 4);

  // A late submission for an emitted second still counts in the totals.
  LatencyRecorder late(0);
  late.record(LatencyKind::kDeliver, 0, kMs);
  aggregator.submit(1, late.take());
  CHECK(aggregator.totals().histogram(LatencyKind::kDeliver).count() == 5);
  CHECK(aggregator.take_all().empty());
}

TEST_CASE("kind, counter and error names are stable (they are CSV and JSON keys)") {
  CHECK(to_string(LatencyKind::kRtt) == "rtt");
  CHECK(to_string(LatencyKind::kAck) == "ack");
  CHECK(to_string(LatencyKind::kDeliver) == "deliver");
  CHECK(to_string(LatencyKind::kMatch) == "match");
  CHECK(to_string(LatencyKind::kConnect) == "connect");
  CHECK(to_string(Counter::kSent) == "sent");
  CHECK(to_string(ErrorKind::kServerError) == "server_error");
}
