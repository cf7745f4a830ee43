// airbnb search: guests (nodes g0..) send map searches to the search service (node search): a
// viewport, dates, a price range and maybe a required amenity. The service finds the listings in
// the viewport through the res-9 cell index, keeps the bookable ones, ranks them by relevance to
// the guest's profile, price and quality, and answers the top 10. Every search runs for real and
// is timed in-process; end to end it crosses the network (virtual) or the engine (live). Every
// 10th search is also answered by scanning all listings: the results must be identical, and no
// shown listing may be dominated on all three objectives by one ranked below it.
// docs/cases/airbnb.md#search.
#include <fmt/format.h>

#include <bit>
#include <chrono>

#include "core/histogram.hpp"
#include "sim/cases/airbnb/airbnb_case.hpp"
#include "sim/cases/airbnb/guests.hpp"
#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::airbnb {
namespace {

constexpr std::size_t kShown = 10;
constexpr std::uint64_t kCheckEvery = 10;

struct SearchConfig {
  std::uint32_t guests = 20;
  std::uint32_t searches = 2000;
  double rate = 200;
  Weights weights;
};

struct SearchStats {
  core::Histogram index_ns;
  core::Histogram scan_ns;
  core::Histogram end_to_end_ns;
  std::uint64_t answered = 0;
  std::uint64_t checked = 0;
  std::uint64_t same_as_scan = 0;
  std::uint64_t violations = 0;
  std::uint64_t candidates = 0;
  std::uint64_t matches = 0;
  std::uint64_t empty = 0;
};

class SearchModel final : public NodeEvents {
 public:
  SearchModel(const SearchConfig& cfg, const City& city, const ListingIndex& index, Network& net,
              bool live, Rng rng)
      : cfg_(cfg), city_(city), index_(index), net_(net), live_(live), rng_(rng) {
    service_ = net.add_node("search");
    for (std::uint32_t g = 0; g < cfg.guests; ++g) {
      net.add_node(fmt::format("g{}", g));
      guests_.push_back(draw_guest(city, rng_));
    }
    net.set_events(*this);
  }

  void start() { schedule_next(0); }
  [[nodiscard]] bool done() const noexcept { return stats_.answered == cfg_.searches; }
  [[nodiscard]] const SearchStats& stats() const noexcept { return stats_; }

  void on_message(NodeId to, NodeId from, std::string_view body) override {
    MessageReader in(body);
    const std::string_view kind = in.word();
    if (kind == "s" && to == service_ && from != service_) {
      serve(from, in);
    } else if (kind == "r" && to != service_) {
      const std::uint64_t qid = in.number();
      if (in.ok() && qid < sent_at_.size()) {
        stats_.end_to_end_ns.record(static_cast<std::uint64_t>(net_.now() - sent_at_[qid]));
        ++stats_.answered;
      }
    }
  }

 private:
  void schedule_next(std::uint32_t qid) {
    if (qid >= cfg_.searches) {
      return;
    }
    const auto gap = static_cast<SimTime>(rng_.exponential(1.0 / cfg_.rate) * kSecond);
    net_.after(kNoNode, qid == 0 ? 0 : gap, [this, qid] {
      send(qid);
      schedule_next(qid + 1);
    });
  }

  void send(std::uint32_t qid) {
    const auto g = static_cast<std::uint32_t>(rng_.below(cfg_.guests));
    const SearchRequest r = draw_request(city_, guests_[g], rng_);
    MessageWriter w;
    w.word("s").number(qid);
    for (const double x : {r.area.lat_lo, r.area.lat_hi, r.area.lng_lo, r.area.lng_hi}) {
      w.number(std::bit_cast<std::uint64_t>(x));
    }
    w.number(r.checkin).number(r.nights).number(static_cast<std::uint64_t>(r.price_lo));
    w.number(static_cast<std::uint64_t>(r.price_hi)).number(r.amenities);
    sent_at_.push_back(net_.now());
    net_.send(guest_node(g), service_, w.take());
  }

  [[nodiscard]] NodeId guest_node(std::uint32_t g) const noexcept { return service_ + 1 + g; }

