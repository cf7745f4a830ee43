// The rides scenario: --drivers clients (d<i>, role driver) cruise the city model and send `loc`
// --loc-rate times a second each (available unless on a trip); --riders clients (r<i>, role rider)
// request trips on an open-loop schedule (--ride-rate in total). Drivers accept 80% of offers and
// decline the rest; an accepted trip is driven through arrive -> start -> complete. `match` latency
// runs from the intended request time to the rider's `trip` event `matched`; `rtt` from a loc's
// intended time to the engine's answer (each loc carries an id). Every {"op":"error"}
// the engine sends (e.g. `unavailable` while dispatch is not served) is counted, never hidden.
// When the load ends, riders cancel requests still waiting for a driver, so that every request
// ends within the drain; with --verify the RidesVerifier checks outcomes, drivers and transitions.
#include <algorithm>
#include <cstdio>
#include <queue>

#include "sim/city.hpp"
#include "sim/scenario.hpp"
#include "sim/schedule.hpp"

namespace hexwire::sim {
namespace {

constexpr double kAcceptShare = 0.8;
constexpr std::uint64_t kAuthId = 1;
constexpr std::uint64_t kArriveAfterNs = 1'000'000'000;
constexpr std::uint64_t kStartAfterNs = 300'000'000;
constexpr std::uint64_t kCompleteAfterNs = 2'000'000'000;

enum class RiderState : std::uint8_t { kIdle, kRequested, kMatched };

struct Driver {
  std::string name;  // d<i>, as the engine names it in trip events
  std::uint32_t local = 0;
  std::uint32_t city_index = 0;
  bool ready = false;
  bool on_trip = false;
  std::uint64_t last_loc_ns = 0;
  std::string trip;
};

struct Rider {
  std::uint32_t local = 0;
  bool ready = false;
  RiderState state = RiderState::kIdle;
  std::uint64_t request_id = 0;  // the intended time of the request
  std::string trip;
  bool cancel_sent = false;  // end of load: the waiting request was cancelled
};

struct PendingAction {
  std::uint64_t due_ns;
  std::uint32_t driver;  // index into drivers_
  TripAction action;
  bool operator>(const PendingAction& other) const noexcept { return due_ns > other.due_ns; }
};

class RidesPart final : public ScenarioPart {
 public:
  RidesPart(const SimOptions& options, std::uint32_t first_global)
      : first_global_(first_global),
        city_(CityOptions{}, options.seed),
        locs_(options.arrival, options.seed),
        rng_(options.seed) {}

  void populate(WorkerContext& ctx) override {
    const SimOptions& o = ctx.options;
    city_ = CityModel(CityOptions{}, derive_seed(o.seed, 5000 + ctx.worker));
    locs_ = SendScheduler(o.arrival, derive_seed(o.seed, 6000 + ctx.worker));
    rng_ = Rng(derive_seed(o.seed, 7000 + ctx.worker));
    const std::uint32_t total = o.drivers + o.riders;
    for (std::uint32_t i = ctx.worker; i < total; i += ctx.workers) {
      const bool driver = i < o.drivers;
      const std::uint32_t local = ctx.pool->add(driver ? ClientKind::kDriver : ClientKind::kRider,
                                                first_global_ + i, driver ? i : i - o.drivers);
      if (local >= index_of_local_.size()) {
        index_of_local_.resize(local + 1, 0);
      }
      if (driver) {
        Driver d;
        append_driver_name(d.name, i);
        d.local = local;
        d.city_index = static_cast<std::uint32_t>(drivers_.size());
        index_of_local_[local] = static_cast<std::uint32_t>(drivers_.size());
        drivers_.push_back(std::move(d));
      } else {
        Rider r;
        r.local = local;
        index_of_local_[local] = static_cast<std::uint32_t>(riders_.size());
        riders_.push_back(std::move(r));
      }
    }
    city_.add_drivers(static_cast<std::uint32_t>(drivers_.size()));
    rides_.emplace(o.arrival, riders_.empty() ? 0.0 : o.ride_rate / ctx.workers,
                   ctx.timeline.load_start_ns, derive_seed(o.seed, 8000 + ctx.worker),
                   ctx.timeline.load_end_ns);
  }

  void tick(WorkerContext& ctx) noexcept override {
    locs_.drain_due(
        ctx.now_ns,
        [&](SendScheduler::StreamId stream, std::uint64_t intended) {
          send_loc(ctx, drivers_[stream], intended);
        },
        8192);
    rides_->drain_due(
        ctx.now_ns, [&](std::uint64_t intended) { request_ride(ctx, intended); }, 1024);
    while (!actions_.empty() && actions_.top().due_ns <= ctx.now_ns) {
      const PendingAction a = actions_.top();
      actions_.pop();
      run_action(ctx, a);
    }
    if (!load_over_ && ctx.now_ns >= ctx.timeline.load_end_ns) {
      load_over_ = true;
      for (Rider& r : riders_) {
        cancel_if_waiting(ctx, r);
      }
    }
  }

