// Closed-form bill and ceiling of the two Prime Video monitor designs (see cost_model.hpp).
#include "sim/cases/primevideo/cost_model.hpp"

#include <cmath>

namespace hexwire::sim::cases::primevideo {

std::vector<CostItem> distributed_cost(const CostConfig& c) {
  const double chunks_per_hour = 3600.0 * c.chunks_per_stream_s();
  const double frames_per_hour = 3600.0 * c.frames_per_s;
  const double lambda_s_per_chunk = c.convert_cpu_s + c.detectors * c.detect_cpu_s;
  const Prices& p = c.prices;
  return {
      {"step_functions", chunks_per_hour * c.transitions_per_chunk() * p.transition},
      {"s3_put", frames_per_hour * p.s3_put},
      {"s3_get", frames_per_hour * c.detectors * p.s3_get},
      {"lambda_compute", chunks_per_hour * lambda_s_per_chunk * c.lambda_gb * p.lambda_gb_s},
      {"lambda_requests", chunks_per_hour * (1.0 + c.detectors) * p.lambda_request},
  };
}

std::vector<CostItem> monolith_cost(const CostConfig& c) {
  // Sized for the whole target load: instances x vCPUs x price, shared by the streams.
  const double instances = static_cast<double>(monolith_instances(c, c.streams));
  const double per_stream = instances * c.vcpus_per_instance * c.prices.vcpu_hour /
                            static_cast<double>(c.streams);
  return {{"ec2_compute", per_stream}};
}

double total(const std::vector<CostItem>& items) noexcept {
  double sum = 0;
  for (const CostItem& item : items) {
    sum += item.usd_per_stream_hour;
  }
  return sum;
}

double distributed_ceiling_streams(const CostConfig& c) noexcept {
  return c.transition_limit / (c.transitions_per_chunk() * c.chunks_per_stream_s());
}

std::uint64_t monolith_instances(const CostConfig& c, std::uint64_t streams) noexcept {
  const double per_instance = c.vcpus_per_instance * c.utilization / c.cpu_per_stream_s();
  return static_cast<std::uint64_t>(std::ceil(static_cast<double>(streams) / per_instance));
}

}  // namespace hexwire::sim::cases::primevideo
