// The text codec of dispatch requests between nodes (private to app/dispatch_cluster*.cpp): one op
// word then fields separated by single spaces. Doubles are written in their shortest round-trip
// form, so a distance ranked on one node compares identically on another. User and trip ids never
// contain spaces (channel-name alphabet).
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "geo/dispatch/engine.hpp"

namespace hexwire::app::detail {

class FieldWriter {
 public:
  explicit FieldWriter(std::string_view op) : text_(op) {}
  FieldWriter& add(std::string_view field) {
    text_.push_back(' ');
    text_.append(field.empty() ? std::string_view("-") : field);
    return *this;
  }
  template <typename Number>
  FieldWriter& num(Number value) {
    fmt::format_to(std::back_inserter(text_), " {}", value);
    return *this;
  }
  [[nodiscard]] std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

class FieldReader {
 public:
  explicit FieldReader(std::string_view text) : rest_(text) {}
  /// The next field ("-" reads as empty); sets !ok() when none is left.
  std::string_view str() {
    if (rest_.empty()) {
      ok_ = false;
      return {};
    }
    const std::size_t space = rest_.find(' ');
    const std::string_view field = rest_.substr(0, space);
    rest_ = space == std::string_view::npos ? std::string_view() : rest_.substr(space + 1);
    return field == "-" ? std::string_view() : field;
  }
  template <typename Number>
  Number num() {
    const std::string_view field = str();
    Number value{};
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size()) {
      ok_ = false;
    }
    return value;
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

 private:
  std::string_view rest_;
  bool ok_ = true;
};

/// "<n> then per driver: id lat lng distance_km eta_s shard".
inline void write_drivers(FieldWriter& w, const std::vector<geo::NearbyDriver>& drivers) {
  w.num(drivers.size());
  for (const geo::NearbyDriver& d : drivers) {
    w.add(d.driver).num(d.lat_deg).num(d.lng_deg).num(d.distance_km).num(d.eta_s).num(d.shard);
  }
}

/// Reads what write_drivers wrote (at most `max` drivers); each gets `node`.
inline std::vector<geo::NearbyDriver> read_drivers(FieldReader& r, geo::NodeRef node,
                                                   std::size_t max) {
  const auto n = r.num<std::size_t>();
  std::vector<geo::NearbyDriver> drivers;
  for (std::size_t i = 0; r.ok() && i < n && i < max; ++i) {
    geo::NearbyDriver d;
    d.driver = std::string(r.str());
    d.lat_deg = r.num<double>();
    d.lng_deg = r.num<double>();
    d.distance_km = r.num<double>();
    d.distance_m = d.distance_km * 1000.0;
    d.eta_s = r.num<double>();
    d.shard = r.num<unsigned>();
    d.node = node;
    if (r.ok() && !d.driver.empty()) {
      drivers.push_back(std::move(d));
    }
  }
  return drivers;
}

}  // namespace hexwire::app::detail
