// The tail model: scatter, the shards' real searches, gather and merge, hedged backups.
#include "sim/cases/search/tail_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases::search {
namespace {

constexpr std::uint32_t kCheckEvery = 20;  // every 20th query is compared with the unsharded index

}  // namespace

std::optional<Hedge> parse_hedge(std::string_view text) {
  if (text == "off") {
    return Hedge{};
  }
  if (text.size() > 1 && text[0] == 'p') {
    double p = 0;
    const auto [end, error] = std::from_chars(text.data() + 1, text.data() + text.size(), p);
    if (error == std::errc{} && end == text.data() + text.size() && p > 0 && p < 100) {
      return Hedge{Hedge::Kind::kPercentile, p, 0};
    }
    return std::nullopt;
  }
  if (const std::optional<SimTime> delay = parse_duration(text, "ms"); delay && *delay >= 0) {
    return Hedge{Hedge::Kind::kDelay, 0, *delay};
  }
  return std::nullopt;
}

Workload::Workload(const CorpusConfig& corpus_config, const TailConfig& cfg, Rng rng)
    : corpus(generate_corpus(corpus_config)), index(corpus, cfg.shards), whole(corpus, 0, 1) {
  for (std::uint32_t q = 0; q < cfg.queries; ++q) {
    queries.push_back(draw_query(rng, corpus_config.vocabulary, corpus_config.term_zipf_s,
                                 cfg.query_terms, kQuerySkipTopTerms));
  }
}

TailModel::TailModel(const TailConfig& cfg, const Workload& work, Network& net, bool hedged, bool live)
    : cfg_(cfg), work_(work), net_(net), hedged_(hedged && cfg.hedge.kind != Hedge::Kind::kOff),
      live_(live), starts_(cfg.queries, 0) {
  root_ = net.add_node("root");
  for (std::uint32_t s = 0; s < cfg.shards; ++s) {
    net.add_node(fmt::format("s{}r0", s));
    net.add_node(fmt::format("s{}r1", s));
  }
  net.set_events(*this);
}

void TailModel::on_message(NodeId to, NodeId from, std::string_view body) {
  MessageReader in(body);
  const std::string_view kind = in.word();
  if (kind == "q" && to != root_) {
    serve(to, from, in);
  } else if (kind == "r" && to == root_) {
    receive(in);
  }
}

void TailModel::schedule_next(std::uint32_t qid) {
  if (qid >= cfg_.queries) {
    return;
  }
  const auto gap = static_cast<SimTime>(arrivals_.exponential(1.0 / cfg_.rate) * kSecond);
  net_.after(root_, qid == 0 ? 0 : gap, [this, qid] {
    issue(qid);
    schedule_next(qid + 1);
  });
}

void TailModel::issue(std::uint32_t qid) {
  starts_[qid] = net_.now();
  Pending& p = pending_[qid];
  p.remaining = cfg_.shards;
  p.answered.assign(cfg_.shards, 0);
  p.backups.assign(cfg_.shards, 0);
  const std::optional<SimTime> delay = hedge_delay();
  for (std::uint32_t s = 0; s < cfg_.shards; ++s) {
    send_request(qid, s, 0);
    if (delay) {
      p.backups[s] = net_.after(root_, *delay, [this, qid, s] { send_backup(qid, s); });
    }
  }
}

void TailModel::send_request(std::uint32_t qid, std::uint32_t shard, std::uint32_t attempt) {
  MessageWriter w;
  w.word("q").number(qid).number(shard).number(attempt);
  for (const TermId t : work_.queries[qid]) {
    w.number(t);
  }
  (attempt == 0 ? result_.primaries : result_.backups) += 1;
  net_.send(root_, replica(shard, (qid + shard + attempt) % 2), w.take());
}

void TailModel::send_backup(std::uint32_t qid, std::uint32_t shard) {
  const auto it = pending_.find(qid);
  if (it != pending_.end() && it->second.answered[shard] == 0) {
    it->second.backups[shard] = 0;
    send_request(qid, shard, 1);
  }
}

std::optional<SimTime> TailModel::hedge_delay() {
  if (!hedged_) {
    return std::nullopt;
  }
  if (cfg_.hedge.kind == Hedge::Kind::kDelay) {
    return cfg_.hedge.delay;
  }
  if (primary_latency_.count() < 200) {
    return std::nullopt;  // not enough answers yet to know the percentile
  }
  result_.last_threshold = static_cast<SimTime>(primary_latency_.percentile(cfg_.hedge.percentile));
  return result_.last_threshold;
}

