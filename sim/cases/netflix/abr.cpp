// Traces, the player's buffer and the two bitrate choices (see abr.hpp).
#include "sim/cases/netflix/abr.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace hexwire::sim::cases::netflix {
namespace {

/// Seconds to download `kbits` starting at `t` over the trace (piecewise constant per second; the
/// last second repeats past the end).
double download_time(const BandwidthTrace& trace, double t, double kbits) {
  double elapsed = 0;
  while (kbits > 1e-9) {
    const auto second = static_cast<std::size_t>(std::floor(t + elapsed));
    const double rate = std::max(trace.kbps[std::min(second, trace.kbps.size() - 1)], 1.0);
    const double left_in_second = std::floor(t + elapsed) + 1.0 - (t + elapsed);
    const double can = rate * left_in_second;
    if (can >= kbits) {
      return elapsed + kbits / rate;
    }
    kbits -= can;
    elapsed += left_in_second;
  }
  return elapsed;
}

}  // namespace

double BandwidthTrace::mean() const {
  return kbps.empty() ? 0.0 : std::accumulate(kbps.begin(), kbps.end(), 0.0) / static_cast<double>(kbps.size());
}

BandwidthTrace make_trace(const TraceSpec& s, double seconds, Rng& rng) {
  BandwidthTrace trace;
  const auto n = static_cast<std::size_t>(std::ceil(seconds));
  trace.kbps.reserve(n);
  // Levels are log-normal with mean `mean_kbps`: median = mean / exp(sigma^2 / 2).
  const double median = s.mean_kbps / std::exp(s.level_sigma * s.level_sigma / 2);
  const auto draw_level = [&] { return median * std::exp(s.level_sigma * rng.normal()); };
  double level = draw_level();
  double next_change = rng.exponential(s.hold_s);
  double outage_until = -1;
  double next_outage = s.outage_per_min > 0 ? rng.exponential(60.0 / s.outage_per_min) : 1e300;
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = static_cast<double>(i);
    while (t >= next_change) {
      level = draw_level();
      next_change += rng.exponential(s.hold_s);
    }
    while (t >= next_outage) {
      outage_until = next_outage + rng.exponential(s.outage_s);
      next_outage += rng.exponential(60.0 / s.outage_per_min);
    }
    const double noise = std::exp(s.noise_sigma * rng.normal() - s.noise_sigma * s.noise_sigma / 2);
    trace.kbps.push_back(level * noise * (t < outage_until ? s.outage_share : 1.0));
  }
  return trace;
}

std::size_t bba_choice(const PlayerConfig& cfg, double buffer_s, std::size_t previous) {
  // Algorithm 1 of the paper.
  const std::vector<double>& ladder = cfg.ladder_kbps;
  if (buffer_s <= cfg.reservoir_s) {
    return 0;
  }
  if (buffer_s >= cfg.reservoir_s + cfg.cushion_s) {
    return ladder.size() - 1;
  }
  const double lo = ladder.front(), hi = ladder.back();
  const double f = lo + (hi - lo) * (buffer_s - cfg.reservoir_s) / cfg.cushion_s;
  const double up = previous + 1 < ladder.size() ? ladder[previous + 1] : hi;
  const double down = previous > 0 ? ladder[previous - 1] : lo;
  std::size_t i = previous;
  if (f >= up) {
    while (i + 1 < ladder.size() && ladder[i + 1] < f) {  // max{R_i : R_i < f}
      ++i;
    }
  } else if (f <= down) {
    while (i > 0 && ladder[i - 1] > f) {  // min{R_i : R_i > f}
      --i;
    }
  }
  return i;
}

std::size_t rate_choice(const PlayerConfig& cfg, const std::vector<double>& throughputs_kbps) {
  if (throughputs_kbps.empty()) {
    return 0;
  }
  const std::size_t n = std::min<std::size_t>(cfg.history, throughputs_kbps.size());
  double inverse = 0;
  for (std::size_t i = throughputs_kbps.size() - n; i < throughputs_kbps.size(); ++i) {
    inverse += 1.0 / std::max(throughputs_kbps[i], 1e-9);
  }
  const double budget = cfg.safety * static_cast<double>(n) / inverse;
  std::size_t choice = 0;
  for (std::size_t i = 0; i < cfg.ladder_kbps.size(); ++i) {
    if (cfg.ladder_kbps[i] <= budget) {
      choice = i;
    }
  }
  return choice;
}

SessionResult play(const PlayerConfig& cfg, AbrAlgorithm algo, const BandwidthTrace& trace) {
  SessionResult r;
  const auto segments = static_cast<std::size_t>(std::ceil(cfg.video_s / cfg.segment_s));
  double t = 0, buffer = 0, bitrate_sum = 0;
  bool playing = false;
  std::size_t level = 0;
  std::vector<double> throughputs;
  for (std::size_t k = 0; k < segments; ++k) {
    // Wait while the buffer has no room for another segment (playback drains it).
    if (buffer > cfg.buffer_max_s - cfg.segment_s) {
      const double wait = buffer - (cfg.buffer_max_s - cfg.segment_s);
      t += wait;
      buffer -= wait;
      r.play_s += wait;
    }
    const std::size_t next = algo == AbrAlgorithm::kBuffer ? bba_choice(cfg, buffer, level)
                                                           : rate_choice(cfg, throughputs);
    r.switches += k > 0 && next != level ? 1 : 0;
    level = next;
    const double kbits = cfg.ladder_kbps[level] * cfg.segment_s;
    const double took = download_time(trace, t, kbits);
    throughputs.push_back(kbits / std::max(took, 1e-9));
    t += took;
    if (playing) {
      const double played = std::min(buffer, took);
      r.play_s += played;
      if (took > buffer) {
        r.rebuffer_s += took - buffer;
        ++r.rebuffers;
      }
      buffer -= played;
    } else {
      r.startup_delay_s += took;
    }
    buffer += cfg.segment_s;
    bitrate_sum += cfg.ladder_kbps[level];
    if (!playing && buffer >= cfg.startup_s) {
      playing = true;
    }
  }
  r.play_s += buffer;  // the rest plays out
  r.mean_kbps = segments > 0 ? bitrate_sum / static_cast<double>(segments) : 0.0;
  return r;
}

}  // namespace hexwire::sim::cases::netflix
