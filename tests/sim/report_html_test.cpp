// What the HTML report is drawn from: the JSON report's full histograms (every bucket, counts
// adding up to the samples), per-second p90/p99.9 and errors by kind, the report check that
// refuses what is not a report, and the page embedding the JSON safely with its assets inlined.
#include <simdjson.h>
#include <catch2/catch.hpp>

#include <string>

#include "sim/report.hpp"
#include "sim/report_html.hpp"

using namespace hexwire::sim;

namespace {

RunReport report_with_samples() {
  LatencyRecorder recorder(0);
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    recorder.record(LatencyKind::kAck, 0, i * 10'000);  // 10 us .. 10 ms
  }
  recorder.count(Counter::kSent, 1000);
  recorder.error(ErrorKind::kTimeout, 3);
  RunReport report;
  report.scenario = "chat";
  report.target = "ws://127.0.0.1:1/ws</script><script>alert(1)</script>";
  IntervalSample sample = recorder.take();
  IntervalSummarizer rows;
  report.intervals.push_back(rows.add(sample));
  report.totals = std::move(sample);
  return report;
}

}  // namespace

TEST_CASE("the JSON report carries every histogram bucket and per-second detail") {
  const std::string json = format_json_report(report_with_samples());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  simdjson::dom::array buckets = doc["latency_histograms_us"]["ack"]["buckets"];
  std::uint64_t total = 0;
  double previous_upper = -1;
  for (simdjson::dom::element b : buckets) {
    simdjson::dom::array bucket = b;
    const double lower = bucket.at(0);
    const double upper = bucket.at(1);
    CHECK(lower <= upper);
    CHECK(lower > previous_upper);  // ascending, not overlapping
    previous_upper = upper;
    total += std::uint64_t(bucket.at(2));
  }
  CHECK(total == 1000);
  CHECK(double(buckets.at(0).at(0)) == Approx(10.0).epsilon(0.01));
  simdjson::dom::element second = simdjson::dom::array(doc["intervals"]).at(0);
  CHECK(double(second["ack"]["p90"]) == Approx(9000.0).epsilon(0.01));
  CHECK(double(second["ack"]["p99_9"]) == Approx(9990.0).epsilon(0.01));
  CHECK(std::uint64_t(second["errors_by_kind"]["timeout"]) == 3);
}

TEST_CASE("only hexwire-sim reports are accepted for HTML") {
  CHECK(check_report_json(format_json_report(report_with_samples())).empty());
  CHECK(check_report_json("{\"schema\":\"other/1\"}").find("not a hexwire-sim report") !=
        std::string::npos);
  CHECK(check_report_json("{\"a\":1}").find("no \"schema\"") != std::string::npos);
  CHECK(check_report_json("[1,2]") == "not a JSON object");
  const std::string json = format_json_report(report_with_samples());
  CHECK(check_report_json(json.substr(0, json.size() / 2)).find("not valid JSON") !=
        std::string::npos);
}

TEST_CASE("the HTML page embeds each report without letting its text end the script") {
  const std::string json = format_json_report(report_with_samples());
  const std::string html = render_html_report({{"a.json", json}, {"b.json", json}});
  CHECK(html.find("<!doctype html>") == 0);
  CHECK(html.find("2 runs compared") != std::string::npos);
  // The only </script> tags are the three the page itself closes.
  std::size_t closes = 0;
  for (std::size_t at = html.find("</script>"); at != std::string::npos;
       at = html.find("</script>", at + 1)) {
    ++closes;
  }
  CHECK(closes == 3);
  CHECK(html.find("\\u003c/script>\\u003cscript>alert(1)") != std::string::npos);
  CHECK(html.find("uPlot") != std::string::npos);          // the library is inlined
  CHECK(html.find("hexwireReport") != std::string::npos);  // and the report script
  CHECK(html.find("src=\"http") == std::string::npos);     // nothing is fetched
}
