// Seeded random-number streams for the case models. Each part of a model draws from its own named
// stream (the network's latencies, the clients' think times, the failure process), so a change in
// how often one part draws never shifts the numbers another part sees, and one --seed reproduces
// the whole run. Built on sim/random.hpp (xoshiro256**, the same numbers on every platform).
#pragma once

#include <cstdint>
#include <string_view>

#include "sim/random.hpp"

namespace hexwire::sim::cases {

class RngStreams {
 public:
  explicit RngStreams(std::uint64_t seed) noexcept : seed_(seed) {}

  [[nodiscard]] std::uint64_t seed() const noexcept { return seed_; }

  /// The stream called `name` (an FNV-1a hash of the name selects it), optionally the
  /// `index`-th of a family (one per node, per trial...). The same name and index always give the
  /// same sequence for a seed.
  [[nodiscard]] Rng stream(std::string_view name, std::uint64_t index = 0) const noexcept {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (const char ch : name) {
      hash = (hash ^ static_cast<unsigned char>(ch)) * 0x100000001b3ull;
    }
    return Rng(derive_seed(seed_, hash ^ (index * 0x9E3779B97F4A7C15ull)));
  }

 private:
  std::uint64_t seed_;
};

}  // namespace hexwire::sim::cases
