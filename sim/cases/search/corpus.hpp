// The search case's product corpus: a vocabulary (English words from Debian's wamerican list when
// it is installed, else generated pronounceable words) and documents whose terms follow a Zipf law
// over the vocabulary, as word frequencies do in real text. Deterministic for a seed. Queries are
// drawn from the same vocabulary, skipping the most frequent (stop-word-like) terms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim::cases::search {

using TermId = std::uint32_t;
using DocId = std::uint32_t;

struct CorpusConfig {
  std::uint32_t docs = 20'000;
  std::uint32_t vocabulary = 20'000;
  double term_zipf_s = 1.0;  // term frequency ~ rank^-s (Zipf's law of word frequency)
  std::uint32_t min_terms = 8;  // terms per product (title + attributes), uniform in [min, max]
  std::uint32_t max_terms = 40;
  std::uint64_t seed = 1;
};

/// Documents as term lists (a term may repeat in a document: its term frequency).
struct Corpus {
  std::vector<std::string> words;       // TermId -> word
  std::string word_source;              // "/usr/share/dict/words" or "generated"
  std::vector<std::uint32_t> offsets;   // docs + 1 entries into terms
  std::vector<TermId> terms;

  [[nodiscard]] std::uint32_t doc_count() const noexcept {
    return offsets.empty() ? 0 : static_cast<std::uint32_t>(offsets.size() - 1);
  }
  [[nodiscard]] std::span<const TermId> doc(DocId d) const noexcept {
    return {terms.data() + offsets[d], terms.data() + offsets[d + 1]};
  }
};

/// `count` distinct lowercase words of 3 to 12 letters: from `dictionary` (one word per line;
/// others skipped) when it has enough, else generated from syllables. Shuffled with `seed`, so the
/// word given to each frequency rank does not follow the alphabet. `source` receives where they
/// came from.
std::vector<std::string> load_vocabulary(std::uint32_t count, std::string_view dictionary,
                                         std::uint64_t seed, std::string& source);

/// Throws std::invalid_argument for an empty vocabulary or corpus, or min_terms > max_terms.
Corpus generate_corpus(const CorpusConfig& config,
                       std::string_view dictionary = "/usr/share/dict/words");

/// The most frequent terms queries skip (stop words).
inline constexpr std::uint32_t kQuerySkipTopTerms = 50;

/// A query of `terms` distinct terms drawn by the corpus's Zipf law, skipping the `skip_top` most
/// frequent terms (they match almost everything, as stop words do).
std::vector<TermId> draw_query(Rng& rng, std::uint32_t vocabulary, double zipf_s,
                               std::uint32_t terms, std::uint32_t skip_top);

}  // namespace hexwire::sim::cases::search
