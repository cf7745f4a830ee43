// DispatchCluster, serving side: requests of other nodes, received on this node's shard 0 and run
// on its engine as if a local client had sent them (the engine routes each to the owning shard and
// answers back on shard 0), then answered to the asking shard. A request is served even when this
// node no longer owns the region (ownership moved in flight): one forward per op, never a loop.
#include <utility>

#include "app/detail/cluster_codec.hpp"
#include "app/dispatch_cluster.hpp"

namespace hexwire::app {

using detail::FieldReader;
using detail::FieldWriter;

namespace {
constexpr std::size_t kMaxWanted = 200;

std::string error_only(geo::DispatchError error) {
  return std::to_string(static_cast<int>(error));
}

bool valid_action(int action) noexcept {
  return action >= 0 && action <= static_cast<int>(geo::TripAction::kCancel);
}
}  // namespace

void DispatchCluster::serve(std::string_view payload, const scaleout::RpcFrom& from) {
  if (engine_ == nullptr) {
    return;  // the asker's deadline answers `unavailable`
  }
  FieldReader r(payload);
  const std::string_view op = r.str();
  if (op == "loc") {
    const std::string driver(r.str());
    geo::GpsFix fix;
    fix.lat_deg = r.num<double>();
    fix.lng_deg = r.num<double>();
    fix.heading_deg = r.num<double>();
    fix.speed_mps = r.num<double>();
    fix.available = r.num<int>() != 0;
    if (!r.ok() || driver.empty()) {
      answer(from, "1 2 0");
      return;
    }
    const bool want_reply = from.id != 0;
    engine_->update_location(
        driver, fix,
        [this, from](geo::LocationReply reply) {
          answer(from, std::to_string(static_cast<int>(reply.error)) + " " +
                           std::to_string(static_cast<int>(reply.outcome)) + " " +
                           std::to_string(reply.cell));
        },
        want_reply ? geo::LocationReplies::kAll : geo::LocationReplies::kErrorsOnly);
    return;
  }
  if (op == "ride") {
    const std::string rider(r.str());
    const geo::LatLngDeg pickup{r.num<double>(), r.num<double>()};
    const geo::LatLngDeg destination{r.num<double>(), r.num<double>()};
    if (!r.ok()) {
      answer(from, "1 - 1 0");
      return;
    }
    engine_->request_ride(rider, pickup, destination, [this, from](geo::RideReply reply) {
      FieldWriter w(std::to_string(static_cast<int>(reply.error)));
      w.add(reply.trip).num(reply.surge).num(reply.fare_estimate);
      answer(from, w.take());
    });
    return;
  }
  if (op == "near" || op == "part") {
    const double lat = r.num<double>();
    const double lng = r.num<double>();
    const std::size_t k = std::min(r.num<std::size_t>(), kMaxWanted);
    const double radius = op == "part" ? r.num<double>() : 0;
    const auto reply = [this, from](geo::DispatchError error,
                                    std::vector<geo::NearbyDriver> drivers) {
      FieldWriter w(std::to_string(static_cast<int>(error)));
      detail::write_drivers(w, drivers);
      answer(from, w.take());
    };
    if (!r.ok()) {
      reply(geo::DispatchError::kBadRequest, {});
    } else if (op == "near") {
      engine_->nearby(lat, lng, k, reply);
    } else {
      engine_->search_here(lat, lng, k, radius, reply);
    }
    return;
  }
  if (op == "resv") {
    const std::string driver(r.str());
    const auto shard = r.num<unsigned>();
    const std::string trip(r.str());
    if (!r.ok()) {
      answer(from, "0");
      return;
    }
    engine_->reserve(driver, shard, trip,
                     [this, from](bool reserved) { answer(from, reserved ? "1" : "0"); });
    return;
  }
  if (op == "state") {
    const std::string driver(r.str());
    const auto shard = r.num<unsigned>();
    const std::string trip(r.str());
    const int status = r.num<int>();
    const bool only_if_trip = r.num<int>() != 0;
    if (r.ok() && status >= 0 && status <= static_cast<int>(geo::DriverStatus::kOnTrip)) {
      engine_->set_driver_state(driver, shard, trip, static_cast<geo::DriverStatus>(status),
                                only_if_trip);
    }
    return;
  }
  if (op == "off" || op == "forget") {
    const std::string driver(r.str());
    if (!r.ok() || driver.empty()) {
      return;
    }
    if (op == "off") {
      engine_->driver_offline(driver);
    } else {
      engine_->forget_driver(driver);
    }
    return;
  }
  if (op == "ans") {
    const std::string driver(r.str());
    const std::string trip(r.str());
    const bool accepted = r.num<int>() != 0;
    if (!r.ok()) {
      answer(from, error_only(geo::DispatchError::kBadRequest));
      return;
    }
    auto done = [this, from](geo::DispatchError error) { answer(from, error_only(error)); };
    if (accepted) {
      engine_->accept(driver, trip, std::move(done));
    } else {
      engine_->decline(driver, trip, std::move(done));
    }
    return;
  }
  if (op == "act") {
    const std::string user(r.str());
    const std::string trip(r.str());
    const int action = r.num<int>();
    if (!r.ok() || !valid_action(action)) {
      answer(from, error_only(geo::DispatchError::kBadRequest));
      return;
    }
    engine_->trip_action(user, trip, static_cast<geo::TripAction>(action),
                         [this, from](geo::DispatchError error) { answer(from, error_only(error)); });
  }
}

}  // namespace hexwire::app
