// Dispatch ops of a pool of nodes: an op whose region (loc, nearby, ride: the region of its point)
// or trip (accept, decline, trip: the home node in the trip id, or for a trip of a dead node the
// node that adopted it, from the trip's Redis record; also when the node named in the id answers
// not_found, as after it restarted while its trips were adopted) belongs to another node is sent there
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

namespace {
/// The end of a trip op: `unavailable` when its node did not answer, else the engine's error.
std::function<void(RpcStatus, geo::DispatchError)> answered_by(
    const ReplyTo& reply, std::function<void(geo::DispatchError)> answer) {
  return [reply, answer = std::move(answer)](RpcStatus status, geo::DispatchError error) {
    if (status != RpcStatus::kOk) {
      reply_unavailable(reply, "trip");
      return;
    }
    answer(error);
  };
}
}  // namespace

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

void DispatchService::at_trip_home(std::string trip, const ReplyTo& reply, TripOpAt at,
                                   std::function<void(geo::DispatchError)> answer) {
  DispatchCluster::TripRoute route = cluster_->trip_route(trip);
  if (route.kind == DispatchCluster::TripRoute::Kind::kLookup) {
    // The node named in the id is gone: its trips are adopted by other nodes, which write
    // themselves into the trip's record.
    cluster_->lookup_trip_home(
        trip, [this, reply, at = std::move(at), answer = std::move(answer)](
                  RpcStatus status, std::string home) mutable {
          if (status != RpcStatus::kOk || !cluster_->is_live(home)) {
            reply_unavailable(reply, "trip");  // not adopted yet (or Redis down)
            return;
          }
          at(home == cluster_->node_id() ? nullptr : &home,
             answered_by(reply, std::move(answer)));
        });
    return;
  }
  // The node named in the id (this one or another live one). It may not know the trip: adopted
  // by another node while it was down, before it came back under the same id. Then the record
  // names the trip's home, asked once more.
  const std::string first =
      route.kind == DispatchCluster::TripRoute::Kind::kNode ? route.node : cluster_->node_id();
  auto again = [this, trip, first, reply, at, answer](RpcStatus status,
                                                       geo::DispatchError error) mutable {
    if (status != RpcStatus::kOk) {
      reply_unavailable(reply, "trip");
      return;
    }
    if (error != geo::DispatchError::kNotFound) {
      answer(error);
      return;
    }
    cluster_->lookup_trip_home(
        trip, [this, first, reply, at = std::move(at), answer = std::move(answer)](
                  RpcStatus found, std::string home) mutable {
          if (found != RpcStatus::kOk || home == first || !cluster_->is_live(home)) {
            answer(geo::DispatchError::kNotFound);
            return;
          }
          at(home == cluster_->node_id() ? nullptr : &home,
             answered_by(reply, std::move(answer)));
        });
  };
  at(route.kind == DispatchCluster::TripRoute::Kind::kNode ? &route.node : nullptr,
     std::move(again));
}

void DispatchService::forward_offer_answer(WsConnection& c, std::string_view id,
                                           std::string_view trip, bool accepted) {
  const ReplyTo reply{&shards_, c.id(), std::string(id)};
  TripOpAt at = [this, user = c.identity()->user, trip = std::string(trip), accepted](
                    const std::string* node, TripOpDone done) {
    if (node != nullptr) {
      cluster_->forward_offer_answer(*node, user, trip, accepted, std::move(done));
      return;
    }
    auto local = [done = std::move(done)](geo::DispatchError error) {
      done(RpcStatus::kOk, error);
    };
    if (accepted) {
      engine_.accept(user, trip, std::move(local));
    } else {
      engine_.decline(user, trip, std::move(local));
    }
  };
  at_trip_home(std::string(trip), reply, std::move(at),
               [reply, trip = std::string(trip), accepted](geo::DispatchError error) {
                 reply_offer_answer(reply, trip, accepted, error);
               });
}

void DispatchService::forward_trip_action(WsConnection& c, std::string_view id,
                                          const TripOp& op) {
  const ReplyTo reply{&shards_, c.id(), std::string(id)};
  TripOpAt at = [this, user = c.identity()->user, trip = std::string(op.trip),
                 action = geo_action(op.action)](const std::string* node, TripOpDone done) {
    if (node != nullptr) {
      cluster_->forward_trip_action(*node, user, trip, action, std::move(done));
      return;
    }
    engine_.trip_action(user, trip, action, [done = std::move(done)](geo::DispatchError error) {
      done(RpcStatus::kOk, error);
    });
  };
  at_trip_home(std::string(op.trip), reply, std::move(at),
               [reply, trip = std::string(op.trip), action = op.action](geo::DispatchError error) {
                 reply_trip_action(reply, trip, action, error);
               });
}

}  // namespace hexwire::app
