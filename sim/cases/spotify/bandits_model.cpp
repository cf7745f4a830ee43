// The app and recommender nodes of `spotify bandits`: rounds of visits, carousels served by each
// policy (timed: the policy's computation is real), browsing by the hidden taste model, and the
// regret kept per variant.
#include "sim/cases/spotify/bandits_model.hpp"

#include <algorithm>

namespace hexwire::sim::cases::spotify {
namespace {

/// A uniform in [0, 1) fixed by (seed, round, visit, playlist): splitmix64 of the mixed words.
double keyed_uniform(std::uint64_t seed, std::uint32_t round, std::uint32_t visit,
                     std::uint32_t playlist) noexcept {
  std::uint64_t state = seed ^ (static_cast<std::uint64_t>(round) << 40) ^
                        (static_cast<std::uint64_t>(visit) << 12) ^ playlist;
  splitmix64(state);
  return static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
}

// Rounds kept for late replies (live mode); anything older is dropped.
constexpr std::uint32_t kRoundsKept = 4;

}  // namespace

std::vector<Variant> bandit_variants() {
  return {
      {"random", PolicyKind::kRandom, true},
      {"epsilon", PolicyKind::kEpsilonGreedy, true},
      {"epsilon-nocascade", PolicyKind::kEpsilonGreedy, false},
      {"etc", PolicyKind::kExploreThenCommit, true},
      {"etc-nocascade", PolicyKind::kExploreThenCommit, false},
      {"ts", PolicyKind::kThompson, true},
      {"ts-nocascade", PolicyKind::kThompson, false},
  };
}

BanditsModel::BanditsModel(const BanditsConfig& config, Network& net, const RngStreams& rng)
    : config_(config),
      net_(net),
      taste_(config.taste, rng.stream("bandits-taste")),
      visit_rng_(rng.stream("bandits-visits")),
      stream_seed_(rng.stream("bandits-streams").next_u64()),
      swipe_seed_(rng.stream("bandits-swipes").next_u64()),
      variants_(bandit_variants()) {
  users_ = net.add_node("users");
  for (std::size_t v = 0; v < variants_.size(); ++v) {
    BanditConfig bc = config.bandit;
    bc.kind = variants_[v].kind;
    bc.cascade = variants_[v].cascade;
    recs_.push_back(std::make_unique<Recommender>(variants_[v], bc, rng.stream("bandits-policy", v)));
    recs_.back()->node = net.add_node(variants_[v].name);
  }
  net.set_events(*this);
}

void BanditsModel::start() {
  for (std::uint32_t r = 0; r < config_.rounds; ++r) {
    net_.after(kNoNode, static_cast<SimTime>(r) * config_.round_time, [this, r] { start_round(r); });
  }
}

void BanditsModel::start_round(std::uint32_t round) {
  if (!net_.is_up(users_)) {
    return;
  }
  std::vector<std::uint32_t>& batch = batches_[round];
  batch.resize(config_.visits_per_round);
  for (std::uint32_t& user : batch) {
    user = static_cast<std::uint32_t>(visit_rng_.below(config_.taste.users));
  }
  while (!batches_.empty() && batches_.begin()->first + kRoundsKept <= round) {
    batches_.erase(batches_.begin());
  }
  visits_requested_ += batch.size();
  for (std::uint32_t first = 0, chunk = 0; first < batch.size(); first += config_.chunk, ++chunk) {
    MessageWriter out;
    out.word("visits").number(round).number(chunk);
    const std::uint32_t end = std::min<std::uint32_t>(first + config_.chunk, batch.size());
    for (std::uint32_t i = first; i < end; ++i) {
      out.number(taste_.segment(batch[i]));
    }
    for (const auto& rec : recs_) {
      net_.send(users_, rec->node, out.text());
    }
  }
}

BanditsModel::Recommender* BanditsModel::recommender_at(NodeId node) noexcept {
  for (const auto& rec : recs_) {
    if (rec->node == node) {
      return rec.get();
    }
  }
  return nullptr;
}

void BanditsModel::on_message(NodeId to, NodeId from, std::string_view body) {
  MessageReader in(body);
  const std::string_view kind = in.word();
  const auto round = static_cast<std::uint32_t>(in.number());
  const auto chunk = static_cast<std::uint32_t>(in.number());
  if (!in.ok()) {
    return;
  }
  if (to == users_) {
    if (Recommender* rec = recommender_at(from); rec != nullptr && kind == "carousels") {
      browse(*rec, round, chunk, in);
    }
    return;
  }
  Recommender* rec = recommender_at(to);
  if (rec == nullptr || from != users_) {
    return;
  }
  if (kind == "visits") {
    serve(*rec, round, chunk, in);
  } else if (kind == "feedback") {
    learn(*rec, round, chunk, in);
  }
}

void BanditsModel::serve(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in) {
  if (round > rec.applied_round) {
    // A new round: the previous rounds' outcomes become visible to the policy now.
    rec.bandit.apply_feedback();
    rec.applied_round = round;
    while (!rec.served.empty() && rec.served.begin()->first.first + kRoundsKept <= round) {
      rec.served.erase(rec.served.begin());
    }
  }
  Served served;
  while (!in.at_end()) {
    const auto segment = static_cast<std::uint32_t>(in.number());
    if (!in.ok() || segment >= config_.taste.segments) {
      return;
    }
    served.segments.push_back(segment);
  }
  const std::uint32_t slots = config_.bandit.slots;
  served.cards.resize(served.segments.size() * slots);
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < served.segments.size(); ++i) {
    rec.bandit.recommend(served.segments[i], std::span(served.cards).subspan(i * slots, slots));
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  if (!served.segments.empty()) {
    const double per_carousel =
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
        static_cast<double>(served.segments.size());
    rec.compute_ns.add(per_carousel);
  }
  MessageWriter out;
  out.word("carousels").number(round).number(chunk);
  for (const std::uint32_t card : served.cards) {
    out.number(card);
  }
  rec.served[{round, chunk}] = std::move(served);
  net_.send(rec.node, users_, out.text());
}

void BanditsModel::browse(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in) {
  const auto batch = batches_.find(round);
  if (batch == batches_.end()) {
    return;  // too late: the round is gone
  }
  const std::uint32_t slots = config_.bandit.slots;
  const std::uint32_t first = chunk * config_.chunk;
  if (first >= batch->second.size()) {
    return;
  }
  const std::uint32_t count = std::min<std::uint32_t>(config_.chunk, batch->second.size() - first);
  std::vector<std::uint32_t> cards(static_cast<std::size_t>(count) * slots);
  for (std::uint32_t& card : cards) {
    card = static_cast<std::uint32_t>(in.number());
    if (!in.ok() || card >= config_.taste.playlists) {
      return;
    }
  }
  MessageWriter out;
  out.word("feedback").number(round).number(chunk);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t visit = first + i;
    const std::uint32_t user = batch->second[visit];
    const std::span<const std::uint32_t> carousel(cards.data() + static_cast<std::size_t>(i) * slots, slots);
    const double expected = taste_.expected_reward(user, carousel);
    const int streamed = streamed_position(user, round, visit, carousel);
    rec.totals.visits += 1;
    rec.totals.streams += streamed >= 0 ? 1 : 0;
    rec.totals.reward += expected;
    rec.totals.regret += taste_.optimal_reward(user) - expected;
    out.number(static_cast<std::uint64_t>(streamed + 1));
  }
  net_.send(users_, rec.node, out.text());
}

