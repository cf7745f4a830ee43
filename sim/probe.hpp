// The probe every simulated message carries so that a reply or a delivery can be timed and checked
// without per-message state: the intended send time, the sender and its running message number,
// in fixed-width hex, padded to the requested size with a pattern derived from those numbers (so a
// corrupted or truncated echo is detected). Used as the JSON string `data` of chat publishes and as
// the whole text payload of echo requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hexwire::sim {

struct Probe {
  std::uint64_t intended_ns = 0;  // schedule time (core::monotonic_ns clock of the sender)
  std::uint32_t sender = 0;       // simulated user / connection index
  std::uint64_t number = 0;       // sender's running message number (publish id)
  friend bool operator==(const Probe&, const Probe&) = default;
};

/// Length of the probe text without padding: "T" 16 hex, "P" 8 hex, "N" 16 hex.
inline constexpr std::size_t kProbeTextSize = 1 + 16 + 1 + 8 + 1 + 16;
/// Same as a JSON string (with its two quotes): the smallest `data` a chat publish can have.
inline constexpr std::size_t kProbeJsonSize = kProbeTextSize + 2;

/// Writes the probe followed by padding so that the text is exactly max(size, kProbeTextSize)
/// bytes; the result contains only [0-9A-Za-z.] (safe inside a JSON string, no escaping).
void write_probe_text(const Probe& probe, std::size_t size, std::string& out);
/// The probe as a JSON string literal of exactly max(size, kProbeJsonSize) bytes.
void write_probe_json(const Probe& probe, std::size_t size, std::string& out);

/// Reads a probe text (without quotes). nullopt if the header is malformed or the padding does not
/// match the pattern for that probe (corrupted, truncated or mixed-up payload).
std::optional<Probe> read_probe_text(std::string_view text) noexcept;

}  // namespace hexwire::sim
