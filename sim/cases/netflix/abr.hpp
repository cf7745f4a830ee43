// Adaptive bitrate for the netflix abr experiment: synthetic bandwidth traces, a video player that
// downloads fixed-length segments into a bounded buffer, and the two ways of choosing each
// segment's bitrate: buffer-based (BBA-0 of Huang et al., SIGCOMM 2014: a rate map from buffer
// level, with its hysteresis) and rate-based (the highest bitrate under a safety share of the
// harmonic mean of recent throughputs). docs/cases/netflix.md#abr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim::cases::netflix {

/// Bandwidth in kbit/s, one value per second of the session.
struct BandwidthTrace {
  std::vector<double> kbps;
  [[nodiscard]] double mean() const;
};

/// The generator (documented in docs/cases/netflix.md#abr): a Markov-modulated level that holds
/// for an exponential time then jumps to a fresh log-normal draw around the mean, per-second
/// log-normal noise, and outages (bandwidth at a fraction of the level) arriving as a Poisson process.
struct TraceSpec {
  double mean_kbps = 3000;
  double level_sigma = 0.6;       // spread of the levels (sigma of ln)
  double hold_s = 30;             // mean time a level holds
  double noise_sigma = 0.25;      // per-second jitter (sigma of ln)
  double outage_per_min = 0.5;    // outages per minute
  double outage_s = 30;           // mean length of an outage
  double outage_share = 0.02;      // bandwidth during an outage, as a share of the level
};

[[nodiscard]] BandwidthTrace make_trace(const TraceSpec& spec, double seconds, Rng& rng);

struct PlayerConfig {
  std::vector<double> ladder_kbps{235, 375, 560, 750, 1050, 1750, 2350, 3000, 4300, 5800};
  double segment_s = 4;
  double buffer_max_s = 120;
  double startup_s = 4;      // buffered video needed before playback starts
  double video_s = 600;      // length of the session's video
  // BBA-0
  double reservoir_s = 20;
  double cushion_s = 80;
  // rate-based
  std::uint32_t history = 5;  // past segments in the harmonic mean
  double safety = 0.9;        // share of the estimate that may be spent
};

enum class AbrAlgorithm : std::uint8_t { kBuffer, kRate };

struct SessionResult {
  double play_s = 0;          // video played
  double rebuffer_s = 0;      // stalls after playback started
  std::uint32_t rebuffers = 0;
  double startup_delay_s = 0;
  double mean_kbps = 0;       // average bitrate of the segments played
  std::uint32_t switches = 0;
  [[nodiscard]] double rebuffer_ratio() const {
    return play_s + rebuffer_s > 0 ? rebuffer_s / (play_s + rebuffer_s) : 0.0;
  }
};

/// Plays `cfg.video_s` of video over `trace` choosing bitrates with `algo`; one buffer timeline,
/// segment by segment, with download times integrated over the trace.
[[nodiscard]] SessionResult play(const PlayerConfig& cfg, AbrAlgorithm algo, const BandwidthTrace& trace);

/// BBA-0's choice for the next segment: the rate map f(buffer) (ladder minimum up to the
/// reservoir, maximum past reservoir + cushion, linear between), moving off `previous` only when
/// f crosses the next rate up or down. Returns a ladder index.
[[nodiscard]] std::size_t bba_choice(const PlayerConfig& cfg, double buffer_s, std::size_t previous);
/// Rate-based choice: the highest rate at most safety x the harmonic mean of `throughputs_kbps`
/// (the last `history` of them); the lowest rate with no history.
[[nodiscard]] std::size_t rate_choice(const PlayerConfig& cfg, const std::vector<double>& throughputs_kbps);

}  // namespace hexwire::sim::cases::netflix
