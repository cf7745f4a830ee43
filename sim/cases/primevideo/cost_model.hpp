// The Prime Video stream-quality monitor's bill in closed form: what one stream-hour costs in the
// distributed design (Step Functions orchestration per second of stream, a Lambda converter that
// writes every frame to S3, Lambda detectors that read them back) and in the monolith (the same
// work in one process on EC2/ECS, frames in memory), and the throughput ceiling that the account's
// state-transition rate puts on the distributed design. The simulation counts the same operations
// one by one; these formulas are its reference. docs/cases/primevideo.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hexwire::sim::cases::primevideo {

/// List prices (USD, us-east-1, standard tiers) and service limits; every one a flag.
struct Prices {
  double transition = 0.025 / 1000;        // Step Functions Standard, per state transition
  double s3_put = 0.005 / 1000;            // S3 Standard PUT (a Tier-1 request)
  double s3_get = 0.0004 / 1000;           // S3 Standard GET (Tier 2)
  double lambda_gb_s = 0.0000166667;       // Lambda compute, per GB-second (x86)
  double lambda_request = 0.20 / 1'000'000;  // Lambda, per invocation
  double vcpu_hour = 0.0425;               // EC2 c5 on demand: $0.085/h for 2 vCPUs
};

/// The workload and both designs' shapes.
struct CostConfig {
  std::uint64_t streams = 17'000;     // concurrent streams the service must monitor (target)
  std::uint32_t detectors = 3;        // defect detectors, each reads every frame
  double frames_per_s = 30;           // frames extracted per second of stream
  double chunk_s = 1;                 // one orchestrated workflow per chunk of stream
  double convert_cpu_s = 0.2;         // CPU seconds to decode one chunk into frames
  double detect_cpu_s = 0.1;          // CPU seconds for one detector on one chunk
  double lambda_gb = 2;               // memory of every Lambda function
  double transition_limit = 5'000;    // account state transitions per second (refill rate)
  double vcpus_per_instance = 16;     // monolith: one ECS task per instance of this size
  double utilization = 0.6;           // monolith: target CPU utilisation when sizing the fleet
  Prices prices;

  /// State transitions per chunk: convert, the Parallel state, one per detector, aggregate.
  [[nodiscard]] double transitions_per_chunk() const noexcept { return 3.0 + detectors; }
  [[nodiscard]] double chunks_per_stream_s() const noexcept { return 1.0 / chunk_s; }
  /// CPU seconds per second of stream (the same work in both designs).
  [[nodiscard]] double cpu_per_stream_s() const noexcept {
    return (convert_cpu_s + detectors * detect_cpu_s) * chunks_per_stream_s();
  }
};

struct CostItem {
  std::string name;  // "step_functions", "s3_put", ...
  double usd_per_stream_hour = 0;
};

/// Dollars per stream-hour, item by item, in the order a bill would list them.
[[nodiscard]] std::vector<CostItem> distributed_cost(const CostConfig& c);
[[nodiscard]] std::vector<CostItem> monolith_cost(const CostConfig& c);
[[nodiscard]] double total(const std::vector<CostItem>& items) noexcept;

/// Streams the distributed design can keep up with: the transition limit over the transitions one
/// stream needs each second.
[[nodiscard]] double distributed_ceiling_streams(const CostConfig& c) noexcept;
/// Instances the monolith needs for `streams` at the target utilisation (whole instances).
[[nodiscard]] std::uint64_t monolith_instances(const CostConfig& c, std::uint64_t streams) noexcept;

}  // namespace hexwire::sim::cases::primevideo
