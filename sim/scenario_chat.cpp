// The chat scenario: --connections WebSocket clients on /ws. Nine in ten are users (u<i>) in
// Zipf-sized channels who publish on an open-loop schedule (--publish-rate in total); one in ten is
// a second device of an existing user that only reads and syncs read cursors (--read-sync-rate).
// During the load, clients drop their connection and come back (--churn, 1% of clients per second
// by default) and resume every channel with `since` and `epoch`, so replay after reconnect is
// exercised and, with --verify, checked. --reconnect-storm S drops every connection at once, S
// seconds into the load; each comes back within 1 s (--storm-drop reset: the drops are TCP resets
// instead of closing handshakes). --presence-share F of the users subscribe
// with "presence":true. --pipeline-subs sends the subs right behind auth (one round trip less).
// A sub answered `unavailable` is retried with backoff (scenario_chat_subs.cpp).
#include <algorithm>

#include "sim/detail/chat_part.hpp"

namespace hexwire::sim {
namespace detail {
namespace {

/// Whether user `user` asks for presence: the same answer on every worker and device.
bool wants_presence(std::uint64_t seed, std::uint32_t user, double share) noexcept {
  const double draw = static_cast<double>(derive_seed(seed, 5'000'000'000ull + user) >> 11) *
                      0x1.0p-53;
  return draw < share;
}

}  // namespace

void ChatPart::populate(WorkerContext& ctx) {
  const SimOptions& o = ctx.options;
  rng_ = Rng(derive_seed(o.seed, 1000 + ctx.worker));
  for (std::uint32_t i = ctx.worker; i < o.connections; i += ctx.workers) {
    ChatClient c;
    c.reader_device = i >= users_;
    c.user = c.reader_device ? spread_reader(i - users_) : i;
    c.local = ctx.pool->add(ClientKind::kChat, first_global_ + i, c.user);
    c.presence = wants_presence(o.seed, c.user, o.presence_share);
    c.membership_offset = static_cast<std::uint32_t>(last_seen_.size());
    last_seen_.resize(last_seen_.size() + workload_.channels_of(c.user).size(), 0);
    epoch_.resize(last_seen_.size(), 0);
    sub_attempt_.resize(last_seen_.size(), 0);
    sub_first_ns_.resize(last_seen_.size(), 0);
    if (c.local >= client_of_local_.size()) {
      client_of_local_.resize(c.local + 1, UINT32_MAX);
    }
    client_of_local_[c.local] = static_cast<std::uint32_t>(clients_.size());
    (c.reader_device ? readers_here_ : publishers_here_)
        .push_back(static_cast<std::uint32_t>(clients_.size()));
    clients_.push_back(std::move(c));
  }
  const std::uint64_t start = ctx.timeline.load_start_ns;
  const std::uint64_t end = ctx.timeline.load_end_ns;
  const double share = 1.0 / ctx.workers;
  publishes_.emplace(o.arrival, o.publish_rate * share, start,
                     derive_seed(o.seed, 2000 + ctx.worker), end);
  churn_.emplace(o.arrival, o.churn * static_cast<double>(clients_.size()), start,
                 derive_seed(o.seed, 3000 + ctx.worker), end);
  reads_.emplace(o.arrival, o.read_sync_rate * static_cast<double>(readers_here_.size()),
                 start, derive_seed(o.seed, 4000 + ctx.worker), end);
  if (o.reconnect_storm_s >= 0.0) {
    storm_at_ns_ = start + static_cast<std::uint64_t>(o.reconnect_storm_s * 1e9);
    storm_reset_ = o.storm_drop == "reset";
  }
}

void ChatPart::tick(WorkerContext& ctx) noexcept {
  publishes_->drain_due(
      ctx.now_ns, [&](std::uint64_t intended) { publish(ctx, intended); }, 4096);
  churn_->drain_due(
      ctx.now_ns, [&](std::uint64_t) { churn_one(ctx); }, 256);
  reads_->drain_due(
      ctx.now_ns, [&](std::uint64_t) { sync_read(ctx); }, 256);
  if (ctx.now_ns >= storm_at_ns_) {
    start_storm(ctx);
  }
  reconnects_.start_due(*ctx.pool, ctx.now_ns);
  send_due_retries(ctx);
}

std::uint64_t ChatPart::next_due_ns() noexcept {
  return std::min({publishes_->next_ns(), churn_->next_ns(), reads_->next_ns(), storm_at_ns_,
                   reconnects_.next_due_ns(), sub_retries_.next_due_ns()});
}

void ChatPart::on_open(WorkerContext& ctx, ClientSlot& slot) noexcept {
  ChatClient& c = client(slot);
  c.ready = false;
  c.storm_due = false;
  ++c.connection;  // sub retries queued for an earlier connection are dropped
  c.pending.clear();
  ctx.out.clear();
  append_user_name(ctx.out, c.user);
  name_ = ctx.out;
  ctx.out.clear();
  encode_auth(ctx.out, kAuthId, name_);
  ctx.send_out(slot.local);
  if (ctx.options.pipeline_subs) {
    subscribe_all(ctx, c);  // the engine handles a connection's ops in order: auth comes first
  }
}

void ChatPart::on_text(WorkerContext& ctx, ClientSlot& slot, std::string_view text) noexcept {
  ctx.recorder.count(Counter::kBytesReceived, text.size());
  if (!ctx.parse(text)) {
    return;
  }
  ChatClient& c = client(slot);
  const ServerEvent& e = ctx.event;
  switch (e.op) {
    case ServerOp::kAuth:
      ctx.recorder.record(LatencyKind::kConnect, slot.connect_intended_ns, ctx.now_ns);
      if (!ctx.options.pipeline_subs) {
        subscribe_all(ctx, c);
      }
      break;
    case ServerOp::kSubbed:
      on_subbed(ctx, slot, c);
      break;
    case ServerOp::kAck:
      on_ack(ctx, c);
      break;
    case ServerOp::kMsg:
      on_msg(ctx, slot, c);
      break;
    case ServerOp::kRead:
      (e.has_id ? reads_acknowledged_ : reads_synced_) += 1;
      break;
    case ServerOp::kError:
      on_error(ctx, c);
      break;
    case ServerOp::kJoin:
    case ServerOp::kLeave:
      ++presence_events_;
      break;
    case ServerOp::kPresence:
      presence_counts_ += e.has_id ? 0 : 1;  // a member count event, not a reply
      break;
    default:
      break;  // unsubbed, notifications: not measured
  }
}

void ChatPart::on_closed(WorkerContext& ctx, ClientSlot& slot, bool was_open) noexcept {
  ChatClient& c = client(slot);
  c.ready = false;
  c.storm_due = false;
  ++c.connection;
  if (ctx.closing) {
    return;
  }
  if (c.dropping) {
    c.dropping = false;  // our own close: drop() queued the comeback and ended the windows
    return;
  }
  if (c.resuming && !was_open) {
    ++reconnect_failures_;
  }
  // A client that never opened stays down (its first attempt failing is reported as a connect
  // error); one that was connected comes back, like a real client would.
  if (was_open || c.resuming) {
    recover_lost_connection(ctx, c, was_open);
  }
}

void ChatPart::finish(WorkerContext& ctx, VerificationSummary* /*echo*/) noexcept {
  std::uint64_t unacked = 0;
  for (const ChatClient& c : clients_) {
    unacked += c.pending.size();
  }
  if (unacked > 0) {
    ctx.recorder.error(ErrorKind::kTimeout, unacked);
  }
  // Subs still waiting for their next attempt: neither subscribed nor failed.
  sub_retries_.send_due(UINT64_MAX, [&](const SubRetry& retry) {
    subs_retrying_at_end_ += clients_[retry.client].connection == retry.connection ? 1 : 0;
  });
}

void ChatPart::add_facts(std::map<std::string, std::uint64_t>& facts) const {
  facts["chat reconnects (churn)"] += reconnects_done_;
  facts["chat channels resumed with recovered:true"] += resumed_;
  facts["chat channels not recovered (reload)"] += not_recovered_;
  facts["chat reconnects that failed"] += reconnect_failures_;
  facts["chat connections lost (closed by the server or the network; reconnected)"] +=
      lost_connections_;
  facts["chat publishes in doubt (connection lost before the ack)"] += publishes_in_doubt_;
  facts["chat publishes refused (answered with an error)"] += publishes_refused_;
  facts["chat reconnects not started (no idle client)"] += churn_skipped_;
  facts["chat storm: connections dropped"] += storm_dropped_;
  facts["chat storm: clients not connected at the storm (left alone)"] += storm_absent_;
  facts["chat resumes answered with a new epoch"] += new_epochs_;
  facts["chat presence events received (join/leave)"] += presence_events_;
  facts["chat presence member counts received"] += presence_counts_;
  facts["chat read updates sent by second devices"] += reads_sent_;
  facts["chat read updates with nothing read yet (not sent)"] += reads_nothing_to_sync_;
  facts["chat read updates acknowledged"] += reads_acknowledged_;
  facts["chat read syncs received by other devices"] += reads_synced_;
  facts["chat subs subscribed at the first attempt"] += subs_first_try_;
  facts["chat subs subscribed after a retry"] += subs_after_retry_;
  facts["chat subs failed (error after the last attempt)"] += subs_failed_;
  facts["chat sub retries sent (unavailable answers retried)"] += sub_retries_sent_;
  facts["chat subs still waiting for a retry at the end"] += subs_retrying_at_end_;
}

void ChatPart::subscribe_all(WorkerContext& ctx, ChatClient& c) noexcept {
  const auto channels = workload_.channels_of(c.user);
  c.subs_pending = static_cast<std::uint16_t>(channels.size());
  for (std::size_t k = 0; k < channels.size(); ++k) {
    sub_attempt_[c.membership_offset + k] = 0;
    sub_first_ns_[c.membership_offset + k] = ctx.now_ns;
    send_sub(ctx, c, k);
  }
  if (channels.empty()) {
    become_ready(ctx, ctx.pool->slot(c.local), c);
  }
}

void ChatPart::become_ready(WorkerContext& ctx, const ClientSlot& slot, ChatClient& c) noexcept {
  c.ready = true;
  c.failed_attempts = 0;
  ctx.recorder.record(LatencyKind::kSubscribe, slot.connect_intended_ns, ctx.now_ns);
}

void ChatPart::on_subbed(WorkerContext& ctx, const ClientSlot& slot, ChatClient& c) noexcept {
  const ServerEvent& e = ctx.event;
  const auto channels = workload_.channels_of(c.user);
  if (!e.has_id || e.id < kFirstSubId || e.id - kFirstSubId >= channels.size()) {
    ctx.recorder.error(ErrorKind::kProtocol);
    return;
  }
  const std::size_t k = e.id - kFirstSubId;
  (sub_attempt_[c.membership_offset + k] == 0 ? subs_first_try_ : subs_after_retry_) += 1;
  std::uint64_t& seen = last_seen_[c.membership_offset + k];
  std::uint64_t& epoch = epoch_[c.membership_offset + k];
  // The resume named an epoch and the engine answers with another one: a new incarnation.
  const bool epoch_changed = c.resuming && epoch != 0 && e.has_epoch && e.epoch != epoch;
  new_epochs_ += epoch_changed ? 1 : 0;
  if (e.has_epoch) {
    epoch = e.epoch;
  }
  std::uint64_t start = e.seq;
  if (c.resuming) {
    if (e.recovered) {
      start = seen;  // the missed messages follow
      ++resumed_;
    } else {
      ++not_recovered_;  // history no longer reaches back: a real client would reload
    }
  }
  if (c.resuming && !e.recovered) {
    // Resumes within the engine's guaranteed history must recover; others are a real reload.
    with_verifier(ctx, [&](Verifier& v) {
      if (!v.on_not_recovered(seen, e.seq, epoch_changed)) {
        ctx.recorder.error(ErrorKind::kVerify);
      }
    });
  }
  if (!c.resuming || !e.recovered) {
    seen = e.seq;
  }
  with_verifier(ctx, [&](Verifier& v) { v.on_subscribed(slot.global, channels[k], start); });
  if (c.subs_pending > 0 && --c.subs_pending == 0) {
    become_ready(ctx, slot, c);
  }
}

void ChatPart::on_ack(WorkerContext& ctx, ChatClient& c) noexcept {
  const ServerEvent& e = ctx.event;
  const auto it = std::find_if(c.pending.begin(), c.pending.end(),
                               [&](const auto& p) { return e.has_id && p.first == e.id; });
  if (it == c.pending.end()) {
    ctx.recorder.error(ErrorKind::kProtocol);
    return;
  }
  const auto channel = parse_indexed_name(e.channel, 'c');
  ctx.recorder.record(LatencyKind::kAck, it->first, ctx.now_ns);
  ctx.recorder.count(Counter::kReceived);
  ctx.recorder.count(Counter::kAcks);
  if (channel) {
    with_verifier(ctx, [&](Verifier& v) {
      v.on_ack(PublishKey{c.user, it->second}, *channel, e.seq);
    });
  }
  c.pending.erase(it);
  drop_if_storm_due(ctx, c);
}

void ChatPart::on_msg(WorkerContext& ctx, ClientSlot& slot, ChatClient& c) noexcept {
  const ServerEvent& e = ctx.event;
  const auto channel = parse_indexed_name(e.channel, 'c');
  if (!channel) {
    return;  // user: channels and others are not part of the workload
  }
  ctx.recorder.count(Counter::kReceived);
  if (!e.probe) {
    ctx.recorder.error(ErrorKind::kProtocol);
    return;
  }
  ctx.recorder.record(LatencyKind::kDeliver, e.probe->intended_ns, ctx.now_ns);
  ctx.recorder.count(Counter::kDeliveries);
  const auto channels = workload_.channels_of(c.user);
  const auto pos = std::find(channels.begin(), channels.end(), *channel);
  if (pos != channels.end()) {
    const std::size_t m = c.membership_offset + (pos - channels.begin());
    last_seen_[m] = std::max(last_seen_[m], e.seq);
    if (e.has_epoch) {
      epoch_[m] = e.epoch;
    }
  }
  with_verifier(ctx, [&](Verifier& v) {
    const ReceiptVerdict verdict =
        v.on_receive(slot.global, *channel, e.seq, PublishKey{e.probe->sender, e.probe->number});
    if (verdict != ReceiptVerdict::kInOrder && verdict != ReceiptVerdict::kIgnored) {
      ctx.recorder.error(ErrorKind::kVerify);
    }
  });
}

void ChatPart::on_error(WorkerContext& ctx, ChatClient& c) noexcept {
  const ServerEvent& e = ctx.event;
  const std::size_t subs = workload_.channels_of(c.user).size();
  if (e.has_id && e.id >= kFirstSubId && e.id - kFirstSubId < subs) {
    on_sub_error(ctx, c, e.id - kFirstSubId);
    drop_if_storm_due(ctx, c);
    return;
  }
  ctx.recorder.error(ErrorKind::kServerError);
  if (e.has_id) {
    const auto it = std::find_if(c.pending.begin(), c.pending.end(),
                                 [&](const auto& p) { return p.first == e.id; });
    if (it != c.pending.end()) {
      ++publishes_refused_;
      c.pending.erase(it);  // refused: never acked (the verifier counts it unacked)
    }
  }
  drop_if_storm_due(ctx, c);
}

}  // namespace detail

std::unique_ptr<ScenarioPart> make_chat_part(const SimOptions& options,
                                             std::uint32_t first_global) {
  return std::make_unique<detail::ChatPart>(options, first_global);
}

}  // namespace hexwire::sim
