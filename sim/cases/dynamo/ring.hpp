// Consistent hashing with virtual nodes, as in Dynamo (SOSP'07 §4.2): each physical node owns
// `vnodes` random tokens on a 64-bit ring; a key belongs to the first token at or after its hash,
// wrapping around, and its preference list is the first N distinct nodes from there. Used by the
// ring experiment (balance, keys moved) and by the quorum and coordination models (placement).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim::cases::dynamo {

class HashRing {
 public:
  struct Token {
    std::uint64_t position;
    std::uint32_t node;
  };

  HashRing() = default;
  /// `nodes` nodes numbered 0..nodes-1 with `vnodes` tokens each, drawn from `rng`.
  HashRing(std::uint32_t nodes, std::uint32_t vnodes, Rng& rng);

  /// Replaces every token: as the constructor, reusing the memory.
  void reset(std::uint32_t nodes, std::uint32_t vnodes, Rng& rng);
  /// Adds node `node` with `vnodes` tokens drawn from `rng`.
  void add_node(std::uint32_t node, std::uint32_t vnodes, Rng& rng);
  /// Removes every token of `node`.
  void remove_node(std::uint32_t node);

  /// The node owning `hash`. The ring must not be empty.
  [[nodiscard]] std::uint32_t owner(std::uint64_t hash) const noexcept;
  /// The first `count` distinct nodes clockwise from `hash` (fewer if the ring has fewer nodes),
  /// into `out` (cleared first).
  void preference_list(std::uint64_t hash, std::uint32_t count,
                       std::vector<std::uint32_t>& out) const;
  /// Owner of each of `sorted_hashes` (ascending), in one merge pass: O(keys + tokens).
  void owners_of_sorted(std::span<const std::uint64_t> sorted_hashes,
                        std::vector<std::uint32_t>& owners) const;

  [[nodiscard]] std::size_t token_count() const noexcept { return tokens_.size(); }
  [[nodiscard]] const std::vector<Token>& tokens() const noexcept { return tokens_; }

 private:
  static bool token_order(const Token& a, const Token& b) noexcept;
  void sort_tokens();
  std::vector<Token> tokens_;  // ascending by position
};

/// The hash of key number `key` in a keyspace salted by `salt` (splitmix64: uniform on 2^64).
[[nodiscard]] std::uint64_t key_hash(std::uint64_t key, std::uint64_t salt) noexcept;

}  // namespace hexwire::sim::cases::dynamo
