// The search corpus: vocabulary from the system word list (or generated), Zipf-distributed terms.
#include "sim/cases/search/corpus.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <unordered_set>

#include "sim/zipf.hpp"

namespace hexwire::sim::cases::search {
namespace {

bool usable_word(std::string_view w) noexcept {
  if (w.size() < 3 || w.size() > 12) {
    return false;
  }
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::vector<std::string> dictionary_words(std::string_view path) {
  std::vector<std::string> words;
  std::ifstream in{std::string(path)};
  std::string line;
  while (std::getline(in, line)) {
    if (usable_word(line)) {
      words.push_back(line);
    }
  }
  return words;
}

/// Consonant-vowel syllables, 2 to 4 of them: "tavero", "milu".
std::vector<std::string> generated_words(std::uint32_t count, Rng& rng) {
  static constexpr std::string_view kConsonants = "bdfgklmnprstvz";
  static constexpr std::string_view kVowels = "aeiou";
  std::unordered_set<std::string> seen;
  std::vector<std::string> words;
  while (words.size() < count) {
    std::string w;
    const std::uint64_t syllables = 2 + rng.below(3);
    for (std::uint64_t s = 0; s < syllables; ++s) {
      w += kConsonants[rng.below(kConsonants.size())];
      w += kVowels[rng.below(kVowels.size())];
    }
    if (seen.insert(w).second) {
      words.push_back(std::move(w));
    }
  }
  return words;
}

void shuffle(std::vector<std::string>& words, Rng& rng) {
  for (std::size_t i = words.size(); i > 1; --i) {
    std::swap(words[i - 1], words[rng.below(i)]);
  }
}

}  // namespace

std::vector<std::string> load_vocabulary(std::uint32_t count, std::string_view dictionary,
                                         std::uint64_t seed, std::string& source) {
  Rng rng(derive_seed(seed, 0x766f6361));
  std::vector<std::string> words = dictionary_words(dictionary);
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  if (words.size() >= count) {
    source = std::string(dictionary);
  } else {
    words = generated_words(count, rng);
    source = "generated";
  }
  shuffle(words, rng);
  words.resize(count);
  return words;
}

Corpus generate_corpus(const CorpusConfig& config, std::string_view dictionary) {
  if (config.docs == 0 || config.vocabulary == 0 || config.min_terms == 0 ||
      config.min_terms > config.max_terms) {
    throw std::invalid_argument("corpus: need docs, vocabulary and 1 <= min_terms <= max_terms");
  }
  Corpus corpus;
  corpus.words = load_vocabulary(config.vocabulary, dictionary, config.seed, corpus.word_source);
  const ZipfSampler zipf(config.vocabulary, config.term_zipf_s);
  Rng rng(derive_seed(config.seed, 0x636f7270));
  corpus.offsets.reserve(config.docs + 1);
  corpus.offsets.push_back(0);
  for (std::uint32_t d = 0; d < config.docs; ++d) {
    const std::uint64_t length =
        config.min_terms + rng.below(config.max_terms - config.min_terms + 1);
    for (std::uint64_t i = 0; i < length; ++i) {
      corpus.terms.push_back(static_cast<TermId>(zipf.sample(rng) - 1));
    }
    corpus.offsets.push_back(static_cast<std::uint32_t>(corpus.terms.size()));
  }
  return corpus;
}

std::vector<TermId> draw_query(Rng& rng, std::uint32_t vocabulary, double zipf_s,
                               std::uint32_t terms, std::uint32_t skip_top) {
  const std::uint32_t skip = std::min(skip_top, vocabulary > terms ? vocabulary - terms : 0);
  const ZipfSampler zipf(vocabulary - skip, zipf_s);
  std::vector<TermId> query;
  while (query.size() < std::min(terms, vocabulary - skip)) {
    const auto t = static_cast<TermId>(skip + zipf.sample(rng) - 1);
    if (std::find(query.begin(), query.end(), t) == query.end()) {
      query.push_back(t);
    }
  }
  return query;
}

}  // namespace hexwire::sim::cases::search
