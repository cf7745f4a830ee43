// netflix cdn: an Open-Connect-like edge cache, filled once a day off-peak with the titles a
// popularity forecast ranks highest, against a plain LRU that fills on every miss; Zipf popularity
// whose ranking churns daily as new titles are released. Hit ratio, peak-hour fills, and the
// references each is judged against. docs/cases/netflix.md#cdn.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <list>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "sim/cases/netflix/netflix_case.hpp"
#include "sim/cases/search/result_cache.hpp"

namespace hexwire::sim::cases::netflix {
namespace {

/// Share of a day's requests in each hour (a streaming service's evening peak, trough at 04-06).
constexpr std::array<double, 24> kHourly{0.6,  0.4,  0.25, 0.15, 0.1,  0.1,  0.15, 0.25,
                                         0.35, 0.4,  0.45, 0.5,  0.55, 0.55, 0.55, 0.6,
                                         0.7,  0.8,  0.9,  1.0,  1.0,  1.0,  0.95, 0.8};
constexpr int kFillHour = 4;        // the off-peak fill, and the day's releases, at 04:00
constexpr int kPeakFrom = 18, kPeakTo = 23;  // peak hours [18, 23)

struct CdnConfig {
  std::uint32_t titles = 10'000;
  std::uint32_t cache = 1'000;
  double zipf_s = 0.8;
  std::uint32_t days = 7;
  std::uint32_t requests_per_day = 100'000;
  double new_per_day = 0.02;    // share of the catalogue released each day
  double release_top = 0.05;    // new titles enter at a uniform rank in this top share
  double forecast_noise = 0.5;  // sigma of ln of the forecast's error on each title's popularity
};

CdnConfig config_from(const Params& p) {
  CdnConfig c;
  c.titles = static_cast<std::uint32_t>(p.integer("titles"));
  c.cache = static_cast<std::uint32_t>(p.integer("cache"));
  c.zipf_s = p.number("zipf-s");
  c.days = static_cast<std::uint32_t>(p.integer("days"));
  c.requests_per_day = static_cast<std::uint32_t>(p.integer("requests-per-day"));
  c.new_per_day = p.number("new-per-day");
  c.release_top = p.number("release-top");
  c.forecast_noise = p.number("forecast-noise");
  if (c.cache >= c.titles) {
    throw UsageError("--cache must be smaller than --titles (or every title is always cached)");
  }
  if (c.days < 2) {
    throw UsageError("--days must be at least 2 (the first day warms the LRU and is not counted)");
  }
  return c;
}

/// An LRU of title ids.
class TitleLru {
 public:
  explicit TitleLru(std::size_t capacity) : capacity_(capacity) {}
  /// True on a hit (and the title becomes most recent); on a miss it is inserted.
  bool access(std::uint32_t title) {
    const auto it = index_.find(title);
    if (it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return true;
    }
    order_.push_front(title);
    index_[title] = order_.begin();
    if (order_.size() > capacity_) {
      index_.erase(order_.back());
      order_.pop_back();
    }
    return false;
  }

 private:
  std::size_t capacity_;
  std::list<std::uint32_t> order_;
  std::unordered_map<std::uint32_t, std::list<std::uint32_t>::iterator> index_;
};

struct Counts {
  std::uint64_t requests = 0, hits = 0, peak_requests = 0, peak_hits = 0, fills = 0, peak_fills = 0;
  [[nodiscard]] double hit_ratio() const { return requests ? static_cast<double>(hits) / static_cast<double>(requests) : 0; }
};

/// The catalogue's popularity order (ranking[0] most popular), with each day's releases.
class Catalogue {
 public:
  Catalogue(const CdnConfig& c, Rng& rng) : cfg_(c), rng_(rng) {
    ranking_.resize(c.titles);
    std::iota(ranking_.begin(), ranking_.end(), 0u);
    next_id_ = c.titles;
  }
  /// New titles enter at uniform ranks in the top share; the least popular leave the catalogue.
  void release() {
    const auto count = static_cast<std::uint32_t>(std::llround(cfg_.new_per_day * cfg_.titles));
    const auto top = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(cfg_.release_top * cfg_.titles));
    for (std::uint32_t i = 0; i < count; ++i) {
      ranking_.insert(ranking_.begin() + static_cast<std::ptrdiff_t>(rng_.below(top)), next_id_++);
    }
    ranking_.resize(cfg_.titles);
  }
  [[nodiscard]] const std::vector<std::uint32_t>& ranking() const noexcept { return ranking_; }