  std::uint64_t next_due_ns() noexcept override {
    std::uint64_t next = std::min(locs_.next_ns(), rides_->next_ns());
    if (!actions_.empty()) {
      next = std::min(next, actions_.top().due_ns);
    }
    return next;
  }

  void on_open(WorkerContext& ctx, ClientSlot& slot) noexcept override {
    ctx.out.clear();
    std::string name;
    if (slot.kind == ClientKind::kDriver) {
      append_driver_name(name, slot.index);
    } else {
      append_rider_name(name, slot.index);
    }
    encode_auth(ctx.out, kAuthId, name, slot.kind == ClientKind::kDriver ? "driver" : "rider");
    ctx.send_out(slot.local);
  }

  void on_text(WorkerContext& ctx, ClientSlot& slot, std::string_view text) noexcept override {
    ctx.recorder.count(Counter::kBytesReceived, text.size());
    if (!ctx.parse(text)) {
      return;
    }
    if (slot.kind == ClientKind::kDriver) {
      on_driver_frame(ctx, slot, drivers_[index_of_local_[slot.local]]);
    } else {
      on_rider_frame(ctx, slot, riders_[index_of_local_[slot.local]]);
    }
  }

  void on_closed(WorkerContext& ctx, ClientSlot& slot, bool /*was_open*/) noexcept override {
    if (slot.kind == ClientKind::kDriver) {
      Driver& d = drivers_[index_of_local_[slot.local]];
      d.ready = false;
      if (ctx.closing) {
        locs_.remove(d.city_index);  // else its locs keep coming due and count as unsent
      }
      with_verifier(ctx, [&](RidesVerifier& v) {
        v.on_driver_gone(slot.global);
        return true;
      });
    } else {
      riders_[index_of_local_[slot.local]].ready = false;
    }
  }

  void finish(WorkerContext& ctx, VerificationSummary* /*echo*/) noexcept override {
    std::uint64_t unanswered = 0;
    for (const Rider& r : riders_) {
      if (r.state == RiderState::kRequested) {
        // No reply at all is a timeout; a trip still looking for a driver is an outcome.
        (r.trip.empty() ? unanswered : still_waiting_) += 1;
      }
    }
    if (unanswered > 0) {
      ctx.recorder.error(ErrorKind::kTimeout, unanswered);
    }
  }

  void add_facts(std::map<std::string, std::uint64_t>& facts) const override {
    facts["rides loc updates sent"] += locs_sent_;
    facts["rides loc updates answered (cell)"] += locs_answered_;
    facts["rides requests sent"] += requests_sent_;
    facts["rides requests accepted by the engine (trip id)"] += requests_accepted_;
    facts["rides requests cancelled at the end of the load"] += cancels_sent_;
    facts["rides trips matched"] += matched_;
    facts["rides trips completed"] += completed_;
    facts["rides trips unmatched or cancelled"] += unmatched_;
    facts["rides requests still waiting for a driver at the end"] += still_waiting_;
    facts["rides offers received"] += offers_;
    facts["rides offers accepted"] += accepted_;
    facts["rides offers declined"] += declined_;
    facts["rides offer conflicts (expired or taken)"] += conflicts_;
    facts["rides errors 'unavailable' (dispatch not served)"] += unavailable_;
  }

 private:
  void send_loc(WorkerContext& ctx, Driver& d, std::uint64_t intended) noexcept {
    if (!d.ready) {
      ctx.unsent();
      return;
    }
    const double elapsed_s =
        d.last_loc_ns == 0 ? 0.0 : static_cast<double>(intended - d.last_loc_ns) / 1e9;
    d.last_loc_ns = intended;
    city_.advance(d.city_index, elapsed_s);
    const DriverState s = city_.driver(d.city_index);
    ctx.out.clear();
    encode_loc(ctx.out, s.position.lat, s.position.lng, s.heading_deg, s.speed_mps, !d.on_trip);
    // With an id the engine answers each loc, so its round trip is measured (rtt).
    char id[32];
    const int n =
        std::snprintf(id, sizeof id, "\"id\":%llu,", static_cast<unsigned long long>(intended));
    ctx.out.insert(1, id, static_cast<std::size_t>(n));
    if (ctx.send_out(d.local)) {
      ctx.recorder.count(Counter::kSent);
      ++locs_sent_;
    } else {
      ctx.unsent();
    }
  }

