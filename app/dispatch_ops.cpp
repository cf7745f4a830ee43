// Handlers of the dispatch ops of /ws (loc, nearby, ride, accept, decline, trip): role checks,
// calls into geo::DispatchEngine, replies from the encoders of app/protocol_encode.hpp. Roles: a
// `rider` never sends loc/accept/decline and a `driver` never requests a ride (forbidden); a
// connection without a role may do both (tokens without a `role` claim). Trip actions are checked
// by the engine against the trip's own rider and driver.
#include "app/dispatch_ops.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <initializer_list>
#include <utility>
#include <vector>

#include "app/detail/dispatch_reply.hpp"
#include "app/dispatch_cluster.hpp"
#include "app/protocol_encode.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"

namespace hexwire::app {

namespace detail {

ErrorCode error_code_of(geo::DispatchError error) noexcept {
  switch (error) {
    case geo::DispatchError::kBadRequest:
      return ErrorCode::kBadRequest;
    case geo::DispatchError::kForbidden:
      return ErrorCode::kForbidden;
    case geo::DispatchError::kNotFound:
      return ErrorCode::kNotFound;
    case geo::DispatchError::kConflict:
    case geo::DispatchError::kOk:
      break;
  }
  return ErrorCode::kConflict;
}

geo::TripAction geo_action(TripAction action) noexcept {
  switch (action) {
    case TripAction::kArrive:
      return geo::TripAction::kArrive;
    case TripAction::kStart:
      return geo::TripAction::kStart;
    case TripAction::kComplete:
      return geo::TripAction::kComplete;
    case TripAction::kCancel:
      break;
  }
  return geo::TripAction::kCancel;
}

void send(WsConnection& c, core::SharedBuffer frame) noexcept {
  (void)c.link().send_frame(std::move(frame), net::WsSendKind::kReply);
}

void send_error(WsShards& shards, WsConnection& c, std::string_view id, ErrorCode code,
                std::initializer_list<std::string_view> message) {
  WsShardState& shard = shards.here();
  shard.metrics.errors->add();
  send(c, encode_error(shard.writer, id, code, message));
}

void reply_location(const ReplyTo& reply, geo::LocationReply r) {
  WsConnection* conn = reply.find();
  if (conn == nullptr) {
    return;
  }
  if (r.error != geo::DispatchError::kOk) {
    send_error(*reply.shards, *conn, reply.id, error_code_of(r.error), {"invalid coordinates"});
    return;
  }
  send(*conn, encode_loc_reply(reply.writer(), reply.id, r.cell));
}

void reply_nearby(const ReplyTo& reply, geo::DispatchError error,
                  const std::vector<geo::NearbyDriver>& drivers) {
  WsConnection* conn = reply.find();
  if (conn == nullptr) {
    return;
  }
  if (error != geo::DispatchError::kOk) {
    send_error(*reply.shards, *conn, reply.id, error_code_of(error), {"invalid coordinates"});
    return;
  }
  send(*conn, encode_nearby_reply(reply.writer(), reply.id, drivers));
}

void reply_ride(const ReplyTo& reply, const geo::RideReply& r) {
  WsConnection* conn = reply.find();
  if (conn == nullptr) {
    return;
  }
  if (r.error != geo::DispatchError::kOk) {
    send_error(*reply.shards, *conn, reply.id, error_code_of(r.error),
               {"invalid pickup or destination"});
    return;
  }
  send(*conn, encode_ride_reply(reply.writer(), reply.id, r.trip, r.surge, r.fare_estimate));
}

void reply_offer_answer(const ReplyTo& reply, std::string_view trip, bool accepted,
                        geo::DispatchError error) {
  WsConnection* conn = reply.find();
  if (conn == nullptr) {
    return;
  }
  if (error != geo::DispatchError::kOk) {
    // An unknown trip is answered like an expired offer: both mean "nothing to answer".
    const ErrorCode code =
        error == geo::DispatchError::kForbidden ? ErrorCode::kForbidden : ErrorCode::kConflict;
    send_error(*reply.shards, *conn, reply.id, code,
               {"no open offer of trip ", trip, " for you (expired, taken or unknown)"});
    return;
  }
  send(*conn, encode_offer_answer(reply.writer(), reply.id, accepted, trip));
}

void reply_trip_action(const ReplyTo& reply, std::string_view trip, TripAction action,
                       geo::DispatchError error) {
  WsConnection* conn = reply.find();
  if (conn == nullptr) {
    return;
  }
  if (error != geo::DispatchError::kOk) {
    const std::string_view why = error == geo::DispatchError::kForbidden
                                     ? " is not yours to take on this trip"
                                 : error == geo::DispatchError::kConflict
                                     ? " is not legal in the trip's current status"
                                     : " failed";
    send_error(*reply.shards, *conn, reply.id, error_code_of(error),
               {"trip action ", geo::to_string(geo_action(action)), why});
    return;
  }
  send(*conn, encode_trip_action_reply(reply.writer(), reply.id, trip,
                                       geo::to_string(geo_action(action))));
}

void reply_unavailable(const ReplyTo& reply, std::string_view what) {
  if (WsConnection* conn = reply.find()) {
    send_error(*reply.shards, *conn, reply.id, ErrorCode::kUnavailable,
               {"the node owning this ", what, " did not answer in time"});
  }
}

}  // namespace detail

using namespace detail;

namespace {

std::string_view role_of(const WsConnection& c) noexcept {
  return c.identity() != nullptr ? std::string_view(c.identity()->role) : std::string_view();
}

}  // namespace

DispatchService::DispatchService(WsShards& shards, geo::DispatchEngine& engine,
                                 DispatchCluster* cluster)
    : shards_(shards), engine_(engine), cluster_(cluster) {}

DispatchService::~DispatchService() = default;

void DispatchService::loc(WsConnection& c, std::string_view id, const LocOp& op) {
  if (role_of(c) == "rider") {
    send_error(shards_, c, id, ErrorCode::kForbidden, {"riders do not send locations"});
    return;
  }
  geo::GpsFix fix;
  fix.lat_deg = op.lat;
  fix.lng_deg = op.lng;
  fix.heading_deg = op.heading.value_or(0.0);
  fix.speed_mps = op.speed_mps.value_or(0.0);
  fix.available = op.available.value_or(true);
  if (cluster_ != nullptr) {
    if (forward_loc(c, id, fix)) {
      return;
    }
    cluster_->route_driver(c.identity()->user, nullptr);
  }
  if (id.empty()) {
    // The common case (a stream of fixes): only a rejection is answered, so the engine sends
    // nothing back for an applied fix. Two words of capture: std::function keeps them inline, so
    // the callback costs no allocation.
    engine_.update_location(
        c.identity()->user, fix,
        [shards = &shards_, conn_id = c.id()](geo::LocationReply r) {
          if (WsConnection* conn = shards->find(conn_id)) {
            send_error(*shards, *conn, {}, error_code_of(r.error), {"invalid coordinates"});
          }
        },
        geo::LocationReplies::kErrorsOnly);
    return;
  }
  engine_.update_location(
      c.identity()->user, fix,
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}](geo::LocationReply r) {
        reply_location(reply, r);
      });
}