 private:
  const CdnConfig& cfg_;
  Rng& rng_;
  std::vector<std::uint32_t> ranking_;
  std::uint32_t next_id_ = 0;
};

/// The proactive fill: the `cache` titles whose forecast (true popularity times log-normal error
/// with median 1) is highest.
std::unordered_set<std::uint32_t> forecast_fill(const CdnConfig& c, const std::vector<std::uint32_t>& ranking,
                                                const std::vector<double>& popularity, Rng& rng) {
  std::vector<std::pair<double, std::uint32_t>> scored;
  scored.reserve(ranking.size());
  for (std::size_t r = 0; r < ranking.size(); ++r) {
    scored.emplace_back(popularity[r] * std::exp(c.forecast_noise * rng.normal()), ranking[r]);
  }
  std::partial_sort(scored.begin(), scored.begin() + c.cache, scored.end(), std::greater<>());
  std::unordered_set<std::uint32_t> fill;
  for (std::uint32_t i = 0; i < c.cache; ++i) {
    fill.insert(scored[i].second);
  }
  return fill;
}

void run_cdn(RunContext& ctx) {
  const CdnConfig c = config_from(ctx.params());
  const std::vector<double> popularity = search::zipf_popularity(c.titles, c.zipf_s);
  std::vector<double> cdf(popularity.size());
  std::partial_sum(popularity.begin(), popularity.end(), cdf.begin());
  const double hourly_total = std::accumulate(kHourly.begin(), kHourly.end(), 0.0);
  Rng churn_rng = ctx.rng().stream("cdn-releases");
  Rng request_rng = ctx.rng().stream("cdn-requests");
  Rng forecast_rng = ctx.rng().stream("cdn-forecast");
  Catalogue catalogue(c, churn_rng);
  TitleLru lru(c.cache);
  std::unordered_set<std::uint32_t> filled;
  std::unordered_set<std::uint32_t> previous_fill;
  Counts lru_counts, pro_counts;
  double expected_pro_hits = 0, expected_pro_var = 0;
  ctx.begin({"day", "lru_hit_ratio", "proactive_hit_ratio", "lru_peak_fills", "proactive_fills"},
            PlotHint{"edge hit ratio per day: forecast fill vs LRU", "day",
                     {"lru_hit_ratio", "proactive_hit_ratio"}, false});
  ctx.note(fmt::format("{} titles, Zipf s={}, cache {} titles; {} requests a day for {} days; {}% of the "
                       "catalogue released daily at ranks in the top {}%; forecast error sigma {}",
                       c.titles, c.zipf_s, c.cache, c.requests_per_day, c.days, 100 * c.new_per_day,
                       100 * c.release_top, c.forecast_noise));
  for (std::uint32_t day = 0; day < c.days; ++day) {
    // 04:00: the day's releases go live and the proactive cache is filled for them.
    catalogue.release();
    const std::vector<std::uint32_t>& ranking = catalogue.ranking();
    filled = forecast_fill(c, ranking, popularity, forecast_rng);
    std::uint64_t fills = 0;
    for (const std::uint32_t t : filled) {
      fills += previous_fill.count(t) ? 0 : 1;
    }
    previous_fill = filled;
    double filled_mass = 0;
    for (std::size_t r = 0; r < ranking.size(); ++r) {
      filled_mass += filled.count(ranking[r]) ? popularity[r] : 0.0;
    }
    const bool counted = day > 0;  // day 0 warms the LRU
    Counts lru_day, pro_day;
    pro_day.fills = fills;
    for (int h = 0; h < 24; ++h) {
      const int hour = (kFillHour + h) % 24;
      const bool peak = hour >= kPeakFrom && hour < kPeakTo;
      const auto n = static_cast<std::uint64_t>(std::llround(c.requests_per_day * kHourly[hour] / hourly_total));
      for (std::uint64_t i = 0; i < n; ++i) {
        const auto rank = static_cast<std::size_t>(
            std::upper_bound(cdf.begin(), cdf.end(), request_rng.uniform01() * cdf.back()) - cdf.begin());
        const std::uint32_t title = ranking[std::min(rank, ranking.size() - 1)];
        const bool lru_hit = lru.access(title);
        const bool pro_hit = filled.count(title) > 0;
        for (auto [counts, hit] : {std::pair{&lru_day, lru_hit}, std::pair{&pro_day, pro_hit}}) {
          ++counts->requests;
          counts->hits += hit ? 1 : 0;
          counts->peak_requests += peak ? 1 : 0;
          counts->peak_hits += peak && hit ? 1 : 0;
        }
        lru_day.fills += lru_hit ? 0 : 1;
        lru_day.peak_fills += !lru_hit && peak ? 1 : 0;
      }
      if (counted) {
        expected_pro_hits += static_cast<double>(n) * filled_mass;
        expected_pro_var += static_cast<double>(n) * filled_mass * (1 - filled_mass);
      }
    }
    ctx.sample({static_cast<double>(day + 1), lru_day.hit_ratio(), pro_day.hit_ratio(),
                static_cast<double>(lru_day.peak_fills), static_cast<double>(pro_day.fills)});
    if (counted) {
      for (auto [total, d] : {std::pair{&lru_counts, &lru_day}, std::pair{&pro_counts, &pro_day}}) {
        total->requests += d->requests;
        total->hits += d->hits;
        total->peak_requests += d->peak_requests;
        total->peak_hits += d->peak_hits;
        total->fills += d->fills;
        total->peak_fills += d->peak_fills;
      }
    }
  }
  const double requests = static_cast<double>(pro_counts.requests);
  const double che = search::che_lru_hit_rate(popularity, c.cache);
  const double optimum = search::static_optimal_hit_rate(popularity, c.cache);
  ctx.figure(Figure::within("proactive_hit_ratio", pro_counts.hit_ratio(), expected_pro_hits / requests,
                            4 * std::sqrt(expected_pro_var) / requests + 1e-9,
                            "derived: request share of the titles the forecast filled, day by day"));
  ctx.figure(Figure::at_most("proactive_hit_ratio_vs_optimum", pro_counts.hit_ratio(), optimum + 0.005,
                             "the static optimum: the cache's size in the most popular titles"));
  ctx.figure(Figure::within("lru_hit_ratio", lru_counts.hit_ratio(), che, 0.02,
                            "Che's approximation of LRU (Che, Tung and Wang 2002), without churn"));
  ctx.figure(Figure::at_least("proactive_gain", pro_counts.hit_ratio() - lru_counts.hit_ratio(), 0.0,
                              "Open Connect: a forecast fill beats filling on misses when popularity is predictable"));
  ctx.figure(Figure::info("static_optimum", optimum));
  const double days = c.days - 1;
  ctx.figure(Figure::info("lru_peak_fills_per_day", static_cast<double>(lru_counts.peak_fills) / days, "titles"));
  ctx.figure(Figure::info("proactive_fills_per_day", static_cast<double>(pro_counts.fills) / days, "titles"));
  ctx.figure(Figure::info("lru_peak_hit_ratio", lru_counts.peak_requests ? static_cast<double>(lru_counts.peak_hits) / static_cast<double>(lru_counts.peak_requests) : 0));
  ctx.figure(Figure::info("proactive_peak_hit_ratio", pro_counts.peak_requests ? static_cast<double>(pro_counts.peak_hits) / static_cast<double>(pro_counts.peak_requests) : 0));
}

}  // namespace