  void request_ride(WorkerContext& ctx, std::uint64_t intended) noexcept {
    for (int attempt = 0; attempt < 16 && !riders_.empty(); ++attempt) {
      Rider& r = riders_[rng_.below(riders_.size())];
      if (!r.ready || r.state != RiderState::kIdle) {
        continue;
      }
      const RideRequest ride = city_.draw_ride_request();
      ctx.out.clear();
      encode_ride(ctx.out, intended, ride.origin.lat, ride.origin.lng, ride.destination.lat,
                  ride.destination.lng);
      if (!ctx.send_out(r.local)) {
        continue;
      }
      r.state = RiderState::kRequested;
      r.request_id = intended;
      r.trip.clear();
      r.cancel_sent = false;
      ctx.recorder.count(Counter::kSent);
      ++requests_sent_;
      const std::uint32_t rider = ctx.pool->slot(r.local).global;
      with_verifier(ctx, [&](RidesVerifier& v) {
        v.on_request_sent(rider, intended);
        return true;
      });
      return;
    }
    ctx.unsent();  // no idle rider could ask: counted, not skipped
  }

  /// End of load: a request still waiting for a driver is cancelled so that it ends in the drain.
  void cancel_if_waiting(WorkerContext& ctx, Rider& r) noexcept {
    if (r.state != RiderState::kRequested || r.trip.empty() || r.cancel_sent || !r.ready) {
      return;
    }
    ctx.out.clear();
    encode_trip_action(ctx.out, next_id_++, r.trip, to_string(TripAction::kCancel));
    if (ctx.send_out(r.local)) {
      r.cancel_sent = true;
      ctx.recorder.count(Counter::kSent);
      ++cancels_sent_;
    }
  }

  template <typename Fn>
  void with_verifier(WorkerContext& ctx, Fn&& fn) {
    if (ctx.verifier != nullptr) {
      std::lock_guard<std::mutex> lock(ctx.verifier->mutex);
      if (!fn(ctx.verifier->rides)) {
        ctx.recorder.error(ErrorKind::kVerify);
      }
    }
  }

  void on_driver_frame(WorkerContext& ctx, ClientSlot& slot, Driver& d) noexcept {
    const ServerEvent& e = ctx.event;
    switch (e.op) {
      case ServerOp::kAuth:
        ctx.recorder.record(LatencyKind::kConnect, slot.connect_intended_ns, ctx.now_ns);
        d.ready = true;
        try {
          locs_.add(d.city_index, ctx.options.loc_rate,
                    std::max(ctx.timeline.load_start_ns, ctx.now_ns), ctx.timeline.load_end_ns);
        } catch (...) {
          ctx.recorder.error(ErrorKind::kProtocol);
        }
        break;
      case ServerOp::kLoc:
        if (e.has_id) {
          ctx.recorder.record(LatencyKind::kRtt, e.id, ctx.now_ns);
          ctx.recorder.count(Counter::kReceived);
          ++locs_answered_;
        }
        break;
      case ServerOp::kOffer: {
        ctx.recorder.count(Counter::kReceived);
        ++offers_;
        const bool accept = !d.on_trip && rng_.chance(kAcceptShare);
        ctx.out.clear();
        encode_offer_reply(ctx.out, next_id_++, e.trip, accept);
        if (ctx.send_out(d.local)) {
          ctx.recorder.count(Counter::kSent);
          (accept ? accepted_ : declined_) += 1;
        } else {
          ctx.unsent();
        }
        break;
      }
      case ServerOp::kAccept:
        ctx.recorder.count(Counter::kReceived);
        break;
      case ServerOp::kTrip:
        ctx.recorder.count(Counter::kReceived);
        if (!e.has_id) {
          const bool mine = e.driver == d.name;
          with_verifier(ctx, [&](RidesVerifier& v) {
            return v.on_driver_event(slot.global, e.trip, e.status, mine);
          });
        }
        if (!e.has_id && e.status == kTripMatched && (!d.on_trip || e.trip != d.trip)) {
          // The trip event, not the accept reply, says the trip is ours (they may come in
          // either order).
          d.on_trip = true;
          d.trip = e.trip;
          actions_.push(
              {ctx.now_ns + kArriveAfterNs, index_of_local_[slot.local], TripAction::kArrive});
        } else if (!e.has_id && (e.status == kTripCompleted || e.status == kTripCancelled)) {
          d.on_trip = false;
          d.trip.clear();
        }
        break;
      case ServerOp::kError:
        count_error(ctx);
        if (e.code == "conflict") {
          d.on_trip = false;
        }
        break;
      default:
        break;
    }
  }

