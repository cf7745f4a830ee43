// Versions of a key in the quorum model: vector clocks truncated at a fixed number of entries (the
// oldest entry goes, as in Dynamo, SOSP'07 §4.4), and the two ways a replica decides which versions
// to keep when it syncs sets:
//   kDotted: each version is (dot, context): the dot (actor, counter) names the write, the context
//     is the clock the client sent. A version is obsolete when another's context covers its dot,
//     so two writes through the same coordinator from the same context stay siblings.
//   kPlain: each version has one clock, the coordinator bumps its own entry; a version is obsolete
//     when another's clock dominates or equals it. Two concurrent writes through one coordinator
//     then look ordered, and one is silently dropped: the lost update the dotted form prevents.
// `gid` is the harness's ground-truth name of a version (never used by the protocol's decisions).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::dynamo {

enum class ClockMode : std::uint8_t { kDotted, kPlain };

struct ClockEntry {
  std::uint32_t actor;
  std::uint64_t counter;
  std::uint64_t stamp_ms;  // when the entry last changed: truncation drops the oldest
};

class VectorClock {
 public:
  [[nodiscard]] std::uint64_t get(std::uint32_t actor) const noexcept;
  /// Raises `actor`'s entry to at least `counter` (stamped `now_ms` when it changes).
  void raise(std::uint32_t actor, std::uint64_t counter, std::uint64_t now_ms);
  /// Entry-wise maximum.
  void join(const VectorClock& other);
  /// Drops oldest-stamped entries until at most `limit` remain. Returns how many were dropped.
  std::size_t truncate(std::size_t limit);
  /// Every entry of `other` is <= the same entry here.
  [[nodiscard]] bool descends(const VectorClock& other) const noexcept;
  [[nodiscard]] const std::vector<ClockEntry>& entries() const noexcept { return entries_; }
  [[nodiscard]] bool operator==(const VectorClock& other) const noexcept;

 private:
  std::vector<ClockEntry> entries_;  // sorted by actor
};

struct Version {
  std::uint64_t gid = 0;       // ground truth (harness only)
  std::uint32_t dot_actor = 0;  // kDotted: the write's name
  std::uint64_t dot_counter = 0;
  VectorClock clock;  // kDotted: the context; kPlain: the version's clock

  /// The clock a client adds to its context after reading this version.
  [[nodiscard]] VectorClock full_clock(ClockMode mode) const;
};

using VersionSet = std::vector<Version>;

/// True when `newer` makes `older` obsolete.
[[nodiscard]] bool supersedes(const Version& newer, const Version& older, ClockMode mode) noexcept;
/// Adds the versions of `incoming` to `set`, then drops every version another one supersedes.
/// Idempotent and commutative: replicas converge whatever order syncs arrive in.
void sync_into(VersionSet& set, const VersionSet& incoming, ClockMode mode);
/// Whether `set` holds every version (by gid) of `other`.
[[nodiscard]] bool contains_all(const VersionSet& set, const VersionSet& other) noexcept;
/// The join of every version's full clock.
[[nodiscard]] VectorClock context_of(const VersionSet& set, ClockMode mode);

void encode_clock(MessageWriter& out, const VectorClock& clock);
bool decode_clock(MessageReader& in, VectorClock& clock);
void encode_set(MessageWriter& out, const VersionSet& set);
/// False when the text is malformed (the reader is then failed too).
bool decode_set(MessageReader& in, VersionSet& set);

}  // namespace hexwire::sim::cases::dynamo
