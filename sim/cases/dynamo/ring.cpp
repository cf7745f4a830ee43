// HashRing: sorted tokens, binary search for one key, a merge pass for many.
#include "sim/cases/dynamo/ring.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>

namespace hexwire::sim::cases::dynamo {

HashRing::HashRing(std::uint32_t nodes, std::uint32_t vnodes, Rng& rng) {
  reset(nodes, vnodes, rng);
}

void HashRing::reset(std::uint32_t nodes, std::uint32_t vnodes, Rng& rng) {
  tokens_.clear();
  tokens_.reserve(static_cast<std::size_t>(nodes + 1) * vnodes);
  for (std::uint32_t node = 0; node < nodes; ++node) {
    for (std::uint32_t v = 0; v < vnodes; ++v) {
      tokens_.push_back(Token{rng.next_u64(), node});
    }
  }
  sort_tokens();
}

void HashRing::add_node(std::uint32_t node, std::uint32_t vnodes, Rng& rng) {
  const auto old_size = static_cast<std::ptrdiff_t>(tokens_.size());
  for (std::uint32_t v = 0; v < vnodes; ++v) {
    tokens_.push_back(Token{rng.next_u64(), node});
  }
  // Sort only the new tokens, then merge them in: O(tokens) instead of a full re-sort.
  std::sort(tokens_.begin() + old_size, tokens_.end(), token_order);
  std::inplace_merge(tokens_.begin(), tokens_.begin() + old_size, tokens_.end(), token_order);
}

void HashRing::remove_node(std::uint32_t node) {
  std::erase_if(tokens_, [node](const Token& t) { return t.node == node; });
}

bool HashRing::token_order(const Token& a, const Token& b) noexcept {
  return a.position != b.position ? a.position < b.position : a.node < b.node;
}

void HashRing::sort_tokens() {
  std::sort(tokens_.begin(), tokens_.end(), token_order);
}

std::uint32_t HashRing::owner(std::uint64_t hash) const noexcept {
  assert(!tokens_.empty());
  const auto it = std::lower_bound(tokens_.begin(), tokens_.end(), hash,
                                   [](const Token& t, std::uint64_t h) { return t.position < h; });
  return it == tokens_.end() ? tokens_.front().node : it->node;
}

void HashRing::preference_list(std::uint64_t hash, std::uint32_t count,
                               std::vector<std::uint32_t>& out) const {
  out.clear();
  if (tokens_.empty()) {
    return;
  }
  auto it = std::lower_bound(tokens_.begin(), tokens_.end(), hash,
                             [](const Token& t, std::uint64_t h) { return t.position < h; });
  for (std::size_t seen = 0; seen < tokens_.size() && out.size() < count; ++seen, ++it) {
    if (it == tokens_.end()) {
      it = tokens_.begin();
    }
    if (std::find(out.begin(), out.end(), it->node) == out.end()) {
      out.push_back(it->node);
    }
  }
}

void HashRing::owners_of_sorted(std::span<const std::uint64_t> sorted_hashes,
                                std::vector<std::uint32_t>& owners) const {
  owners.resize(sorted_hashes.size());
  std::size_t t = 0;
  for (std::size_t k = 0; k < sorted_hashes.size(); ++k) {
    while (t < tokens_.size() && tokens_[t].position < sorted_hashes[k]) {
      ++t;
    }
    owners[k] = t == tokens_.size() ? tokens_.front().node : tokens_[t].node;
  }
}

std::uint64_t key_hash(std::uint64_t key, std::uint64_t salt) noexcept {
  std::uint64_t state = key ^ (salt * 0xD1B54A32D192ED03ull);
  return splitmix64(state);
}

}  // namespace hexwire::sim::cases::dynamo
