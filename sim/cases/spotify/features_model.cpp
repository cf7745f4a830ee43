// The client, recommender and feature store of `spotify features`: Poisson calls, a feature read
// with a deadline and its fallbacks (stale cache, then defaults), a timed ranker, a store outage.
#include "sim/cases/spotify/features_model.hpp"

#include <algorithm>
#include <chrono>

#include "sim/cases/spotify/taste_model.hpp"

namespace hexwire::sim::cases::spotify {
namespace {

constexpr std::uint16_t kFeatureScale = 1000;  // a feature f in [-1, 1] travels as (f + 1) * 1000

}  // namespace

FeaturesModel::FeaturesModel(const FeaturesConfig& config, Network& net, const RngStreams& rng)
    : config_(config),
      net_(net),
      arrivals_(rng.stream("features-arrivals")),
      users_rng_(rng.stream("features-users")),
      store_rng_(rng.stream("features-store")),
      scores_(config.candidates),
      best_(std::min(config.top, config.candidates)) {
  client_ = net.add_node("client");
  recommender_ = net.add_node("recommender");
  store_ = net.add_node("store");
  net.set_events(*this);
  Rng data = rng.stream("features-data");
  user_features_.resize(static_cast<std::size_t>(config.users) * config.dims);
  for (std::uint16_t& f : user_features_) {
    f = static_cast<std::uint16_t>(data.below(2 * kFeatureScale + 1));
  }
  // Defaults: the middle of the range (no preference), what a new user gets.
  default_features_.assign(config.dims, kFeatureScale);
  items_.resize(static_cast<std::size_t>(config.candidates) * config.dims);
  for (float& v : items_) {
    v = static_cast<float>(data.normal());
  }
}

void FeaturesModel::start() {
  schedule_call(0);
  if (config_.outage_length > 0) {
    net_.after(kNoNode, config_.outage_start, [this] { net_.crash(store_, CrashKind::kRestart); });
    net_.after(kNoNode, config_.outage_start + config_.outage_length, [this] { net_.recover(store_); });
  }
}

void FeaturesModel::schedule_call(SimTime at) {
  const auto gap = static_cast<SimTime>(arrivals_.exponential(1.0 / config_.rate) * kSecond);
  if (at + gap >= config_.duration) {
    started_all_ = true;
    return;
  }
  net_.after(kNoNode, gap, [this, next = at + gap] {
    call();
    schedule_call(next);
  });
}

void FeaturesModel::call() {
  const std::uint64_t id = next_id_++;
  const auto user = static_cast<std::uint32_t>(users_rng_.below(config_.users));
  Waiting w{net_.now()};
  w.timeout = net_.after(client_, config_.timeout, [this, id] { client_timeout(id); });
  waiting_.emplace(id, w);
  net_.send(client_, recommender_, MessageWriter().word("rec").number(id).number(user).take());
}

void FeaturesModel::client_timeout(std::uint64_t id) {
  const auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    return;
  }
  calls_.push_back(CallRecord{it->second.started, net_.now() - it->second.started, Source::kTimedOut});
  waiting_.erase(it);
}

void FeaturesModel::on_message(NodeId to, NodeId from, std::string_view body) {
  MessageReader in(body);
  const std::string_view kind = in.word();
  const std::uint64_t id = in.number();
  const std::uint64_t third = in.number();
  if (!in.ok()) {
    return;
  }
  if (to == recommender_ && from == client_ && kind == "rec" && third < config_.users) {
    on_request(id, static_cast<std::uint32_t>(third));
  } else if (to == store_ && from == recommender_ && kind == "get" && third < config_.users) {
    on_store_read(id, static_cast<std::uint32_t>(third));
  } else if (to == recommender_ && from == store_ && kind == "feat" && third < config_.users) {
    on_features(id, static_cast<std::uint32_t>(third), in);
  } else if (to == client_ && from == recommender_ && kind == "recs" && third <= 2) {
    on_answer(id, static_cast<Source>(third));
  }
}