void DispatchService::driver_offline(const std::string& driver) {
  engine_.driver_offline(driver);
  if (cluster_ != nullptr) {
    cluster_->driver_offline(driver);
  }
}

void DispatchService::nearby(WsConnection& c, std::string_view id, const NearbyOp& op) {
  if (op.k == 0 || op.k > kMaxNearbyK) {
    send_error(shards_, c, id, ErrorCode::kBadRequest,
               {"value out of range for field 'k' (1..100)"});
    return;
  }
  if (cluster_ != nullptr && forward_nearby(c, id, op)) {
    return;
  }
  engine_.nearby(op.lat, op.lng, static_cast<std::size_t>(op.k),
                 [reply = ReplyTo{&shards_, c.id(), std::string(id)}](
                     geo::DispatchError error, std::vector<geo::NearbyDriver> drivers) {
                   reply_nearby(reply, error, drivers);
                 });
}

void DispatchService::ride(WsConnection& c, std::string_view id, const RideOp& op) {
  if (role_of(c) == "driver") {
    send_error(shards_, c, id, ErrorCode::kForbidden, {"drivers do not request rides"});
    return;
  }
  if (cluster_ != nullptr && forward_ride(c, id, op)) {
    return;
  }
  engine_.request_ride(c.identity()->user, {op.lat, op.lng}, {op.dest_lat, op.dest_lng},
                       [reply = ReplyTo{&shards_, c.id(), std::string(id)}](geo::RideReply r) {
                         reply_ride(reply, r);
                       });
}

void DispatchService::accept(WsConnection& c, std::string_view id, const AcceptOp& op) {
  answer_offer(c, id, op.trip, true);
}

void DispatchService::decline(WsConnection& c, std::string_view id, const DeclineOp& op) {
  answer_offer(c, id, op.trip, false);
}

