// DispatchCluster, serving side: requests of other nodes, received on this node's shard 0 and run
// on its engine as if a local client had sent them (the engine routes each to the owning shard and
// answers back on shard 0), then answered to the asking shard. A request is served even when this
// node no longer owns the region (ownership moved in flight): one forward per op, never a loop.
// Also the adoption of a dead node's trips: shard 0 reads the node's list of trips in progress and
// takes over each whose pickup region this node owns now, from the trip's Redis record.
#include <algorithm>
#include <optional>
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

/// "lat,lng" as DispatchCluster::trip_event writes it.
bool read_point(std::string text, geo::LatLngDeg& point) {
  std::replace(text.begin(), text.end(), ',', ' ');
  FieldReader r(text);
  point.lat = r.num<double>();
  point.lng = r.num<double>();
  return r.ok();
}

/// Sets the record's home to ARGV[3] in run ARGV[4] if it still is ARGV[1] in run ARGV[2].
constexpr const char* kClaimScript =
    "if redis.call('HGET', KEYS[1], 'home') == ARGV[1] and "
    "(redis.call('HGET', KEYS[1], 'run') or '') == ARGV[2] then "
    "redis.call('HSET', KEYS[1], 'home', ARGV[3], 'run', ARGV[4]) return 1 end return 0";

/// A trip's Redis record (HGETALL field/value pairs) as an AdoptedTrip, and its `home` node and
/// the `run` of that node that wrote it; nullopt when a field is missing or unreadable.
std::optional<geo::AdoptedTrip> read_record(const std::string& trip, redis::ReplyView fields,
                                            std::string& home, std::string& run) {
  geo::AdoptedTrip record;
  record.id = trip;
  std::optional<geo::TripStatus> status;
  bool pickup = false;
  bool destination = false;
  bool numbers = false;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string_view name = fields[i].str();
    const std::string_view value = fields[i + 1].str();
    if (name == "status") {
      if (geo::TripStatus named{}; geo::parse_trip_status(value, &named)) {
        status = named;
      }
    } else if (name == "rider") {
      record.rider = value;
    } else if (name == "driver") {
      record.driver = value;
    } else if (name == "home") {
      home = value;
    } else if (name == "run") {
      run = value;
    } else if (name == "pickup") {
      pickup = read_point(std::string(value), record.pickup);
    } else if (name == "destination") {
      destination = read_point(std::string(value), record.destination);
    } else if (name == "eta_surge_fare_ts") {
      FieldReader r(value);
      record.eta_s = r.num<double>();
      record.surge = r.num<double>();
      record.fare_estimate = r.num<double>();
      numbers = r.ok();
    } else if (name == "driver_at") {
      FieldReader r(value);
      record.driver_node = r.str();
      record.driver_shard = r.num<unsigned>();
    }
  }
  if (!status || !pickup || !destination || !numbers || record.rider.empty() || home.empty()) {
    return std::nullopt;
  }
  record.status = *status;
  return record;
}
}  // namespace

std::string DispatchCluster::trip_key(std::string_view trip) const {
  return config_.rpc.prefix + ":{trip:" + std::string(trip) + "}";
}

std::string DispatchCluster::trips_key(std::string_view node) const {
  return config_.rpc.prefix + ":{node:" + std::string(node) + "}:trips";
}

std::string DispatchCluster::driver_key(std::string_view driver) const {
  return config_.rpc.prefix + ":{driver:" + std::string(driver) + "}";
}

void DispatchCluster::adopt_trips_of(const std::string& dead, bool own) {
  if (engine_ == nullptr) {
    return;
  }
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;
  }
  const std::string list = trips_key(dead);
  redis->command(list, {"SMEMBERS", list},
                          [this, dead, own](redis::RedisStatus status, redis::ReplyView trips) {
                            if (status != redis::RedisStatus::kOk || !trips.is_array()) {
                              return;  // Redis unreachable: these trips stay with their records
                            }
                            for (std::size_t i = 0; i < trips.size(); ++i) {
                              adopt_trip(dead, std::string(trips[i].str()), own);
                            }
                          });
}

void DispatchCluster::adopt_trip(const std::string& dead, const std::string& trip, bool own) {
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;
  }
  const std::string key = trip_key(trip);
  redis->command(
      key, {"HGETALL", key},
      [this, dead, trip, own](redis::RedisStatus status, redis::ReplyView fields) {
        if (status != redis::RedisStatus::kOk || !fields.is_array()) {
          return;
        }
        std::string home;
        std::string run;
        std::optional<geo::AdoptedTrip> record = read_record(trip, fields, home, run);
        // Expired, unreadable or over, or (in this node's own list) adopted by another node while
        // this one was down: not this list's any more.
        if (!record || geo::is_terminal(record->status) || (own && home != dead)) {
          const std::string list = trips_key(dead);
          if (redis::RedisClient* again = redis_here()) {
            again->command(list, {"SREM", list, trip}, nullptr);
          }
          return;
        }
        if (home != dead || (own && run == run_) ||
            (!own && remote_owner(record->pickup.lat, record->pickup.lng))) {
          return;  // adopted already, this run's own, or the pickup region is another node's
        }
        claim_trip(std::move(*record), home, run);
      });
}

void DispatchCluster::claim_trip(geo::AdoptedTrip record, const std::string& home,
                                 const std::string& run) {
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;
  }
  const std::string key = trip_key(record.id);
  redis->command(key, {"EVAL", kClaimScript, "1", key, home, run, config_.rpc.node_id, run_},
                 [this, home, record = std::move(record)](redis::RedisStatus status,
                                                          redis::ReplyView claimed) mutable {
                   if (status != redis::RedisStatus::kOk || claimed.is_error() ||
                       claimed.integer() != 1) {
                     return;  // another node (or this node's other run) took it first
                   }
                   std::string trip = record.id;
                   engine_->adopt_trip(std::move(record),
                                       [this, home, trip = std::move(trip)](bool taken) {
                                         if (taken) {
                                           adopted(home, trip);
                                         }
                                       });
                 });
}

void DispatchCluster::adopted(const std::string& dead, const std::string& trip) {
  count_adopted();
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;
  }
  redis::RedisClient& client = *redis;  // the record's home was set by the claim
  const std::string mine = trips_key(config_.rpc.node_id);
  client.command(mine, {"SADD", mine, trip}, nullptr);
  client.command(mine, {"EXPIRE", mine, std::to_string(config_.trip_ttl_s)}, nullptr);
  if (dead != config_.rpc.node_id) {
    const std::string theirs = trips_key(dead);
    client.command(theirs, {"SREM", theirs, trip}, nullptr);
  }
}

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