  void serve(NodeId from, MessageReader& in) {
    const std::uint64_t qid = in.number();
    SearchRequest r;
    double* bounds[] = {&r.area.lat_lo, &r.area.lat_hi, &r.area.lng_lo, &r.area.lng_hi};
    for (double* b : bounds) {
      *b = std::bit_cast<double>(in.number());
    }
    r.checkin = static_cast<std::uint32_t>(in.number());
    r.nights = static_cast<std::uint32_t>(in.number());
    r.price_lo = static_cast<double>(in.number());
    r.price_hi = static_cast<double>(in.number());
    r.amenities = static_cast<std::uint8_t>(in.number());
    const std::uint32_t guest = from - service_ - 1;
    if (!in.ok() || guest >= guests_.size()) {
      return;
    }
    r.profile = guests_[guest].profile;  // the service's profile store
    const auto began = std::chrono::steady_clock::now();
    search(index_, city_.listings, r, cfg_.weights, kShown, candidates_, result_);
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - began).count();
    stats_.index_ns.record(static_cast<std::uint64_t>(took));
    stats_.candidates += result_.candidates;
    stats_.matches += result_.ranked.size();
    stats_.empty += result_.shown == 0 ? 1 : 0;
    MessageWriter w;
    w.word("r").number(qid).number(result_.shown);
    for (std::size_t i = 0; i < result_.shown; ++i) {
      w.number(result_.ranked[i].id);
    }
    if (qid % kCheckEvery == 0) {
      check(r);
    }
    const SimTime delay = live_ ? 0 : static_cast<SimTime>(took);
    net_.after(service_, delay, [this, from, body = w.take()] { net_.send(service_, from, body); });
  }

  /// The scan must give the same top 10; the ranking must respect dominance.
  void check(const SearchRequest& r) {
    ++stats_.checked;
    stats_.violations += dominance_violations(result_);
    const auto began = std::chrono::steady_clock::now();
    search_by_scan(city_.listings, r, cfg_.weights, kShown, scan_candidates_, scan_);
    stats_.scan_ns.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began)
            .count()));
    bool same = scan_.shown == result_.shown && scan_.ranked.size() == result_.ranked.size();
    for (std::size_t i = 0; same && i < result_.shown; ++i) {
      same = scan_.ranked[i].id == result_.ranked[i].id;
    }
    stats_.same_as_scan += same ? 1 : 0;
  }

  const SearchConfig& cfg_;
  const City& city_;
  const ListingIndex& index_;
  Network& net_;
  bool live_;
  Rng rng_;
  NodeId service_ = 0;
  std::vector<Guest> guests_;
  std::vector<SimTime> sent_at_;
  SearchStats stats_;
  std::vector<ListingId> candidates_;
  std::vector<ListingId> scan_candidates_;
  SearchResult result_;
  SearchResult scan_;
};

double us(const core::Histogram& h, double p) { return static_cast<double>(h.percentile(p)) / 1e3; }

void report(RunContext& ctx, const SearchConfig& cfg, const SearchStats& s) {
  const double n = static_cast<double>(std::max<std::uint64_t>(s.index_ns.count(), 1));
  ctx.figure(Figure::within("index_matches_scan",
                            s.checked == 0 ? 0.0 : static_cast<double>(s.same_as_scan) / s.checked,
                            1.0, 0.0, "the cell index finds exactly the listings a full scan finds"));
  const bool positive = cfg.weights.relevance > 0 && cfg.weights.price > 0 && cfg.weights.quality > 0;
  if (positive) {
    ctx.figure(Figure::within("ranking_dominance_violations", static_cast<double>(s.violations), 0,
                              0, "a weighted sum with positive weights never ranks a listing above "
                                 "one that beats it on every objective"));
  } else {
    ctx.figure(Figure::info("ranking_dominance_violations", static_cast<double>(s.violations)));
  }
  ctx.figure(Figure::info("searches_answered", static_cast<double>(s.answered)));
  ctx.figure(Figure::info("search_p50_us", us(s.index_ns, 50), "us"));
  ctx.figure(Figure::info("search_p99_us", us(s.index_ns, 99), "us"));
  ctx.figure(Figure::info("scan_p50_us", us(s.scan_ns, 50), "us"));
  ctx.figure(Figure::info("index_speedup_vs_scan_p50", us(s.scan_ns, 50) / std::max(us(s.index_ns, 50), 1e-3)));
  ctx.figure(Figure::info("end_to_end_p50_ms", us(s.end_to_end_ns, 50) / 1e3, "ms"));
  ctx.figure(Figure::info("end_to_end_p99_ms", us(s.end_to_end_ns, 99) / 1e3, "ms"));
  ctx.figure(Figure::info("candidates_per_search", static_cast<double>(s.candidates) / n));
  ctx.figure(Figure::info("matches_per_search", static_cast<double>(s.matches) / n));
  ctx.figure(Figure::info("searches_with_no_result", static_cast<double>(s.empty) / n));
}

