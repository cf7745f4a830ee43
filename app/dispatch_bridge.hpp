// DispatchBridge: the DispatchEvents sink of a node. It turns dispatch events into typed
// publications on the shared pubsub router: offers and trip events go to user:<id> as whole
// protocol events (MessageKind::kUserEvent: the /ws sink sends the payload as the frame itself),
// driver positions to cell:<res-7 cell> (kDriverPosition), each trip status change also to its
// pickup's cell:<res-7 cell> without the rider (kTripMap), and surge changes to surge:<res-7 cell>
// (kSurge) as ordinary `msg` data (PROTOCOL.md, Dispatch). The payloads come from the encoders of
// app/protocol_encode.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/json_writer.hpp"
#include "app/protocol_encode.hpp"
#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "core/shared_buffer.hpp"
#include "geo/dispatch/events.hpp"
#include "pubsub/broker.hpp"
#include "pubsub/types.hpp"

namespace hexwire::app {

/// The `from` of every dispatch publication (the `from` of cell: and surge: msgs on the wire).
/// '#' is outside the user-id alphabet, so no client can publish as this sender. What a message
/// is comes from its kind, never from this name.
inline constexpr std::string_view kDispatchPublisher = "#dispatch";

/// "cell:<hex>" / "surge:<hex>" of a res-7 cell (lowercase hex, as h3-js prints it).
[[nodiscard]] std::string cell_channel(geo::CellId cell_res7);
[[nodiscard]] std::string surge_channel(geo::CellId cell_res7);

class DispatchBridge final : public geo::DispatchEvents {
 public:
  /// The executor, registry and broker must outlive the bridge. Every event call must come from a
  /// shard thread of `executor` (each shard uses its own writer: concurrent calls are safe).
  DispatchBridge(core::Executor& executor, core::MetricsRegistry& metrics, pubsub::Broker& broker);
  ~DispatchBridge() override;
  DispatchBridge(const DispatchBridge&) = delete;
  DispatchBridge& operator=(const DispatchBridge&) = delete;

  void offer(std::string_view driver, std::string_view trip, geo::LatLngDeg pickup, double eta_s,
             std::uint32_t expires_ms) override;
  void trip_event(const geo::TripEvent& event) override;
  void driver_position(geo::CellId cell_res7, std::string_view driver, double lat_deg,
                       double lng_deg, double heading_deg) override;
  void surge_changed(geo::CellId cell_res7, double multiplier, std::uint32_t supply,
                     std::uint32_t demand) override;

 private:
  struct ShardState;
  ShardState& here() noexcept;
  /// Publishes `payload` to `channel` as `kind`; a refusal (channel limits) is counted.
  void publish(ShardState& shard, std::string_view channel, const core::SharedBuffer& payload,
               MessageKind kind) noexcept;

  core::Executor& executor_;
  pubsub::Broker& broker_;
  std::vector<std::unique_ptr<ShardState>> shards_;
};

}  // namespace hexwire::app
