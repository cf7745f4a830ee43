// The dispatch shapes of protocol v1 (docs/dispatch-protocol.md): the payloads the DispatchBridge
// publishes (offer and trip events for user:<id>, live-map positions and trips for cell:<h3>,
// surge for surge:<h3>) and the replies to loc, nearby, ride, accept/decline and trip actions. Written field
// by field into a FrameWriter, like every other encoder (protocol_encode.cpp).
#include <array>

#include "app/detail/encode_helpers.hpp"
#include "app/protocol_encode.hpp"
#include "geo/dispatch/engine.hpp"

namespace hexwire::app {

using detail::begin_object;

namespace {

void write_point(FrameWriter& w, geo::LatLngDeg point) {
  w.raw("{\"lat\":");
  w.number(point.lat);
  w.raw(",\"lng\":");
  w.number(point.lng);
  w.raw('}');
}

}  // namespace

core::SharedBuffer encode_offer_payload(FrameWriter& w, std::string_view trip,
                                        geo::LatLngDeg pickup, double eta_s,
                                        std::uint32_t expires_ms) {
  begin_object(w, "{\"op\":\"offer\"", {});
  w.raw(",\"trip\":");
  w.string(trip);
  w.raw(",\"pickup\":");
  write_point(w, pickup);
  w.raw(",\"eta_s\":");
  w.number(eta_s);
  w.raw(",\"expires_ms\":");
  w.uint(expires_ms);
  w.raw('}');
  return w.finish_payload();
}

core::SharedBuffer encode_trip_event_payload(FrameWriter& w, const geo::TripEvent& event) {
  begin_object(w, "{\"op\":\"trip\"", {});
  w.raw(",\"trip\":");
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
  return w.finish_payload();
}

core::SharedBuffer encode_trip_map_payload(FrameWriter& w, const geo::TripEvent& event) {
  w.reset();
  w.raw("{\"trip\":");
  w.string(event.trip);
  w.raw(",\"status\":\"");
  w.raw(geo::to_string(event.status));
  w.raw('"');
  if (!event.driver.empty()) {
    w.raw(",\"driver\":");
    w.string(event.driver);
  }
  w.raw(",\"pickup\":");
  write_point(w, event.pickup);
  w.raw(",\"destination\":");
  write_point(w, event.destination);
  w.raw(",\"ts\":");
  w.int64(event.ts_us);
  w.raw('}');
  return w.finish_payload();
}

core::SharedBuffer encode_driver_position_payload(FrameWriter& w, std::string_view driver,
                                                  double lat_deg, double lng_deg,
                                                  double heading_deg) {
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
  return w.finish_payload();
}

core::SharedBuffer encode_surge_payload(FrameWriter& w, double multiplier, std::uint32_t supply,
                                        std::uint32_t demand) {
  w.reset();
  w.raw("{\"multiplier\":");
  w.number(multiplier);
  w.raw(",\"supply\":");
  w.uint(supply);
  w.raw(",\"demand\":");
  w.uint(demand);
  w.raw('}');
  return w.finish_payload();
}

core::SharedBuffer encode_loc_reply(FrameWriter& w, std::string_view id, geo::CellId cell) {
  begin_object(w, "{\"op\":\"loc\"", id);
  if (cell != 0) {
    std::array<char, 17> hex{};
    const std::size_t n = geo::cell_to_string(cell, hex);
    w.raw(",\"cell\":\"");
    w.raw(std::string_view(hex.data(), n));
    w.raw('"');
  } else {
    w.raw(",\"held\":true");  // an implausible jump, kept aside until the next fix confirms it
  }
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_nearby_reply(FrameWriter& w, std::string_view id,
                                       std::span<const geo::NearbyDriver> drivers) {
  begin_object(w, "{\"op\":\"nearby\"", id);
  w.raw(",\"drivers\":[");
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    const geo::NearbyDriver& d = drivers[i];
    w.raw(i == 0 ? "{\"driver\":" : ",{\"driver\":");
    w.string(d.driver);
    w.raw(",\"lat\":");
    w.number(d.lat_deg);
    w.raw(",\"lng\":");
    w.number(d.lng_deg);
    w.raw(",\"dist_m\":");
    w.number(d.distance_m);
    w.raw(",\"eta_s\":");
    w.number(d.eta_s);
    w.raw('}');
  }
  w.raw("]}");
  return w.finish_text_frame();
}

core::SharedBuffer encode_ride_reply(FrameWriter& w, std::string_view id, std::string_view trip,
                                     double surge, double fare) {
  begin_object(w, "{\"op\":\"ride\"", id);
  w.raw(",\"trip\":");
  w.string(trip);
  w.raw(",\"status\":\"requested\",\"surge\":");
  w.number(surge);
  w.raw(",\"fare\":");
  w.number(fare);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_offer_answer(FrameWriter& w, std::string_view id, bool accepted,
                                       std::string_view trip) {
  begin_object(w, accepted ? "{\"op\":\"accept\"" : "{\"op\":\"decline\"", id);
  w.raw(",\"trip\":");
  w.string(trip);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_trip_action_reply(FrameWriter& w, std::string_view id,
                                            std::string_view trip, std::string_view action) {
  begin_object(w, "{\"op\":\"trip\"", id);
  w.raw(",\"trip\":");
  w.string(trip);
  w.raw(",\"action\":\"");
  w.raw(action);
  w.raw("\"}");
  return w.finish_text_frame();
}

}  // namespace hexwire::app
