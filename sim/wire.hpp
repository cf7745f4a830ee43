// The client side of protocol v1 (PROTOCOL.md) for simulated clients: builders for the requests
// they send and a parser for the frames the engine sends back. Builders append JSON text to a
// caller's buffer (no allocation once it has grown); the parser keeps one simdjson parser and one
// padded buffer per instance (one per worker thread) and fills a reusable ServerEvent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sim/probe.hpp"

namespace hexwire::sim {

// ---- names used by the simulator ----
/// "u<i>" for chat users, "d<i>" drivers, "r<i>" riders, "c<i>" chat channels.
void append_user_name(std::string& out, std::uint32_t index);
void append_driver_name(std::string& out, std::uint32_t index);
void append_rider_name(std::string& out, std::uint32_t index);
void append_channel_name(std::string& out, std::uint32_t index);
/// Inverse of append_channel_name / the user names: the index, or nullopt for other names.
std::optional<std::uint32_t> parse_indexed_name(std::string_view name, char prefix) noexcept;

// ---- requests (each appends one complete JSON text frame payload) ----
/// {"op":"auth","id":ID,"user":USER[,"role":ROLE]} — the anonymous form for --anonymous engines.
void encode_auth(std::string& out, std::uint64_t id, std::string_view user,
                 std::string_view role = {});
/// {"op":"auth","id":ID,"token":TOKEN} — a JWT for engines that require one.
void encode_auth_token(std::string& out, std::uint64_t id, std::string_view token);
/// Optional fields of a `sub`: resume position and presence opt-in.
struct SubOptions {
  std::optional<std::uint64_t> since;  // resume after this seq
  std::uint64_t epoch = 0;             // the epoch `since` belongs to; 0 = unknown (not sent)
  bool presence = false;               // ask for join/leave events (and member counts)
};
/// {"op":"sub","id":ID,"channel":C[,"since":SINCE[,"epoch":"<16 hex digits>"]][,"presence":true]}
/// (epoch only with since).
void encode_sub(std::string& out, std::uint64_t id, std::string_view channel,
                const SubOptions& options = {});
void encode_unsub(std::string& out, std::uint64_t id, std::string_view channel);
/// {"op":"pub","id":ID,"channel":C,"data":"<probe>"}; data is exactly max(data_size, 47) bytes.
/// Using the probe's intended time as the id lets the ack be timed without per-request state.
void encode_pub(std::string& out, std::uint64_t id, std::string_view channel, const Probe& probe,
                std::size_t data_size);
/// {"op":"pub","id":ID,"channel":C,"data":DATA} with DATA already JSON (a value the caller built
/// with core::append_json_string or its own encoder).
void encode_pub_json(std::string& out, std::uint64_t id, std::string_view channel,
                     std::string_view data_json);
/// {"op":"loc","lat":..,"lng":..,"heading":..,"speed_mps":..,"available":..} (no reply).
void encode_loc(std::string& out, double lat, double lng, double heading_deg, double speed_mps,
                bool available);
/// {"op":"ride","id":ID,"lat":..,"lng":..,"dest_lat":..,"dest_lng":..}
void encode_ride(std::string& out, std::uint64_t id, double lat, double lng, double dest_lat,
                 double dest_lng);
/// {"op":"accept"|"decline","id":ID,"trip":T}
void encode_offer_reply(std::string& out, std::uint64_t id, std::string_view trip, bool accept);
/// The trip actions a driver or rider sends (the `action` of a trip request).
enum class TripAction : std::uint8_t { kArrive, kStart, kComplete, kCancel };
/// "arrive", "start", "complete", "cancel".
std::string_view to_string(TripAction action) noexcept;
/// {"op":"trip","id":ID,"trip":T,"action":"arrive"|"start"|"complete"|"cancel"}
void encode_trip_action(std::string& out, std::uint64_t id, std::string_view trip,
                        std::string_view action);

// ---- server frames ----
enum class ServerOp : std::uint8_t {
  kUnknown,
  kAuth,
  kSubbed,
  kUnsubbed,
  kAck,
  kMsg,
  kError,
  kLoc,
  kNearby,
  kRide,
  kOffer,
  kAccept,
  kDecline,
  kTrip,
  kJoin,
  kLeave,
  kRead,
  kPresence,
  kHistory,
};
std::string_view to_string(ServerOp op) noexcept;

/// The `status` values of trip events and ride replies (docs/dispatch-protocol.md).
inline constexpr std::string_view kTripRequested = "requested";
inline constexpr std::string_view kTripOffered = "offered";
inline constexpr std::string_view kTripMatched = "matched";
inline constexpr std::string_view kTripArrived = "arrived";
inline constexpr std::string_view kTripOnTrip = "on_trip";
inline constexpr std::string_view kTripCompleted = "completed";
inline constexpr std::string_view kTripCancelled = "cancelled";
inline constexpr std::string_view kTripUnmatched = "unmatched";

/// The fields of a server frame that simulated clients act on. Fields absent from the frame keep
/// their reset values (has_* false, numbers 0, strings empty). Strings reuse their capacity.
struct ServerEvent {
  ServerOp op = ServerOp::kUnknown;
  bool has_id = false;
  std::uint64_t id = 0;  // numeric ids only (the simulator only sends numeric ids)
  std::string channel;
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;  // the seq's epoch (1-16 hex digits on the wire); 0 when absent/invalid
  bool has_epoch = false;
  std::uint64_t count = 0;  // presence: the channel's online member count
  std::int64_t ts_us = 0;
  bool recovered = true;
  std::string from;
  std::string user;
  std::optional<Probe> probe;  // from a string `data` that holds a valid probe
  bool has_data = false;       // a `data` field was present (probe or not)
  std::string data_text;       // a string `data` that is not a probe (case-study messages)
  std::string trip;
  std::string status;
  std::string driver;
  std::string code;     // error code
  std::string message;  // error message
  double surge = 0.0;

  void reset() noexcept;
};

enum class ParseStatus : std::uint8_t { kOk, kNotJson, kNotAnObject, kNoOp };

class ServerFrameParser {
 public:
  ServerFrameParser();
  ~ServerFrameParser();
  ServerFrameParser(ServerFrameParser&&) noexcept;
  ServerFrameParser& operator=(ServerFrameParser&&) noexcept;

  /// Parses one text frame into `event` (reset first). kOk also for ops it does not know
  /// (event.op == kUnknown); other statuses mean the frame is not a protocol message.
  ParseStatus parse(std::string_view frame, ServerEvent& event);

 private:
  // simdjson stays out of this header: its parser's layout depends on compile flags.
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hexwire::sim
