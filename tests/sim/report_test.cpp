// Report rendering: the JSON report parses (simdjson) and carries the recorded numbers, the CSV has
// one fixed-width row per second, the progress line and final table show what happened, and the
// unit formatting is readable.
#include "sim/report.hpp"

#include <simdjson.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

using namespace hexwire::sim;

namespace {
constexpr std::uint64_t kMs = 1'000'000ull;

RunReport sample_report() {
  LatencyRecorder recorder(0);
  for (std::uint64_t i = 1; i <= 1000; ++i) {
    recorder.record(LatencyKind::kRtt, 0, i * 1000);  // 1 us .. 1 ms
  }
  recorder.record(LatencyKind::kDeliver, 0, 250 * kMs);
  recorder.count(Counter::kSent, 1000);
  recorder.count(Counter::kReceived, 1001);
  recorder.count(Counter::kConnectsOpened, 10);
  recorder.error(ErrorKind::kTimeout, 2);
  recorder.error(ErrorKind::kServerError, 1);

  RunReport report;
  report.scenario = "echo";
  report.target = "ws://127.0.0.1:9000/echo \"quoted\"";
  report.arrival = "poisson";
  report.seed = 7;
  report.planned_duration_s = 10.0;
  report.measured_duration_s = 10.0;
  report.settings = {{"rate", "100"}, {"connections", "10"}};
  IntervalSample sample = recorder.take();
  IntervalSummarizer rows;
  report.intervals.push_back(rows.add(sample));
  report.totals = std::move(sample);
  return report;
}
}  // namespace

TEST_CASE("the JSON report is valid and contains the recorded numbers") {
  RunReport report = sample_report();
  VerificationSummary verification;
  verification.publishes_sent = 5;
  verification.lost = 1;
  report.verification = verification;
  const std::string json = format_json_report(report);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(std::string_view(doc["schema"]) == kReportSchema);
  CHECK(std::string_view(doc["scenario"]) == "echo");
  CHECK(std::string_view(doc["target"]) == report.target);
  CHECK(int64_t(doc["seed"]) == 7);
  CHECK(double(doc["duration_s"]["measured"]) == 10.0);
  CHECK(std::string_view(doc["settings"]["rate"]) == "100");
  CHECK(int64_t(doc["counters"]["sent"]) == 1000);
  CHECK(int64_t(doc["counters"]["received"]) == 1001);
  CHECK(double(doc["rates_per_s"]["sent"]) == Approx(100.0));

  const auto rtt = doc["latency_us"]["rtt"];
  CHECK(int64_t(rtt["count"]) == 1000);
  CHECK(double(rtt["p50"]) == Approx(500.0).epsilon(0.01));
  CHECK(double(rtt["p99"]) == Approx(990.0).epsilon(0.01));
  CHECK(double(rtt["max"]) == Approx(1000.0).epsilon(0.01));
  CHECK(double(rtt["min"]) == Approx(1.0).epsilon(0.01));
  CHECK(double(rtt["mean"]) == Approx(500.5).epsilon(0.01));
  CHECK(double(doc["latency_us"]["deliver"]["max"]) == Approx(250'000.0).epsilon(0.01));
  simdjson::dom::element absent;
  CHECK(doc["latency_us"]["match"].get(absent) == simdjson::NO_SUCH_FIELD);  // no samples

  CHECK(int64_t(doc["errors"]["timeout"]) == 2);
  CHECK(int64_t(doc["errors"]["server_error"]) == 1);
  CHECK(int64_t(doc["errors"]["total"]) == 3);
  CHECK(bool(doc["verification"]["clean"]) == false);
  CHECK(int64_t(doc["verification"]["lost"]) == 1);

  simdjson::dom::array intervals = doc["intervals"];
  REQUIRE(intervals.size() == 1);
  CHECK(int64_t(intervals.at(0)["connections"]) == 10);
  CHECK(int64_t(intervals.at(0)["rtt"]["count"]) == 1000);
}

TEST_CASE("the JSON report is valid with no samples, no settings and no verification") {
  RunReport empty;
  empty.scenario = "chat";
  const std::string json = format_json_report(empty);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  CHECK(doc["verification"].is_null());
  CHECK(simdjson::dom::object(doc["latency_us"]).size() == 0);
  CHECK(simdjson::dom::array(doc["intervals"]).size() == 0);
}

TEST_CASE("acks, deliveries and unsent sends are reported on their own") {
  LatencyRecorder recorder(0);
  recorder.count(Counter::kSent, 100);
  recorder.count(Counter::kAcks, 100);
  recorder.count(Counter::kDeliveries, 7900);
  recorder.count(Counter::kReceived, 8000);
  recorder.error(ErrorKind::kUnsent, 3);
  RunReport report;
  report.scenario = "chat";
  report.measured_duration_s = 2.0;
  IntervalSample sample = recorder.take();
  IntervalSummarizer rows;
  report.intervals.push_back(rows.add(sample));
  report.totals = std::move(sample);

  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(format_json_report(report)).get(doc) == simdjson::SUCCESS);
  CHECK(int64_t(doc["counters"]["acks"]) == 100);
  CHECK(int64_t(doc["counters"]["deliveries"]) == 7900);
  CHECK(double(doc["rates_per_s"]["deliveries"]) == Approx(3950.0));
  CHECK(double(doc["rates_per_s"]["acks"]) == Approx(50.0));
  CHECK(int64_t(doc["errors"]["unsent"]) == 3);
  CHECK(int64_t(doc["errors"]["total"]) == 3);
  CHECK(int64_t(doc["intervals"].at(0)["deliveries"]) == 7900);
  CHECK(int64_t(doc["intervals"].at(0)["acks"]) == 100);
  CHECK(int64_t(doc["intervals"].at(0)["unsent"]) == 3);

  // New CSV columns come last, so the columns of older files keep their positions.
  const std::string header = csv_header();
  const std::string row = csv_row(report.intervals[0]);
  CHECK(header.find("errors_verify,rtt_count") != std::string::npos);
  CHECK(header.find(",connect_max_us,acks,deliveries,errors_unsent,subscribe_count,") !=
        std::string::npos);
  CHECK(header.ends_with(",subscribe_max_us\n"));
  CHECK(row.find(",100,7900,3,0,") != std::string::npos);  // then the subscribe columns, empty

  const std::string line = format_progress_line(report.intervals[0], 2.0, 0);
  CHECK(line.find("(acks 100/s, deliveries 7.90k/s)") != std::string::npos);
  CHECK(line.find("unsent 3") != std::string::npos);
  const std::string table = format_final_table(report);
  CHECK(table.find("deliveries") != std::string::npos);
  CHECK(table.find("unsent") != std::string::npos);
}

TEST_CASE("rides verification joins the report's verification object") {
  RunReport report;
  report.scenario = "mixed";
  report.verification = VerificationSummary{};
  RidesVerificationSummary rides;
  rides.requests = 4;
  rides.matched = 3;
  rides.double_booked = 1;
  report.rides_verification = rides;
  CHECK(report.verification_exit_code() == kVerifyFailedExitCode);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(format_json_report(report)).get(doc) == simdjson::SUCCESS);
  CHECK_FALSE(bool(doc["verification"]["clean"]));
  CHECK(int64_t(doc["verification"]["lost"]) == 0);  // the chat part is there and clean
  CHECK_FALSE(bool(doc["verification"]["rides"]["clean"]));
  CHECK(int64_t(doc["verification"]["rides"]["double_booked"]) == 1);
  CHECK(int64_t(doc["verification"]["rides"]["matched"]) == 3);
  CHECK(format_final_table(report).find("verify rides: FAILED") != std::string::npos);

  report.verification.reset();
  report.rides_verification = RidesVerificationSummary{};
  CHECK(report.verification_exit_code() == 0);
  REQUIRE(parser.parse(format_json_report(report)).get(doc) == simdjson::SUCCESS);
  CHECK(bool(doc["verification"]["clean"]));
  CHECK(doc["verification"]["lost"].error() == simdjson::NO_SUCH_FIELD);  // rides only
}