void FeaturesModel::on_request(std::uint64_t id, std::uint32_t user) {
  Pending p{user};
  // Without the fallback the read still ends at the client's timeout (nobody waits longer).
  const SimTime limit = config_.fallback ? config_.deadline : config_.timeout;
  p.deadline = net_.after(recommender_, limit, [this, id] { on_deadline(id); });
  pending_.emplace(id, p);
  ++store_reads_;
  net_.send(recommender_, store_, MessageWriter().word("get").number(id).number(user).take());
}

void FeaturesModel::on_store_read(std::uint64_t id, std::uint32_t user) {
  net_.after(store_, config_.store_latency.sample(store_rng_), [this, id, user] {
    MessageWriter out;
    out.word("feat").number(id).number(user);
    for (std::uint32_t k = 0; k < config_.dims; ++k) {
      out.number(user_features_[static_cast<std::size_t>(user) * config_.dims + k]);
    }
    net_.send(store_, recommender_, out.text());
  });
}

void FeaturesModel::on_features(std::uint64_t id, std::uint32_t user, MessageReader& body) {
  std::vector<std::uint16_t> features(config_.dims);
  for (std::uint16_t& f : features) {
    const std::uint64_t v = body.number();
    if (!body.ok() || v > 2 * kFeatureScale) {
      return;
    }
    f = static_cast<std::uint16_t>(v);
  }
  // A late answer still refreshes the cache for the next call.
  cache_[user] = Cached{features, net_.now()};
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  net_.cancel(it->second.deadline);
  pending_.erase(it);
  answer(id, Source::kFresh, features);
}

void FeaturesModel::on_deadline(std::uint64_t id) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;
  }
  const std::uint32_t user = it->second.user;
  pending_.erase(it);
  if (!config_.fallback) {
    return;  // the client has given up
  }
  const auto cached = cache_.find(user);
  if (cached != cache_.end() && net_.now() - cached->second.fetched <= config_.max_stale) {
    answer(id, Source::kStale, cached->second.features);
  } else {
    answer(id, Source::kDefault, default_features_);
  }
}

void FeaturesModel::answer(std::uint64_t id, Source source, const std::vector<std::uint16_t>& features) {
  // The ranker: score every candidate against the user's features, keep the best `top`.
  const auto started = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < config_.candidates; ++i) {
    const float* item = &items_[static_cast<std::size_t>(i) * config_.dims];
    double score = 0.0;
    for (std::uint32_t k = 0; k < config_.dims; ++k) {
      score += item[k] * (static_cast<double>(features[k]) / kFeatureScale - 1.0);
    }
    scores_[i] = score;
  }
  top_k(scores_, best_);
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - started).count();
  rank_ns_.add(static_cast<double>(elapsed));
  MessageWriter out;
  out.word("recs").number(id).number(static_cast<std::uint64_t>(source));
  for (const std::uint32_t item : best_) {
    out.number(item);
  }
  // The ranking's real time is part of the call.
  net_.after(recommender_, static_cast<SimTime>(elapsed), [this, text = out.take()] {
    net_.send(recommender_, client_, text);
  });
}

void FeaturesModel::on_answer(std::uint64_t id, Source source) {
  const auto it = waiting_.find(id);
  if (it == waiting_.end()) {
    return;  // after the timeout
  }
  net_.cancel(it->second.timeout);
  calls_.push_back(CallRecord{it->second.started, net_.now() - it->second.started, source});
  waiting_.erase(it);
}

void FeaturesModel::on_crash(NodeId node, CrashKind kind) {
  if (node == recommender_) {
    pending_.clear();
    if (kind == CrashKind::kWipe) {
      cache_.clear();
    }
  } else if (node == client_) {
    // Its calls are lost with it: they count as timed out at the crash.
    for (const auto& [id, w] : waiting_) {
      calls_.push_back(CallRecord{w.started, net_.now() - w.started, Source::kTimedOut});
    }
    waiting_.clear();
  }
}

}  // namespace hexwire::sim::cases::spotify