constexpr double kPercentiles[] = {50, 75, 90, 95, 99, 99.9};

void run_search(RunContext& ctx) {
  SearchConfig cfg;
  cfg.guests = static_cast<std::uint32_t>(ctx.params().integer("guests"));
  cfg.searches = static_cast<std::uint32_t>(ctx.params().integer("searches"));
  cfg.rate = ctx.params().number("rate");
  cfg.weights = ranking_weights(ctx.params());
  const City city = generate_city(city_config(ctx.params(), ctx.rng().seed()));
  const ListingIndex index(city.listings);
  ctx.note(fmt::format("{} listings in {} neighbourhoods over {} res-{} cells; {} guests send {} "
                       "searches at {}/s",
                       city.listings.size(), city.neighbourhood_centres.size(), index.cell_count(),
                       kIndexRes, cfg.guests, cfg.searches, cfg.rate));
  ctx.begin({"percentile", "index_us", "scan_us"},
            PlotHint{"airbnb search latency in-process: cell index vs full scan", "percentile",
                     {"index_us", "scan_us"}, true});
  SearchModel model(cfg, city, index, ctx.network(), ctx.live(), ctx.rng().stream("guests"));
  ctx.open_network();
  model.start();
  const SimTime limit = static_cast<SimTime>(cfg.searches / cfg.rate * kSecond) + 30 * kSecond;
  for (SimTime t = 100 * kMillisecond; t <= limit && !model.done(); t += 100 * kMillisecond) {
    if (!ctx.network().run_until(t)) {
      throw std::runtime_error("the network stopped before the end of the run");
    }
  }
  const SearchStats& s = model.stats();
  for (const double p : kPercentiles) {
    ctx.sample({p, us(s.index_ns, p), us(s.scan_ns, p)});
  }
  report(ctx, cfg, s);
}

}  // namespace

ExperimentSpec search_experiment() {
  ExperimentSpec e;
  e.name = "search";
  e.summary = "map search: viewport, dates, price range; ranked by relevance, price and quality";
  e.details =
      "Guests (nodes g0..) send --searches searches at --rate a second to the search service "
      "(node search): a 1.5-4 km viewport near a listing they like, a 2-7 night stay in the next "
      "90 days, a price range and sometimes a required amenity. The service takes the listings of "
      "the res-9 cells covering the viewport (the grid dispatch indexes drivers on), keeps the "
      "bookable ones, and ranks them by --w-relevance x relevance (the guest's profile against the "
      "listing embedding) + --w-price x price + --w-quality x quality; it answers the top 10. Each "
      "search is timed in-process; end to end it crosses the network (live: the engine). Every "
      "10th search is also answered by a full scan, which must agree, and no shown listing may be "
      "beaten on all three objectives by one ranked below it.";
  e.example = "--searches 2000 --check";
  e.networked = true;
  e.params = city_params();
  const std::vector<ParamSpec> own = {
      ParamSpec::integer("guests", 20, 1, 10'000, "Guests (nodes) sending searches"),
      ParamSpec::integer("searches", 2000, 1, 10'000'000, "Searches in total"),
      ParamSpec::number("rate", 200, 0.001, 1e6, "Searches per second (Poisson)"),
  };
  e.params.insert(e.params.end(), own.begin(), own.end());
  e.run = run_search;
  return e;
}

}  // namespace hexwire::sim::cases::airbnb
