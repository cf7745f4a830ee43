// ChannelStore: argument marshalling for the channel scripts and parsing of their replies and of
// the frames they publish.
#include "scaleout/channel_store.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "scaleout/channel_scripts.hpp"

namespace hexwire::scaleout {

namespace {

std::string decimal(std::uint64_t value) {
  return std::to_string(value);
}

std::uint64_t to_u64(std::string_view text) noexcept {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

std::int64_t to_i64(std::string_view text) noexcept {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// Quintuples seq, ts, from, kind, data starting at element `first`.
std::vector<StoredMessage> read_messages(redis::ReplyView reply, std::size_t first) {
  std::vector<StoredMessage> out;
  if (reply.size() > first) {
    out.reserve((reply.size() - first) / 5);
  }
  for (std::size_t i = first; i + 4 < reply.size(); i += 5) {
    StoredMessage m;
    m.seq = to_u64(reply[i].str());
    m.ts_us = to_i64(reply[i + 1].str());
    m.from = std::string(reply[i + 2].str());
    m.kind = static_cast<std::uint8_t>(to_u64(reply[i + 3].str()));
    m.data = std::string(reply[i + 4].str());
    out.push_back(std::move(m));
  }
  return out;
}

PublishResult parse_publish(redis::ReplyView r) {
  return {StoreStatus::kOk, static_cast<std::uint64_t>(r[0].integer()),
          parse_epoch_text(r[1].str()), to_i64(r[2].str())};
}

OpenResult parse_open(redis::ReplyView r) {
  OpenResult out;
  out.status = r[0].integer() == 1 ? StoreStatus::kChannelFull : StoreStatus::kOk;
  out.seq = static_cast<std::uint64_t>(r[1].integer());
  out.epoch = parse_epoch_text(r[2].str());
  out.recovered = r[3].integer() == 1;
  out.unread = static_cast<std::uint64_t>(r[4].integer());
  out.joined = r[5].integer() == 1;
  out.backlog = read_messages(r, 6);
  return out;
}

RangeResult parse_range(redis::ReplyView r) {
  RangeResult out;
  out.last_seq = static_cast<std::uint64_t>(r[0].integer());
  out.epoch = parse_epoch_text(r[1].str());
  out.recovered = r[2].integer() == 1;
  out.messages = read_messages(r, 3);
  return out;
}

ReadCursorResult parse_mark_read(redis::ReplyView r) {
  return {r[0].integer() == 1 ? StoreStatus::kNotMember : StoreStatus::kOk,
          static_cast<std::uint64_t>(r[1].integer()), static_cast<std::uint64_t>(r[2].integer()),
          r[3].integer() == 1};
}

PresenceUpdate parse_presence(redis::ReplyView r) {
  return {StoreStatus::kOk, r[0].integer() == 1, static_cast<std::uint64_t>(r[1].integer())};
}

PresencePage parse_presence_page(redis::ReplyView r) {
  PresencePage out;
  out.online = static_cast<std::uint64_t>(r[0].integer());
  for (std::size_t i = 1; i < r.size(); ++i) {
    out.users.emplace_back(r[i].str());
  }
  return out;
}

StoreStatus parse_status_only(redis::ReplyView /*r*/) {
  return StoreStatus::kOk;
}

OfflineDrain parse_drain(redis::ReplyView r) {
  OfflineDrain out;
  out.epoch = parse_epoch_text(r[1].str());
  if (out.epoch != 0) {
    out.seq = static_cast<std::uint64_t>(r[0].integer());
    out.missed = static_cast<std::uint64_t>(r[2].integer());
    out.drained = r[3].integer() == 1;
    out.newest = read_messages(r, 4);
  }
  return out;
}

template <typename Result>
Result failed(StoreStatus status) {
  if constexpr (std::is_same_v<Result, StoreStatus>) {
    return status;
  } else {
    Result result;
    result.status = status;
    return result;
  }
}

}  // namespace

std::string_view to_string(StoreStatus status) noexcept {
  switch (status) {
    case StoreStatus::kOk:
      return "ok";
    case StoreStatus::kUnavailable:
      return "unavailable";
    case StoreStatus::kChannelFull:
      return "channel_full";
    case StoreStatus::kNotMember:
      return "not_member";
    case StoreStatus::kError:
      return "error";
  }
  return "?";
}

std::string epoch_text(std::uint64_t epoch) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[epoch & 15];
    epoch >>= 4;
  }
  return out;
}

std::uint64_t parse_epoch_text(std::string_view text) noexcept {
  std::uint64_t value = 0;
  if (text.empty() || text.size() > 16) {
    return 0;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

bool parse_channel_frame(std::string_view payload, ChannelFrame* out) {
  // "M <epoch> <seq> <ts> <kind> <from length> <from><data>" | "P <+|-> <count> <user>"
  auto next_word = [&payload]() {
    const std::size_t space = payload.find(' ');
    std::string_view word = payload.substr(0, space);
    payload = space == std::string_view::npos ? std::string_view() : payload.substr(space + 1);
    return word;
  };
  const std::string_view kind = next_word();
  if (kind == "M") {
    out->kind = ChannelFrame::Kind::kMessage;
    out->epoch = parse_epoch_text(next_word());
    out->message.seq = to_u64(next_word());
    out->message.ts_us = to_i64(next_word());
    out->message.kind = static_cast<std::uint8_t>(to_u64(next_word()));
    const std::uint64_t from_length = to_u64(next_word());
    if (out->epoch == 0 || out->message.seq == 0 || from_length > payload.size()) {
      return false;
    }
    out->message.from = std::string(payload.substr(0, from_length));
    out->message.data = std::string(payload.substr(from_length));
    return true;
  }
  if (kind == "P") {
    const std::string_view sign = next_word();
    out->kind = sign == "+" ? ChannelFrame::Kind::kJoin : ChannelFrame::Kind::kLeave;
    out->online = to_u64(next_word());
    out->user = std::string(payload);
    return (sign == "+" || sign == "-") && !out->user.empty();
  }
  return false;
}

ChannelStore::ChannelStore(redis::RedisClient& client, ChannelLimits limits)
    : client_(client), limits_(std::move(limits)) {}

std::string ChannelStore::shard_channel(std::string_view channel) const {
  return channel_keys(limits_.prefix, channel)[kShard];
}

template <typename Parse>
void ChannelStore::run(const redis::Script& script, std::string_view channel,
                       std::initializer_list<std::string_view> args, Parse parse,
                       std::initializer_list<std::string_view> extra_keys) {
  const ChannelKeys keys = channel_keys(limits_.prefix, channel);
  constexpr std::size_t kMaxExtraKeys = 2;
  std::array<std::string_view, kChannelKeyCount + kMaxExtraKeys> key_views;
  for (std::size_t i = 0; i < kChannelKeyCount; ++i) {
    key_views[i] = keys.keys[i];
  }
  std::size_t count = kChannelKeyCount;
  for (std::string_view key : extra_keys) {
    if (count < key_views.size()) {
      key_views[count++] = key;
    }
  }
  client_.run_script(script, std::span<const std::string_view>(key_views.data(), count),
                     std::span<const std::string_view>(args.begin(), args.size()),
                     std::move(parse));
}

namespace {

// Wraps a typed callback into the client's reply callback: no answer -> unavailable, an error
// reply -> error (logged), otherwise the parsed reply.
template <typename Result>
redis::ReplyCallback adapt(const char* what, ChannelStore::Callback<Result> done,
                           Result (*parse)(redis::ReplyView)) {
  return [what, done = std::move(done), parse](redis::RedisStatus status,
                                               redis::ReplyView reply) mutable {
    if (status != redis::RedisStatus::kOk) {
      done(failed<Result>(StoreStatus::kUnavailable));
    } else if (reply.is_error()) {
      spdlog::error("redis {} script: {}", what, reply.str());
      done(failed<Result>(StoreStatus::kError));
    } else {
      done(parse(reply));
    }
  };
}

}  // namespace

void ChannelStore::publish(std::string_view channel, std::string_view from, std::string_view data,
                           std::uint8_t kind, std::uint64_t new_epoch,
                           Callback<PublishResult> done) {
  run(scripts::publish(), channel,
      {from, data, decimal(limits_.history_max_messages), epoch_text(new_epoch),
       decimal(limits_.channel_ttl_ms), decimal(limits_.offline_member_ttl_ms), decimal(kind)},
      adapt("publish", std::move(done), &parse_publish));
}

void ChannelStore::publish_personal(std::string_view channel, const PersonalRoute& route,
                                    std::string_view from, std::string_view data,
                                    std::uint8_t kind, std::uint64_t new_epoch,
                                    Callback<PublishResult> done) {
  run(scripts::publish_personal(), channel,
      {from, data, decimal(limits_.history_max_messages), epoch_text(new_epoch),
       decimal(limits_.channel_ttl_ms), decimal(limits_.offline_member_ttl_ms), decimal(kind),
       route.user, route.inbox_prefix, channel},
      adapt("publish", std::move(done), &parse_publish), {route.nodes_key, route.live_key});
}

void ChannelStore::open(std::string_view channel, const OpenRequest& request,
                        std::uint64_t new_epoch, Callback<OpenResult> done) {
  const std::string since = request.since ? decimal(*request.since) : std::string();
  const std::string since_epoch =
      request.since_epoch != 0 ? epoch_text(request.since_epoch) : std::string();
  run(scripts::open(), channel,
      {request.user, since, since_epoch, decimal(limits_.max_backlog), epoch_text(new_epoch),
       request.join ? "1" : "0", decimal(limits_.max_members), decimal(limits_.channel_ttl_ms)},
      adapt("open", std::move(done), &parse_open));
}

void ChannelStore::range(std::string_view channel, std::uint64_t since, std::uint64_t since_epoch,
                         std::size_t limit, std::optional<std::uint64_t> until,
                         Callback<RangeResult> done) {
  run(scripts::range(), channel,
      {decimal(since), since_epoch != 0 ? epoch_text(since_epoch) : std::string(), decimal(limit),
       until ? decimal(*until) : std::string()},
      adapt("range", std::move(done), &parse_range));
}

void ChannelStore::mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                             Callback<ReadCursorResult> done, bool personal) {
  run(scripts::mark_read(), channel, {user, decimal(seq), personal ? "1" : ""},
      adapt("mark_read", std::move(done), &parse_mark_read));
}

void ChannelStore::presence(std::string_view channel, std::string_view user, std::string_view node,
                            PresenceKind kind, Callback<PresenceUpdate> done,
                            std::optional<std::uint64_t> seen) {
  const std::string_view kind_text = kind == PresenceKind::kOnline    ? "on"
                                     : kind == PresenceKind::kOffline ? "off"
                                                                      : "leave";
  run(scripts::presence(), channel,
      {user, node, kind_text, decimal(limits_.max_offline_members),
       seen ? decimal(*seen) : std::string()},
      adapt("presence", std::move(done), &parse_presence));
}

void ChannelStore::presence_page(std::string_view channel, std::string_view after,
                                 std::size_t limit, Callback<PresencePage> done) {
  run(scripts::presence_page(), channel, {after, decimal(limit)},
      adapt("presence_page", std::move(done), &parse_presence_page));
}

void ChannelStore::node_gone(std::string_view channel, std::string_view node,
                             Callback<StoreStatus> done) {
  run(scripts::node_gone(), channel, {node, decimal(limits_.max_offline_members)},
      adapt("node_gone", std::move(done), &parse_status_only));
}

void ChannelStore::drain_offline(std::string_view channel, std::string_view user, std::size_t limit,
                                 DrainMode mode, std::optional<std::uint64_t> until,
                                 Callback<OfflineDrain> done) {
  run(scripts::drain_offline(), channel,
      {user, decimal(limit), decimal(std::max<std::size_t>(limit, 1000)),
       mode == DrainMode::kDrain ? "1" : "0", until ? decimal(*until) : std::string()},
      adapt("drain_offline", std::move(done), &parse_drain));
}

void ChannelStore::mark_notified(std::string_view channel, std::string_view user,
                                 std::uint64_t seq, Callback<StoreStatus> done) {
  run(scripts::mark_notified(), channel, {user, decimal(seq)},
      adapt("mark_notified", std::move(done), &parse_status_only));
}

}  // namespace hexwire::scaleout
