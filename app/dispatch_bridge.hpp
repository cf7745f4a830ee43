// DispatchBridge: the DispatchEvents sink of the /ws application. It turns dispatch events into
// publications on the shared pubsub router: offers and trip events go to user:<id> as whole
// protocol events ({"op":"offer",...}, {"op":"trip",...}), driver positions to cell:<res-7 cell>
// and surge changes to surge:<res-7 cell> as ordinary `msg` data (PROTOCOL.md, Dispatch).
// Events on user: channels are published by kDispatchPublisher; the /ws delivery sink sends their
// payload as the frame itself instead of wrapping it in `msg` (is_dispatch_user_event).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/json_writer.hpp"
#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "core/shared_buffer.hpp"
#include "geo/dispatch/events.hpp"
#include "pubsub/broker.hpp"
#include "pubsub/types.hpp"

namespace hexwire::app {

/// The `from` of every dispatch publication. '#' is outside the user-id alphabet, so no client
/// (not even an admin publishing to a user: channel) can publish as this sender.
inline constexpr std::string_view kDispatchPublisher = "#dispatch";

/// True for a message the bridge published on a `user:` channel: its payload is a complete
/// protocol event object, to be sent as the frame itself.
[[nodiscard]] bool is_dispatch_user_event(const pubsub::Message& message) noexcept;
/// The TEXT frame carrying such a message's payload verbatim.
[[nodiscard]] core::SharedBuffer encode_dispatch_user_event(FrameWriter& writer,
                                                            const pubsub::Message& message);

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
  /// Publishes the writer's payload to `channel`; a refusal (channel limits) is counted.
  void publish(ShardState& shard, std::string_view channel) noexcept;

  core::Executor& executor_;
  pubsub::Broker& broker_;
  std::vector<std::unique_ptr<ShardState>> shards_;
};

}  // namespace hexwire::app
