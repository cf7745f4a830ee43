// Dispatch over /ws: the handlers of the loc, nearby, ride, accept, decline and trip ops
// (DispatchService, on top of the node's geo::DispatchEngine, which it uses but does not own), and
// the command-line flags of dispatch. Handlers check the caller's role, call the engine and answer
// per PROTOCOL.md from the engine's callback, which runs on the connection's shard (inline or
// later), so the connection is looked up again by id there. See docs/dispatch-protocol.md.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "app/protocol.hpp"
#include "geo/dispatch/engine.hpp"

namespace CLI {
class App;
}
namespace hexwire::scaleout {
enum class RpcStatus : std::uint8_t;
}

namespace hexwire::app {

class DispatchCluster;
class WsConnection;
class WsShards;
namespace detail {
struct ReplyTo;
}

/// Adds --match, --batch-window-ms, --dispatch-res, --offer-expiry-ms, --live-map-interval-ms,
/// --match-deadline-ms, --surge-window-s, --surge-cap, --surge-sensitivity bound to `config`.
void add_dispatch_flags(CLI::App& cli, geo::DispatchConfig& config);
/// The same settings as TOML lines (for --print-config).
[[nodiscard]] std::string dispatch_config_toml(const geo::DispatchConfig& config);

class DispatchService {
 public:
  static constexpr std::uint64_t kMaxNearbyK = 100;

  /// `shards` (where replies are written and connections looked up) and `engine` must outlive
  /// the service. With a `cluster` (a pool of nodes), ops for regions or trips of other nodes are
  /// forwarded to them.
  DispatchService(WsShards& shards, geo::DispatchEngine& engine,
                  DispatchCluster* cluster = nullptr);
  ~DispatchService();
  DispatchService(const DispatchService&) = delete;
  DispatchService& operator=(const DispatchService&) = delete;

  [[nodiscard]] geo::DispatchEngine& engine() noexcept { return engine_; }

  /// Op handlers: called on `connection`'s shard once it is authenticated; `id` is the raw JSON of
  /// the request id (empty when none). They never throw for a client's mistake: it gets an error.
  void loc(WsConnection& connection, std::string_view id, const LocOp& op);
  void nearby(WsConnection& connection, std::string_view id, const NearbyOp& op);
  void ride(WsConnection& connection, std::string_view id, const RideOp& op);
  void accept(WsConnection& connection, std::string_view id, const AcceptOp& op);
  void decline(WsConnection& connection, std::string_view id, const DeclineOp& op);
  void trip(WsConnection& connection, std::string_view id, const TripOp& op);
  /// A driver's connection closed (on the calling shard): no longer offered trips, at once, on
  /// this node and on the node its fixes went to. Its current trip is untouched.
  void driver_offline(const std::string& driver);

 private:
  void answer_offer(WsConnection& connection, std::string_view id, std::string_view trip,
                    bool accepted);
  // dispatch_ops_remote.cpp: true when the op went to another node (which will answer).
  bool forward_loc(WsConnection& connection, std::string_view id, const geo::GpsFix& fix);
  bool forward_nearby(WsConnection& connection, std::string_view id, const NearbyOp& op);
  bool forward_ride(WsConnection& connection, std::string_view id, const RideOp& op);
  // Trip ops in a pool: always at the trip's home, wherever that is now.
  void forward_offer_answer(WsConnection& connection, std::string_view id, std::string_view trip,
                            bool accepted);
  void forward_trip_action(WsConnection& connection, std::string_view id, const TripOp& op);
  /// A trip op run on `node` (nullptr: this node's engine); done(status, error) on this shard.
  using TripOpDone = std::function<void(scaleout::RpcStatus, geo::DispatchError)>;
  using TripOpAt = std::function<void(const std::string* node, TripOpDone done)>;
  /// Runs `at` at the home of `trip` and gives its error to `answer`: the node named in the id, or
  /// the home in the trip's record when that node is dead or answers not_found (the trip was
  /// adopted while it was down); `unavailable` to `reply` when no home answered.
  void at_trip_home(std::string trip, const detail::ReplyTo& reply, TripOpAt at,
                    std::function<void(geo::DispatchError)> answer);

  WsShards& shards_;
  geo::DispatchEngine& engine_;
  DispatchCluster* cluster_;
};

}  // namespace hexwire::app
