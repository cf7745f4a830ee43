// Dispatch ops of a pool of nodes: an op whose region (loc, nearby, ride: the region of its point)
// or trip (accept, decline, trip: the home node in the trip id, or for a trip of a dead node the
// node that adopted it, from the trip's Redis record) belongs to another node is sent there
// through the DispatchCluster, and its answer becomes the same reply a local engine would
// have produced; an owner that does not answer in time gives `unavailable`. A driver whose fixes
// move to another node's region is forgotten here (and by the node that held it before), so that
// no search sees a stale position of it.
#include <functional>
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

bool DispatchService::via_trip_home(std::string_view trip, const ReplyTo& reply,
                                    std::function<void(const std::string* node)> run) {
  DispatchCluster::TripRoute route = cluster_->trip_route(trip);
  switch (route.kind) {
    case DispatchCluster::TripRoute::Kind::kHere:
      return false;
    case DispatchCluster::TripRoute::Kind::kNode:
      run(&route.node);
      return true;
    case DispatchCluster::TripRoute::Kind::kLookup:
      break;
  }
  // The node named in the id is gone: its trips are adopted by other nodes, which write
  // themselves into the trip's record.
  cluster_->lookup_trip_home(
      trip, [this, reply, run = std::move(run)](RpcStatus status, std::string home) {
        if (status != RpcStatus::kOk || !cluster_->is_live(home)) {
          reply_unavailable(reply, "trip");  // not adopted yet (or Redis down)
          return;
        }
        run(home == cluster_->node_id() ? nullptr : &home);
      });
  return true;
}

bool DispatchService::forward_offer_answer(WsConnection& c, std::string_view id,
                                           std::string_view trip, bool accepted) {
  const ReplyTo reply{&shards_, c.id(), std::string(id)};
  return via_trip_home(trip, reply, [this, reply, user = c.identity()->user,
                                     trip = std::string(trip), accepted](const std::string* node) {
    if (node == nullptr) {  // adopted by this node
      auto done = [reply, trip, accepted](geo::DispatchError error) {
        reply_offer_answer(reply, trip, accepted, error);
      };
      if (accepted) {
        engine_.accept(user, trip, std::move(done));
      } else {
        engine_.decline(user, trip, std::move(done));
      }
      return;
    }
    cluster_->forward_offer_answer(
        *node, user, trip, accepted,
        [reply, trip, accepted](RpcStatus status, geo::DispatchError error) {
          if (status != RpcStatus::kOk) {
            reply_unavailable(reply, "trip");
            return;
          }
          reply_offer_answer(reply, trip, accepted, error);
        });
  });
}

bool DispatchService::forward_trip_action(WsConnection& c, std::string_view id,
                                          const TripOp& op) {
  const ReplyTo reply{&shards_, c.id(), std::string(id)};
  return via_trip_home(op.trip, reply, [this, reply, user = c.identity()->user,
                                        trip = std::string(op.trip),
                                        action = op.action](const std::string* node) {
    const auto done = [reply, trip, action](geo::DispatchError error) {
      reply_trip_action(reply, trip, action, error);
    };
    if (node == nullptr) {  // adopted by this node
      engine_.trip_action(user, trip, geo_action(action), done);
      return;
    }
    cluster_->forward_trip_action(*node, user, trip, geo_action(action),
                                  [reply, done](RpcStatus status, geo::DispatchError error) {
                                    if (status != RpcStatus::kOk) {
                                      reply_unavailable(reply, "trip");
                                      return;
                                    }
                                    done(error);
                                  });
  });
}

}  // namespace hexwire::app
