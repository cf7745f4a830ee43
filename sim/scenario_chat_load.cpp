// The chat scenario's offered load (see sim/detail/chat_part.hpp): open-loop publishes from ready
// users, read-cursor syncs from second devices, churn (a random idle client drops and resumes) and
// the reconnect storm (every ready client drops once its publishes are acked, back within 1 s).
#include <fmt/format.h>

#include <algorithm>

#include "sim/detail/chat_part.hpp"

namespace hexwire::sim::detail {

void ChatPart::publish(WorkerContext& ctx, std::uint64_t intended) noexcept {
  // The publishes are one Poisson stream of the whole population, so an offline user does not
  // publish: another ready user of this worker does, at the same intended time.
  for (int attempt = 0; attempt < 32 && !publishers_here_.empty(); ++attempt) {
    // A uniformly chosen user of this worker and one of its channels (ChatWorkload's rule).
    ChatClient& c = clients_[publishers_here_[rng_.below(publishers_here_.size())]];
    const auto channels = workload_.channels_of(c.user);
    if (!c.ready || channels.empty()) {
      continue;
    }
    const PublishChoice choice{c.user, channels[rng_.below(channels.size())]};
    const Probe probe{intended, choice.publisher, c.publish_number + 1};
    std::string channel;
    append_channel_name(channel, choice.channel);
    ctx.out.clear();
    encode_pub(ctx.out, intended, channel, probe, ctx.options.message_size);
    if (!ctx.send_out(c.local)) {
      continue;
    }
    // Registered only once the send was issued: a refused send is not a publish.
    with_verifier(ctx, [&](Verifier& v) {
      v.on_publish_sent(PublishKey{probe.sender, probe.number}, choice.channel);
    });
    c.publish_number = probe.number;
    c.pending.emplace_back(intended, probe.number);
    ctx.recorder.count(Counter::kSent);
    return;
  }
  ctx.unsent();  // no ready publisher found: the offered publish is counted, not skipped
}

void ChatPart::end_windows(WorkerContext& ctx, ChatClient& c) noexcept {
  const auto channels = workload_.channels_of(c.user);
  const std::uint32_t receiver = ctx.pool->slot(c.local).global;
  with_verifier(ctx, [&](Verifier& v) {
    for (const std::uint32_t channel : channels) {
      v.on_unsubscribing(receiver, channel);
    }
  });
}

void ChatPart::churn_one(WorkerContext& ctx) noexcept {
  if (clients_.empty()) {
    return;
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    ChatClient& c = clients_[rng_.below(clients_.size())];
    if (!c.ready || !c.pending.empty()) {
      continue;  // an unacked publish would be cut off: pick someone idle
    }
    drop(ctx, c, ctx.now_ns + kReconnectDelayNs);
    ++reconnects_done_;
    return;
  }
  ++churn_skipped_;
}

void ChatPart::drop(WorkerContext& ctx, ChatClient& c, std::uint64_t back_ns, bool reset) noexcept {
  end_windows(ctx, c);  // the windows end at what was received; resume replays the rest
  c.ready = false;
  c.storm_due = false;
  c.resuming = true;
  c.dropping = true;
  if (reset) {
    ctx.pool->reset(c.local);
  } else {
    ctx.pool->close(c.local);
  }
  reconnects_.push(c.local, back_ns);
}

void ChatPart::recover_lost_connection(WorkerContext& ctx, ChatClient& c, bool was_open) noexcept {
  if (was_open) {
    ++lost_connections_;
    end_windows(ctx, c);  // the windows end at what was received; the resume replays the rest
  } else {
    c.failed_attempts = static_cast<std::uint8_t>(std::min<unsigned>(c.failed_attempts + 1, 255));
  }
  for (const auto& request : c.pending) {  // (request id, publish number)
    const PublishKey key{c.user, request.second};
    with_verifier(ctx, [&](Verifier& v) { v.on_publish_in_doubt(key); });
    ++publishes_in_doubt_;
  }
  c.pending.clear();
  c.resuming = true;
  const unsigned shift = std::min<unsigned>(c.failed_attempts, kMaxReconnectBackoffShift);
  reconnects_.push(c.local, ctx.now_ns + (kReconnectDelayNs << shift) +
                                rng_.below(kReconnectDelayNs));
}

void ChatPart::start_storm(WorkerContext& ctx) noexcept {
  storm_at_ns_ = UINT64_MAX;
  for (ChatClient& c : clients_) {
    if (!c.ready) {
      ++storm_absent_;  // connecting or already reconnecting: it comes back on its own
      continue;
    }
    c.ready = false;  // publishes and read syncs pick other clients from now on
    c.storm_due = true;
    drop_if_storm_due(ctx, c);
  }
}

void ChatPart::drop_if_storm_due(WorkerContext& ctx, ChatClient& c) noexcept {
  if (c.storm_due && c.pending.empty()) {
    drop(ctx, c, ctx.now_ns + rng_.below(kStormComebackNs), storm_reset_);
    ++storm_dropped_;
  }
}

void ChatPart::sync_read(WorkerContext& ctx) noexcept {
  // Like publishes, read syncs come from whichever second device is ready; one that has read
  // nothing yet has no cursor to report (a fact, not a failure). When no device is ready the
  // send is counted as unsent.
  for (int attempt = 0; attempt < 8 && !readers_here_.empty(); ++attempt) {
    ChatClient& c = clients_[readers_here_[rng_.below(readers_here_.size())]];
    const auto channels = workload_.channels_of(c.user);
    if (!c.ready || channels.empty()) {
      continue;
    }
    const std::size_t k = rng_.below(channels.size());
    const std::uint64_t seen = last_seen_[c.membership_offset + k];
    if (seen == 0) {
      ++reads_nothing_to_sync_;
      return;
    }
    ctx.out.clear();
    fmt::format_to(std::back_inserter(ctx.out),
                   R"({{"op":"read","id":{},"channel":"c{}","seq":{}}})",
                   kFirstReadId + reads_sent_, channels[k], seen);
    if (ctx.send_out(c.local)) {
      ++reads_sent_;
      return;
    }
  }
  ctx.unsent();
}

}  // namespace hexwire::sim::detail