void DispatchService::answer_offer(WsConnection& c, std::string_view id, std::string_view trip,
                                   bool accepted) {
  if (role_of(c) == "rider") {
    send_error(shards_, c, id, ErrorCode::kForbidden, {"riders do not answer offers"});
    return;
  }
  if (cluster_ != nullptr) {
    forward_offer_answer(c, id, trip, accepted);
    return;
  }
  auto done = [reply = ReplyTo{&shards_, c.id(), std::string(id)}, trip = std::string(trip),
               accepted](geo::DispatchError error) {
    reply_offer_answer(reply, trip, accepted, error);
  };
  if (accepted) {
    engine_.accept(c.identity()->user, trip, std::move(done));
  } else {
    engine_.decline(c.identity()->user, trip, std::move(done));
  }
}

void DispatchService::trip(WsConnection& c, std::string_view id, const TripOp& op) {
  if (cluster_ != nullptr) {
    forward_trip_action(c, id, op);
    return;
  }
  engine_.trip_action(c.identity()->user, op.trip, geo_action(op.action),
                      [reply = ReplyTo{&shards_, c.id(), std::string(id)},
                       trip = std::string(op.trip), action = op.action](geo::DispatchError error) {
                        reply_trip_action(reply, trip, action, error);
                      });
}

namespace {
constexpr std::uint64_t kNsPerMs = 1'000'000;

/// A millisecond flag stored in a nanosecond field.
void add_ms_option(CLI::App& cli, const std::string& name, std::uint64_t& target_ns,
                   const std::string& help, std::uint64_t min_ms) {
  cli.add_option_function<std::uint64_t>(
         name, [&target_ns](const std::uint64_t& ms) { target_ns = ms * kNsPerMs; }, help)
      ->default_str(std::to_string(target_ns / kNsPerMs))
      ->check(CLI::Range(min_ms, std::uint64_t{24} * 3600 * 1000));
}
}  // namespace

void add_dispatch_flags(CLI::App& cli, geo::DispatchConfig& c) {
  cli.add_option_function<std::string>(
         "--match",
         [&c](const std::string& mode) {
           c.mode = mode == "batched" ? geo::MatchMode::kBatched : geo::MatchMode::kImmediate;
         },
         "Dispatch matching: immediate (nearest available driver per request) or batched "
         "(requests of a window assigned together)")
      ->default_str("immediate")
      ->check(CLI::IsMember({"immediate", "batched"}));
  add_ms_option(cli, "--batch-window-ms", c.batch_window_ns, "Batched matching: window length", 1);
  cli.add_option("--dispatch-res", c.fleet.index_res,
                 "H3 resolution of the driver index (nearest searches walk its cells)")
      ->capture_default_str()
      ->check(CLI::Range(7, 12));
  add_ms_option(cli, "--offer-expiry-ms", c.offer_expiry_ns,
                "An unanswered offer moves to the next driver after this long", 1);
  add_ms_option(cli, "--match-deadline-ms", c.match_deadline_ns,
                "A request without a driver after this long becomes unmatched", 1);
  add_ms_option(cli, "--live-map-interval-ms", c.live_map_interval_ns,
                "At most one cell:<h3> position per driver per interval", 0);
  cli.add_option_function<double>(
         "--surge-window-s",
         [&c](const double& s) { c.surge.window_ns = static_cast<std::uint64_t>(s * 1e9); },
         "Surge demand counts the ride requests of this many seconds")
      ->default_str(std::to_string(c.surge.window_ns / 1'000'000'000))
      ->check(CLI::Range(1.0, 86400.0));
  cli.add_option("--surge-cap", c.surge.cap, "Highest surge multiplier")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 100.0));
  cli.add_option("--surge-sensitivity", c.surge.sensitivity,
                 "Surge slope: multiplier = 1 + sensitivity * (demand/supply - 1)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
}

std::string dispatch_config_toml(const geo::DispatchConfig& c) {
  return fmt::format(
      "match = \"{}\"\nbatch-window-ms = {}\ndispatch-res = {}\noffer-expiry-ms = {}\n"
      "match-deadline-ms = {}\nlive-map-interval-ms = {}\nsurge-window-s = {}\nsurge-cap = {}\n"
      "surge-sensitivity = {}\n",
      c.mode == geo::MatchMode::kBatched ? "batched" : "immediate", c.batch_window_ns / kNsPerMs,
      c.fleet.index_res, c.offer_expiry_ns / kNsPerMs, c.match_deadline_ns / kNsPerMs,
      c.live_map_interval_ns / kNsPerMs, c.surge.window_ns / 1'000'000'000, c.surge.cap,
      c.surge.sensitivity);
}

}  // namespace hexwire::app