  void on_rider_frame(WorkerContext& ctx, ClientSlot& slot, Rider& r) noexcept {
    const ServerEvent& e = ctx.event;
    switch (e.op) {
      case ServerOp::kAuth:
        ctx.recorder.record(LatencyKind::kConnect, slot.connect_intended_ns, ctx.now_ns);
        r.ready = true;
        break;
      case ServerOp::kRide:
        ctx.recorder.count(Counter::kReceived);
        ++requests_accepted_;
        if (e.has_id && e.id == r.request_id) {
          r.trip = e.trip;
          with_verifier(ctx, [&](RidesVerifier& v) {
            v.on_request_answered(slot.global, e.id, e.trip);
            return true;
          });
          if (load_over_) {
            cancel_if_waiting(ctx, r);  // answered after the load ended
          }
        }
        break;
      case ServerOp::kTrip:
        ctx.recorder.count(Counter::kReceived);
        if (!e.has_id) {
          with_verifier(ctx, [&](RidesVerifier& v) {
            return v.on_rider_event(slot.global, e.trip, e.status);
          });
        }
        if (e.has_id || r.state == RiderState::kIdle) {
          break;
        }
        if (e.status == kTripMatched && r.state == RiderState::kRequested) {
          ctx.recorder.record(LatencyKind::kMatch, r.request_id, ctx.now_ns);
          r.state = RiderState::kMatched;
          ++matched_;
        } else if (e.status == kTripCompleted) {
          r.state = RiderState::kIdle;
          ++completed_;
        } else if (e.status == kTripCancelled || e.status == kTripUnmatched) {
          r.state = RiderState::kIdle;
          ++unmatched_;
        }
        break;
      case ServerOp::kError:
        count_error(ctx);
        if (e.has_id && e.id == r.request_id && r.state == RiderState::kRequested &&
            r.trip.empty()) {
          r.state = RiderState::kIdle;  // refused: the rider may ask again later
          with_verifier(ctx, [&](RidesVerifier& v) {
            v.on_request_refused(slot.global, e.id);
            return true;
          });
        }
        break;
      default:
        break;
    }
  }

  void count_error(WorkerContext& ctx) noexcept {
    const ServerEvent& e = ctx.event;
    if (e.code == "conflict") {
      ++conflicts_;  // the offer expired or went to another driver: part of dispatch, not a fault
      return;
    }
    if (e.code == "unavailable") {
      ++unavailable_;
    }
    ctx.recorder.error(ErrorKind::kServerError);
  }

  void run_action(WorkerContext& ctx, const PendingAction& a) noexcept {
    Driver& d = drivers_[a.driver];
    if (!d.on_trip || !d.ready) {
      return;
    }
    ctx.out.clear();
    encode_trip_action(ctx.out, next_id_++, d.trip, to_string(a.action));
    if (!ctx.send_out(d.local)) {
      ctx.unsent();
      return;
    }
    ctx.recorder.count(Counter::kSent);
    if (a.action == TripAction::kArrive) {
      actions_.push({ctx.now_ns + kStartAfterNs, a.driver, TripAction::kStart});
    } else if (a.action == TripAction::kStart) {
      actions_.push({ctx.now_ns + kCompleteAfterNs, a.driver, TripAction::kComplete});
    }
  }

  std::uint32_t first_global_;
  CityModel city_;
  SendScheduler locs_;  // one stream per driver (stream id = index into drivers_)
  std::optional<ArrivalSchedule> rides_;
  Rng rng_;
  std::vector<Driver> drivers_;
  std::vector<Rider> riders_;
  std::vector<std::uint32_t> index_of_local_;  // local slot -> index into drivers_ or riders_
  std::priority_queue<PendingAction, std::vector<PendingAction>, std::greater<>> actions_;
  std::uint64_t next_id_ = 2;
  std::uint64_t locs_sent_ = 0;
  std::uint64_t locs_answered_ = 0;
  std::uint64_t requests_sent_ = 0;
  std::uint64_t requests_accepted_ = 0;
  std::uint64_t cancels_sent_ = 0;
  bool load_over_ = false;
  std::uint64_t matched_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t unmatched_ = 0;
  std::uint64_t offers_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t declined_ = 0;
  std::uint64_t conflicts_ = 0;
  std::uint64_t unavailable_ = 0;
  std::uint64_t still_waiting_ = 0;
};

}  // namespace

std::unique_ptr<ScenarioPart> make_rides_part(const SimOptions& options,
                                              std::uint32_t first_global) {
  return std::make_unique<RidesPart>(options, first_global);
}

}  // namespace hexwire::sim
