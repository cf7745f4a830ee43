// Dispatch ops of a pool of nodes: an op whose region (loc, nearby, ride: the region of its point)
// or trip (accept, decline, trip: the home node in the trip id) belongs to another node is sent
// there through the DispatchCluster, and its answer becomes the same reply a local engine would
// have produced; an owner that does not answer in time gives `unavailable`. A driver whose fixes
// move to another node's region is forgotten here (and by the node that held it before), so that
// no search sees a stale position of it.
#include <utility>

#include "app/detail/dispatch_reply.hpp"
#include "app/dispatch_cluster.hpp"
#include "app/dispatch_ops.hpp"

namespace hexwire::app {

using namespace detail;
using scaleout::RpcStatus;

bool DispatchService::forward_loc(WsConnection& c, std::string_view id, const geo::GpsFix& fix) {
  const std::optional<std::string> owner = cluster_->remote_owner(fix.lat_deg, fix.lng_deg);
  if (!owner) {
    return false;
  }
  const std::string& driver = c.identity()->user;
  engine_.forget_driver(driver);
  cluster_->route_driver(driver, &*owner);
  cluster_->forward_location(
      *owner, driver, fix, !id.empty(),
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}](RpcStatus status,
                                                           geo::LocationReply r) {
        if (status != RpcStatus::kOk) {
          reply_unavailable(reply, "region");
          return;
        }
        reply_location(reply, r);
      });
  return true;
}

bool DispatchService::forward_nearby(WsConnection& c, std::string_view id, const NearbyOp& op) {
  const std::optional<std::string> owner = cluster_->remote_owner(op.lat, op.lng);
  if (!owner) {
    return false;
  }
  cluster_->forward_nearby(
      *owner, op.lat, op.lng, static_cast<std::size_t>(op.k),
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}](
          RpcStatus status, DispatchCluster::NearbyAnswer answer) {
        if (status != RpcStatus::kOk) {
          reply_unavailable(reply, "region");
          return;
        }
        reply_nearby(reply, answer.error, answer.drivers);
      });
  return true;
}

bool DispatchService::forward_ride(WsConnection& c, std::string_view id, const RideOp& op) {
  const std::optional<std::string> owner = cluster_->remote_owner(op.lat, op.lng);
  if (!owner) {
    return false;
  }
  cluster_->forward_ride(
      *owner, c.identity()->user, {op.lat, op.lng}, {op.dest_lat, op.dest_lng},
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}](RpcStatus status, geo::RideReply r) {
        if (status != RpcStatus::kOk) {
          reply_unavailable(reply, "region");
          return;
        }
        reply_ride(reply, r);
      });
  return true;
}

bool DispatchService::forward_offer_answer(WsConnection& c, std::string_view id,
                                           std::string_view trip, bool accepted) {
  const std::optional<std::string> home = cluster_->remote_trip_home(trip);
  if (!home) {
    return false;
  }
  cluster_->forward_offer_answer(
      *home, c.identity()->user, trip, accepted,
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}, trip = std::string(trip),
       accepted](RpcStatus status, geo::DispatchError error) {
        if (status != RpcStatus::kOk) {
          reply_unavailable(reply, "trip");
          return;
        }
        reply_offer_answer(reply, trip, accepted, error);
      });
  return true;
}

bool DispatchService::forward_trip_action(WsConnection& c, std::string_view id,
                                          const TripOp& op) {
  const std::optional<std::string> home = cluster_->remote_trip_home(op.trip);
  if (!home) {
    return false;
  }
  cluster_->forward_trip_action(
      *home, c.identity()->user, op.trip, geo_action(op.action),
      [reply = ReplyTo{&shards_, c.id(), std::string(id)}, trip = std::string(op.trip),
       action = op.action](RpcStatus status, geo::DispatchError error) {
        if (status != RpcStatus::kOk) {
          reply_unavailable(reply, "trip");
          return;
        }
        reply_trip_action(reply, trip, action, error);
      });
  return true;
}

}  // namespace hexwire::app
