// The chat scenario's subs and their retries (see sim/detail/chat_part.hpp): a sub answered
// `unavailable` — the engine could not get it through its broker in time, e.g. Redis admission
// refused the work — is sent again with the same id after capped exponential backoff with jitter,
// at most --sub-retries times and never later than --sub-retry-window after its first attempt, as
// a real client would. A retry is not a new subscription: the report counts subs subscribed at
// the first attempt, after a retry, and failed, and the connection's subscribe latency still runs
// from its intended connect time (no coordinated omission).
#include "sim/detail/chat_part.hpp"

namespace hexwire::sim::detail {

void ChatPart::send_sub(WorkerContext& ctx, ChatClient& c, std::size_t k) noexcept {
  std::string channel;
  append_channel_name(channel, workload_.channels_of(c.user)[k]);
  ctx.out.clear();
  SubOptions sub;
  sub.presence = c.presence;
  if (c.resuming) {
    sub.since = last_seen_[c.membership_offset + k];
    sub.epoch = epoch_[c.membership_offset + k];
  }
  encode_sub(ctx.out, kFirstSubId + k, channel, sub);
  ctx.send_out(c.local);
}

void ChatPart::on_sub_error(WorkerContext& ctx, ChatClient& c, std::size_t k) noexcept {
  const SimOptions& o = ctx.options;
  const std::size_t m = c.membership_offset + k;
  const std::uint32_t retry = sub_attempt_[m] + 1u;
  const std::uint64_t backoff =
      jittered_backoff_ns(retry, std::uint64_t{o.sub_retry_backoff_ms} * 1'000'000,
                          std::uint64_t{o.sub_retry_max_backoff_ms} * 1'000'000,
                          rng_.uniform01());
  const auto window_ns = static_cast<std::uint64_t>(o.sub_retry_window_s * 1e9);
  const bool retryable = ctx.event.code == "unavailable" && retry <= o.sub_retries &&
                         ctx.now_ns + backoff <= sub_first_ns_[m] + window_ns;
  if (!retryable) {
    ++subs_failed_;
    ctx.recorder.error(ErrorKind::kServerError);
    return;
  }
  sub_attempt_[m] = static_cast<std::uint8_t>(retry);  // --sub-retries is at most 100
  sub_retries_.push(SubRetry{ctx.now_ns + backoff, client_of_local_[c.local], c.connection,
                             static_cast<std::uint32_t>(k)});
}

void ChatPart::send_due_retries(WorkerContext& ctx) noexcept {
  sub_retries_.send_due(ctx.now_ns, [&](const SubRetry& retry) {
    ChatClient& c = clients_[retry.client];
    if (c.connection != retry.connection) {
      return;  // that connection closed: the next one subscribes every channel anew
    }
    ++sub_retries_sent_;
    send_sub(ctx, c, retry.channel);
  });
}

}  // namespace hexwire::sim::detail
