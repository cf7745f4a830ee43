// The lines a --processes child sends its parent: a sample decodes to exactly what was encoded
// (counters, errors, every histogram with its exact sum, min and max), the outcome round-trips
// (failure texts on one line), and malformed streams are refused with a reason.
#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/sample_wire.hpp"

using namespace hexwire::sim;

namespace {

/// Feeds text line by line; returns the events seen.
std::vector<SliceDecoder::Event> feed_all(SliceDecoder& decoder, const std::string& text,
                                          std::vector<IntervalSample>* samples = nullptr) {
  std::vector<SliceDecoder::Event> events;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    events.push_back(decoder.feed(line));
    if (events.back() == SliceDecoder::Event::kSample && samples != nullptr) {
      samples->push_back(decoder.take_sample());
    }
  }
  return events;
}

IntervalSample random_sample(std::uint64_t index, unsigned seed) {
  IntervalSample s;
  s.index = index;
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> latency(13.0, 1.2);
  for (std::size_t c = 0; c < kCounterCount; ++c) {
    s.counters[c] = rng() % 100'000;
  }
  s.errors[1] = 3;
  for (int i = 0; i < 5'000; ++i) {
    s.latency[i % 3].record(static_cast<std::uint64_t>(latency(rng)));
  }
  return s;
}

}  // namespace

TEST_CASE("a sample crosses the pipe exactly") {
  const IntervalSample a = random_sample(7, 1);
  const IntervalSample b = random_sample(8, 2);
  SliceDecoder decoder;
  std::vector<IntervalSample> got;
  feed_all(decoder, encode_sample(a) + encode_sample(b), &got);
  REQUIRE(got.size() == 2);
  for (std::size_t n = 0; n < 2; ++n) {
    const IntervalSample& want = n == 0 ? a : b;
    CHECK(got[n].index == want.index);
    CHECK(got[n].counters == want.counters);
    CHECK(got[n].errors == want.errors);
    for (std::size_t kind = 0; kind < kLatencyKindCount; ++kind) {
      const auto& h = got[n].latency[kind];
      const auto& w = want.latency[kind];
      CHECK(h.count() == w.count());
      CHECK(h.sum() == w.sum());
      CHECK(h.min() == w.min());
      CHECK(h.max() == w.max());
      CHECK(h.percentile(99.0) == w.percentile(99.0));
    }
  }
}

TEST_CASE("the outcome crosses the pipe, failure texts on one line") {
  SliceOutcome out;
  out.facts["chat reconnects (churn)"] = 12;
  out.facts["chat storm: connections dropped"] = 0;
  out.last_receive_ns = 123'456'789;
  out.peak_rss_kib = 20'132;
  out.first_connect_failure = "Connection refused";
  out.failure = "cannot bind\nsource";
  SliceDecoder decoder;
  const auto events = feed_all(decoder, encode_outcome(out));
  REQUIRE(events.back() == SliceDecoder::Event::kOutcome);
  const SliceOutcome& got = decoder.outcome();
  CHECK(got.facts == out.facts);
  CHECK(got.last_receive_ns == out.last_receive_ns);
  CHECK(got.peak_rss_kib == out.peak_rss_kib);
  CHECK(got.first_connect_failure == "Connection refused");
  CHECK(got.failure == "cannot bind source");
}

TEST_CASE("malformed streams are refused with a reason") {
  const std::vector<std::string> bad = {
      "S x",                                    // sample index not a number
      "S 1\nC 1 2",                             // too few counters
      "S 1\nH 99 0 0 0 1:1",                    // unknown latency kind
      "S 1\nH 0 10 5 3 10:1",                   // min above max
      "S 1\nH 0 10 1 3 999999999:1",            // bucket out of range
      "S 1\nF 1 fact",                          // a fact inside a sample
      "Q what",                                 // unknown tag
      "Fx",                                     // no space after the tag
      "R -5",                                   // negative time
  };
  for (const std::string& text : bad) {
    SliceDecoder decoder;
    const auto events = feed_all(decoder, text);
    INFO(text);
    CHECK(events.back() == SliceDecoder::Event::kError);
    CHECK_FALSE(decoder.error().empty());
  }
}
