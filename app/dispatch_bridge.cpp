// DispatchBridge: dispatch events -> publications on the shared router. Each event is written once
// into the calling shard's FrameWriter (no JSON library, no intermediate strings) and published
// with Broker::publish as kDispatchPublisher; the broker sequences it on the channel's owner and
// fans it out like any chat message, so offers queue for offline drivers and riders can resume.
#include "app/dispatch_bridge.hpp"

#include <array>
#include <exception>

#include "app/channel_name.hpp"

namespace hexwire::app {

bool is_dispatch_user_event(const pubsub::Message& message) noexcept {
  return message.from == kDispatchPublisher && channel_kind(message.channel) == ChannelKind::kUser;
}

core::SharedBuffer encode_dispatch_user_event(FrameWriter& writer, const pubsub::Message& message) {
  writer.reset();
  writer.raw(message.payload.view());
  return writer.finish_text_frame();
}

namespace {

std::string prefixed_cell(std::string_view prefix, geo::CellId cell) {
  std::array<char, 17> hex{};
  const std::size_t n = geo::cell_to_string(cell, hex);
  std::string name(prefix);
  name.append(hex.data(), n);
  return name;
}

}  // namespace

std::string cell_channel(geo::CellId cell_res7) {
  return prefixed_cell(kCellPrefix, cell_res7);
}
std::string surge_channel(geo::CellId cell_res7) {
  return prefixed_cell(kSurgePrefix, cell_res7);
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

void DispatchBridge::publish(ShardState& shard, std::string_view channel) noexcept {
  try {
    const pubsub::Status status =
        broker_.publish(kDispatchPublisher, channel, shard.writer.finish_payload());
    (status == pubsub::Status::kOk ? shard.published : shard.refused)->add();
  } catch (const std::exception&) {
    shard.refused->add();  // out of memory: the event is lost, and counted
  }
}

void DispatchBridge::offer(std::string_view driver, std::string_view trip, geo::LatLngDeg pickup,
                           double eta_s, std::uint32_t expires_ms) {
  ShardState& s = here();
  FrameWriter& w = s.writer;
  w.reset();
  w.raw("{\"op\":\"offer\",\"trip\":");
  w.string(trip);
  w.raw(",\"pickup\":{\"lat\":");
  w.number(pickup.lat);
  w.raw(",\"lng\":");
  w.number(pickup.lng);
  w.raw("},\"eta_s\":");
  w.number(eta_s);
  w.raw(",\"expires_ms\":");
  w.uint(expires_ms);
  w.raw('}');
  s.channel.assign(kUserPrefix);
  s.channel.append(driver);
  publish(s, s.channel);
}

void DispatchBridge::trip_event(const geo::TripEvent& event) {
  ShardState& s = here();
  FrameWriter& w = s.writer;
  w.reset();
  w.raw("{\"op\":\"trip\",\"trip\":");
  w.string(event.trip);
  w.raw(",\"status\":\"");
  w.raw(geo::to_string(event.status));
  w.raw("\",\"rider\":");
  w.string(event.rider);
  if (!event.driver.empty()) {
    w.raw(",\"driver\":");
    w.string(event.driver);
    w.raw(",\"eta_s\":");
    w.number(event.eta_s);
  }
  w.raw(",\"surge\":");
  w.number(event.surge);
  w.raw(",\"fare\":");
  w.number(event.fare_estimate);
  w.raw(",\"ts\":");
  w.int64(event.ts_us);
  w.raw('}');
  s.channel.assign(kUserPrefix);
  s.channel.append(event.rider);
  publish(s, s.channel);
  if (!event.driver.empty() && event.driver != event.rider) {
    s.channel.assign(kUserPrefix);
    s.channel.append(event.driver);
    publish(s, s.channel);
  }
}

void DispatchBridge::driver_position(geo::CellId cell_res7, std::string_view driver, double lat_deg,
                                     double lng_deg, double heading_deg) {
  ShardState& s = here();
  FrameWriter& w = s.writer;
  w.reset();
  w.raw("{\"driver\":");
  w.string(driver);
  w.raw(",\"lat\":");
  w.number(lat_deg);
  w.raw(",\"lng\":");
  w.number(lng_deg);
  w.raw(",\"heading\":");
  w.number(heading_deg);
  w.raw('}');
  publish(s, cell_channel(cell_res7));
}

void DispatchBridge::surge_changed(geo::CellId cell_res7, double multiplier, std::uint32_t supply,
                                   std::uint32_t demand) {
  ShardState& s = here();
  FrameWriter& w = s.writer;
  w.reset();
  w.raw("{\"multiplier\":");
  w.number(multiplier);
  w.raw(",\"supply\":");
  w.uint(supply);
  w.raw(",\"demand\":");
  w.uint(demand);
  w.raw('}');
  publish(s, surge_channel(cell_res7));
}

}  // namespace hexwire::app