TEST_CASE("json_quote escapes what JSON requires") {
  CHECK(json_quote("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST_CASE("the CSV has a fixed header and matching rows") {
  const RunReport report = sample_report();
  const std::string header = csv_header();
  const std::string row = csv_row(report.intervals[0]);
  const auto columns = [](const std::string& line) {
    return std::count(line.begin(), line.end(), ',');
  };
  CHECK(columns(header) == columns(row));
  CHECK(header.rfind("second,connections,sent,received,", 0) == 0);
  CHECK(header.find("rtt_p99_us") != std::string::npos);
  CHECK(header.find("errors_timeout") != std::string::npos);
  CHECK(header.back() == '\n');
  CHECK(row.rfind("0,10,1000,1001,", 0) == 0);
  CHECK(row.back() == '\n');
}

TEST_CASE("the progress line shows the second, connections, rates, percentiles and errors") {
  const RunReport report = sample_report();
  const std::string line = format_progress_line(report.intervals[0], 10.0, 10);
  CAPTURE(line);
  CHECK(line.find("[   1/10 s]") != std::string::npos);
  CHECK(line.find("conns 10/10") != std::string::npos);
  CHECK(line.find("sent 1000/s") == std::string::npos);  // 1000/s prints as 1.00k/s
  CHECK(line.find("sent 1.00k/s") != std::string::npos);
  // Histogram values are within 1% of the exact order statistics (500 us and 990 us).
  CHECK(line.find("rtt p50 50") != std::string::npos);
  CHECK(line.find("us p99 9") != std::string::npos);
  CHECK(line.find("deliver p50 250ms") != std::string::npos);
  CHECK(line.find("errors 3 (server_error 1, timeout 2)") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);
}

TEST_CASE("the final table lists throughput, every latency with samples, and errors by kind") {
  RunReport report = sample_report();
  std::string table = format_final_table(report);
  CAPTURE(table);
  CHECK(table.find("hexwire-sim echo") != std::string::npos);
  CHECK(table.find("p99.9") != std::string::npos);
  CHECK(table.find("rtt") != std::string::npos);
  CHECK(table.find("deliver") != std::string::npos);
  CHECK(table.find("match") == std::string::npos);
  CHECK(table.find("timeout") != std::string::npos);
  CHECK(table.find("verify") == std::string::npos);
  report.verification = VerificationSummary{};
  table = format_final_table(report);
  CHECK(table.find("verify: OK") != std::string::npos);
}

TEST_CASE("units read naturally") {
  CHECK(format_latency(850) == "850ns");
  CHECK(format_latency(212'000) == "212us");
  CHECK(format_latency(1'310'000) == "1.31ms");
  CHECK(format_latency(45'600'000) == "45.6ms");
  CHECK(format_latency(2'500'000'000ull) == "2.50s");
  CHECK(format_rate(950) == "950/s");
  CHECK(format_rate(50'100) == "50.1k/s");
  CHECK(format_rate(2'400'000) == "2.40M/s");
}