void BanditsModel::learn(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in) {
  const auto found = rec.served.find({round, chunk});
  if (found == rec.served.end()) {
    return;
  }
  const Served& served = found->second;
  const std::uint32_t slots = config_.bandit.slots;
  for (std::size_t i = 0; i < served.segments.size(); ++i) {
    const std::uint64_t position = in.number();
    if (!in.ok() || position > slots) {
      break;
    }
    rec.bandit.record(served.segments[i], std::span(served.cards).subspan(i * slots, slots),
                      static_cast<int>(position) - 1);
  }
  rec.served.erase(found);
}

int BanditsModel::streamed_position(std::uint32_t user, std::uint32_t round, std::uint32_t visit,
                                    std::span<const std::uint32_t> cards) const noexcept {
  const TasteConfig& taste = taste_.config();
  for (std::size_t position = 0; position < cards.size(); ++position) {
    if (position >= taste.visible &&
        keyed_uniform(swipe_seed_, round, visit, static_cast<std::uint32_t>(position)) >= taste.swipe) {
      return -1;  // the user stopped swiping
    }
    if (keyed_uniform(stream_seed_, round, visit, cards[position]) <
        taste_.stream_probability(user, cards[position])) {
      return static_cast<int>(position);
    }
  }
  return -1;
}

void BanditsModel::on_crash(NodeId node, CrashKind kind) {
  if (node == users_) {
    batches_.clear();
    return;
  }
  if (Recommender* rec = recommender_at(node); rec != nullptr) {
    rec->served.clear();
    if (kind == CrashKind::kWipe) {
      rec->bandit.reset();
    }
  }
}

}  // namespace hexwire::sim::cases::spotify