ExperimentSpec cdn_experiment() {
  ExperimentSpec e;
  e.name = "cdn";
  e.summary = "edge cache: off-peak fill from a popularity forecast against LRU, Zipf with daily churn";
  e.details =
      "A catalogue of --titles titles with Zipf(--zipf-s) popularity by rank; every day at 04:00 "
      "(the trough of the daily traffic curve) --new-per-day of the catalogue is released at uniform "
      "ranks in the top --release-top share, pushing the rest down (the least popular leave). An "
      "edge of --cache titles serves --requests-per-day a day, by the hour along the curve. "
      "proactive (Open Connect): at 04:00 the edge is filled with the titles a forecast ranks "
      "highest (true popularity times a log-normal error, sigma --forecast-noise) and misses are "
      "served from upstream without caching; lru caches every miss. Reports both hit ratios after "
      "the first day, against the forecast's own expectation, Che's approximation and the static "
      "optimum, and the titles each fills at peak (18-23 h).";
  e.example = "--check";
  e.params = {
      ParamSpec::integer("titles", 10'000, 10, 10'000'000, "Titles in the catalogue"),
      ParamSpec::integer("cache", 1'000, 1, 10'000'000, "Titles the edge holds"),
      ParamSpec::number("zipf-s", 0.8, 0, 5, "Zipf exponent of popularity by rank"),
      ParamSpec::integer("days", 7, 2, 3650, "Days simulated (the first warms the LRU)"),
      ParamSpec::integer("requests-per-day", 100'000, 1, 100'000'000, "Requests a day at the edge"),
      ParamSpec::number("new-per-day", 0.02, 0, 1, "Share of the catalogue released each day"),
      ParamSpec::number("release-top", 0.05, 0.0001, 1, "New titles enter at a uniform rank in this top share"),
      ParamSpec::number("forecast-noise", 0.5, 0, 10, "Forecast error: sigma of ln of its factor on each title's popularity"),
  };
  e.run = run_cdn;
  return e;
}

}  // namespace hexwire::sim::cases::netflix