bool TailModel::slow_draw(std::uint64_t qid, std::uint64_t shard, std::uint64_t attempt) const noexcept {
  const std::uint64_t h = derive_seed(cfg_.seed ^ 0x736c6f77, (qid << 24) ^ (shard << 2) ^ attempt);
  return static_cast<double>(h >> 11) * 0x1.0p-53 < cfg_.slow_p;
}

void TailModel::serve(NodeId to, NodeId from, MessageReader& in) {
  const auto qid = static_cast<std::uint32_t>(in.number());
  const auto shard = static_cast<std::uint32_t>(in.number());
  const std::uint64_t attempt = in.number();
  query_.clear();
  while (in.ok() && !in.at_end()) {
    query_.push_back(static_cast<TermId>(in.number()));
  }
  if (!in.ok() || shard >= cfg_.shards || (to - 1) / 2 != shard) {
    return;
  }
  const auto began = std::chrono::steady_clock::now();
  result_.postings += work_.index.shards[shard].search(query_, work_.index.stats, kResultsPerQuery, scratch_, hits_);
  const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - began).count();
  result_.search_ns.record(static_cast<std::uint64_t>(took));
  const bool slow = slow_draw(qid, shard, attempt);
  MessageWriter w;
  w.word("r").number(qid).number(shard).number(attempt).number(slow ? 1 : 0).number(hits_.size());
  for (const Hit& h : hits_) {
    w.number(h.doc).number(std::bit_cast<std::uint64_t>(h.score));
  }
  // Virtual time: the search took its measured time; live, it already took it for real.
  const SimTime delay = (live_ ? 0 : static_cast<SimTime>(took)) + (slow ? cfg_.slow : 0);
  net_.after(to, delay, [this, to, from, body = w.take()] { net_.send(to, from, body); });
}

void TailModel::receive(MessageReader& in) {
  const auto qid = static_cast<std::uint32_t>(in.number());
  const auto shard = static_cast<std::uint32_t>(in.number());
  const std::uint64_t attempt = in.number();
  const bool slow = in.number() == 1;
  const std::uint64_t count = in.number();
  if (!in.ok() || qid >= cfg_.queries || shard >= cfg_.shards || count > kResultsPerQuery) {
    return;
  }
  if (attempt == 0) {
    primary_latency_.record(static_cast<std::uint64_t>(net_.now() - starts_[qid]));
  }
  const auto it = pending_.find(qid);
  if (it == pending_.end() || it->second.answered[shard] != 0) {
    return;  // the other copy answered first
  }
  hits_.clear();
  for (std::uint64_t i = 0; i < count; ++i) {
    const auto doc = static_cast<DocId>(in.number());
    hits_.push_back(Hit{doc, std::bit_cast<double>(in.number())});
  }
  if (!in.ok()) {
    return;
  }
  Pending& p = it->second;
  p.answered[shard] = 1;
  p.slowed = p.slowed || slow;
  if (p.backups[shard] != 0) {
    net_.cancel(p.backups[shard]);
  }
  const std::vector<Hit> lists[2] = {std::move(p.top), hits_};
  merge_top_k(lists, kResultsPerQuery, p.top);
  if (--p.remaining == 0) {
    complete(qid, p);
    pending_.erase(it);
  }
}

void TailModel::complete(std::uint32_t qid, const Pending& p) {
  ++result_.completed;
  result_.slowed += p.slowed ? 1 : 0;
  result_.latency.record(static_cast<std::uint64_t>(net_.now() - starts_[qid]));
  if (qid % kCheckEvery == 0) {
    ++result_.checked;
    work_.whole.search(work_.queries[qid], work_.index.stats, kResultsPerQuery, scratch_, hits_);
    const bool same = hits_.size() == p.top.size() &&
                      std::equal(hits_.begin(), hits_.end(), p.top.begin(), [](const Hit& a, const Hit& b) {
                        return a.doc == b.doc && a.score == b.score;
                      });
    result_.matched += same ? 1 : 0;
  }
}

}  // namespace hexwire::sim::cases::search
