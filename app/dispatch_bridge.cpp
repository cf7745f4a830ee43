// DispatchBridge: dispatch events -> typed publications on the shared router. Each event is encoded
// once into the calling shard's FrameWriter (app/protocol_encode_dispatch.cpp) and published with
// Broker::publish as kDispatchPublisher with its MessageKind; the broker sequences it on the
// channel's owner and fans it out like any chat message, so offers queue for offline drivers and
// riders can resume.
#include "app/dispatch_bridge.hpp"

#include <array>
#include <exception>

#include "app/channel_name.hpp"

namespace hexwire::app {

namespace {

/// Writes "<prefix><hex of cell>" into `name`, reusing its capacity.
void assign_cell_channel(std::string& name, std::string_view prefix, geo::CellId cell) {
  std::array<char, 17> hex{};
  const std::size_t n = geo::cell_to_string(cell, hex);
  name.assign(prefix);
  name.append(hex.data(), n);
}

}  // namespace

std::string cell_channel(geo::CellId cell_res7) {
  std::string name;
  assign_cell_channel(name, kCellPrefix, cell_res7);
  return name;
}
std::string surge_channel(geo::CellId cell_res7) {
  std::string name;
  assign_cell_channel(name, kSurgePrefix, cell_res7);
  return name;
}

struct DispatchBridge::ShardState {
  FrameWriter writer{512};
  std::string channel;  // reused channel-name scratch
  core::Counter* published = nullptr;
  core::Counter* refused = nullptr;
};

DispatchBridge::DispatchBridge(core::Executor& executor, core::MetricsRegistry& metrics,
                               pubsub::Broker& broker)
    : executor_(executor), broker_(broker) {
  for (unsigned shard = 0; shard < executor.shard_count(); ++shard) {
    auto state = std::make_unique<ShardState>();
    state->published = &metrics.counter("dispatch_events_published_total",
                                        "Dispatch events published on the router", shard);
    state->refused = &metrics.counter("dispatch_events_refused_total",
                                      "Dispatch events the router refused (channel limits)", shard);
    shards_.push_back(std::move(state));
  }
}

DispatchBridge::~DispatchBridge() = default;

DispatchBridge::ShardState& DispatchBridge::here() noexcept {
  return *shards_[executor_.current_shard()];
}

namespace {

/// The payload `encode` writes, or an empty buffer when memory ran out (counted in `refused`: the
/// event is lost).
template <typename Encode>
core::SharedBuffer encoded(core::Counter& refused, Encode&& encode) noexcept {
  try {
    return encode();
  } catch (const std::exception&) {
    refused.add();
    return {};
  }
}

}  // namespace

void DispatchBridge::publish(ShardState& shard, std::string_view channel,
                             const core::SharedBuffer& payload, MessageKind kind) noexcept {
  if (!payload) {
    return;  // not encoded (out of memory), already counted
  }
  try {
    const pubsub::Status status =
        broker_.publish(kDispatchPublisher, channel, payload, nullptr, to_pubsub(kind));
    (status == pubsub::Status::kOk ? shard.published : shard.refused)->add();
  } catch (const std::exception&) {
    shard.refused->add();  // out of memory: the event is lost, and counted
  }
}

void DispatchBridge::offer(std::string_view driver, std::string_view trip, geo::LatLngDeg pickup,
                           double eta_s, std::uint32_t expires_ms) {
  ShardState& s = here();
  const core::SharedBuffer payload = encoded(
      *s.refused, [&] { return encode_offer_payload(s.writer, trip, pickup, eta_s, expires_ms); });
  s.channel.assign(kUserPrefix);
  s.channel.append(driver);
  publish(s, s.channel, payload, MessageKind::kUserEvent);
}

void DispatchBridge::trip_event(const geo::TripEvent& event) {
  ShardState& s = here();
  const core::SharedBuffer payload =
      encoded(*s.refused, [&] { return encode_trip_event_payload(s.writer, event); });
  s.channel.assign(kUserPrefix);
  s.channel.append(event.rider);
  publish(s, s.channel, payload, MessageKind::kUserEvent);
  if (!event.driver.empty() && event.driver != event.rider) {
    s.channel.assign(kUserPrefix);
    s.channel.append(event.driver);
    publish(s, s.channel, payload, MessageKind::kUserEvent);
  }
  if (event.pickup_res7 != 0) {  // the live map of the pickup's cell shows the trip, not the rider
    const core::SharedBuffer map_payload =
        encoded(*s.refused, [&] { return encode_trip_map_payload(s.writer, event); });
    publish(s, cell_channel(event.pickup_res7), map_payload, MessageKind::kTripMap);
  }
}

void DispatchBridge::driver_position(geo::CellId cell_res7, std::string_view driver, double lat_deg,
                                     double lng_deg, double heading_deg) {
  ShardState& s = here();
  const core::SharedBuffer payload = encoded(*s.refused, [&] {
    return encode_driver_position_payload(s.writer, driver, lat_deg, lng_deg, heading_deg);
  });
  assign_cell_channel(s.channel, kCellPrefix, cell_res7);
  publish(s, s.channel, payload, MessageKind::kDriverPosition);
}

void DispatchBridge::surge_changed(geo::CellId cell_res7, double multiplier, std::uint32_t supply,
                                   std::uint32_t demand) {
  ShardState& s = here();
  const core::SharedBuffer payload = encoded(
      *s.refused, [&] { return encode_surge_payload(s.writer, multiplier, supply, demand); });
  assign_cell_channel(s.channel, kSurgePrefix, cell_res7);
  publish(s, s.channel, payload, MessageKind::kSurge);
}

}  // namespace hexwire::app
