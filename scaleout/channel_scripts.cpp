// Lua sources of the channel scripts. KEYS are always the channel's keys in ChannelKey order:
//   1 m (meta hash)  2 l (stream)  3 p (shard pub/sub channel)  4 b (members -> read cursor)
//   5 o (offline members zset)  6 q (offline member -> notified seq)  7 n ("user|node")
//   8 c (user -> node count)  9 z (online users, lex order)
// Messages cross the scripts as flat quintuples: seq, ts (µs), from, kind, data.
// Frames on the shard channel: "M <epoch> <seq> <ts> <kind> <from length> <from><data>" for a
// message,
// "P <+|-> <online count> <user>" for a global join or leave.
#include "scaleout/channel_scripts.hpp"

namespace hexwire::scaleout::scripts {

namespace {

// Shared Lua helpers, prepended to every script.
constexpr const char* kPrelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function now_us_text()
  local t = redis.call('TIME')
  return t[1] .. string.rep('0', 6 - #t[2]) .. t[2]
end
-- The channel's state, created (with `epoch`) when missing: a stream or members left from a
-- forgotten incarnation are wiped, so the new epoch starts clean at seq 1.
local function channel_state(epoch)
  local meta = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
  if meta[2] then
    return tonumber(meta[1]), meta[2], false
  end
  redis.call('DEL', KEYS[2], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9])
  redis.call('HSET', KEYS[1], 'seq', 0, 'epoch', epoch)
  return 0, epoch, true
end
-- Keeps every key of the channel alive for `ttl` ms after its last use. The stream and the meta
-- hash are refreshed on each write; the others at most every half TTL (stamp in meta field x).
local function touch(ttl, now)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  local due = tonumber(redis.call('HGET', KEYS[1], 'x') or '0')
  if now >= due then
    for i = 4, 9 do redis.call('PEXPIRE', KEYS[i], ttl) end
    redis.call('HSET', KEYS[1], 'x', now + math.floor(ttl / 2))
  end
end
local function publish_to(channel, frame)
  local ok = redis.pcall('SPUBLISH', channel, frame)
  if type(ok) == 'table' and ok.err then
    redis.call('PUBLISH', channel, frame)  -- a server without sharded pub/sub (Redis < 7)
  end
end
local function shard_publish(frame)
  publish_to(KEYS[3], frame)
end
-- Flattens XRANGE/XREVRANGE entries into seq, ts, from, kind, data quintuples appended to
-- `out`, leaving out those from `skip_from`; returns how many were left out.
local function append_entries(out, entries, skip_from)
  local skipped = 0
  for _, e in ipairs(entries) do
    local fields = e[2]
    local f, t, k, d = '', '0', '0', ''
    for i = 1, #fields, 2 do
      if fields[i] == 'f' then f = fields[i + 1]
      elseif fields[i] == 't' then t = fields[i + 1]
      elseif fields[i] == 'k' then k = fields[i + 1]
      elseif fields[i] == 'd' then d = fields[i + 1] end
    end
    if f == skip_from then
      skipped = skipped + 1
    else
      local id = e[1]
      out[#out + 1] = string.sub(id, 1, string.find(id, '-', 1, true) - 1)
      out[#out + 1] = t
      out[#out + 1] = f
      out[#out + 1] = k
      out[#out + 1] = d
    end
  end
  return skipped
end
-- Oldest seq still in the stream (0 when empty).
local function first_seq()
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
  if #first == 0 then return 0 end
  local id = first[1][1]
  return tonumber(string.sub(id, 1, string.find(id, '-', 1, true) - 1))
end
-- An offline member who stays away past the TTL, or the longest-away one beyond the cap, stops
-- being a member.
local function end_offline_membership(user)
  redis.call('HDEL', KEYS[4], user)
  redis.call('HDEL', KEYS[6], user)
  redis.call('ZREM', KEYS[5], user)
end
local function enforce_offline_cap(max_offline)
  local over = redis.call('ZCARD', KEYS[5]) - max_offline
  if over > 0 then
    for _, user in ipairs(redis.call('ZRANGE', KEYS[5], 0, over - 1)) do
      end_offline_membership(user)
    end
  end
end
-- The user's subscribed connections on `node` are all gone: a global leave when it was their
-- last node. `leave` ends the membership; otherwise the user becomes an offline member who missed
-- everything after `seen` (the last seq the node handed them; nil: the channel's last seq).
local function node_off(user, node, leave, now, max_offline, seen)
  if redis.call('HDEL', KEYS[7], user .. '|' .. node) == 0 then return 0 end
  local n = redis.call('HINCRBY', KEYS[8], user, -1)
  if n > 0 then return 0 end
  redis.call('HDEL', KEYS[8], user)
  redis.call('ZREM', KEYS[9], user)
  if leave then
    end_offline_membership(user)
  elseif redis.call('HEXISTS', KEYS[4], user) == 1 then
    redis.call('ZADD', KEYS[5], now, user)
    local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
    if seen and seen < seq then seq = seen end
    redis.call('HSET', KEYS[6], user, seq)
    enforce_offline_cap(max_offline)
  end
  shard_publish('P - ' .. redis.call('ZCARD', KEYS[9]) .. ' ' .. user)
  return 1
end
)lua";

std::string with_prelude(const char* body) {
  return std::string(kPrelude) + body;
}

}  // namespace

// The publish step shared by publish() and publish_personal(): leaves `seq`, `epoch`, `ts`, `now`
// and the message's `frame` (as sent on the shard channel) in locals.
constexpr const char* kPublishStep = R"lua(
local seq, epoch = channel_state(ARGV[4])
seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local ts = now_us_text()
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'f', ARGV[1], 't', ts, 'k', ARGV[7],
           'd', ARGV[2])
local now = now_ms()
for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now - tonumber(ARGV[6]),
                                 'LIMIT', 0, 16)) do
  end_offline_membership(user)
end
touch(tonumber(ARGV[5]), now)
local frame = 'M ' .. epoch .. ' ' .. seq .. ' ' .. ts .. ' ' .. ARGV[7] .. ' ' .. #ARGV[1] .. ' ' ..
              ARGV[1] .. ARGV[2]
shard_publish(frame)
)lua";

// A personal channel's message to the inbox of every node in its user's node hash (KEYS[10]),
// in the order of the seqs. When none of those nodes is live (KEYS[11], the heartbeat zset), the
// user is offline: the first such message opens an offline episode (offline zset + the queue's
// seq before it), which the attach script closes and the drain reads. The user is always a
// member (their read cursor exists from the first message).
constexpr const char* kPersonalStep = R"lua(
local user = ARGV[8]
local inbox_frame = 'U ' .. ARGV[10] .. ' ' .. frame
local online = false
for _, node in ipairs(redis.call('HKEYS', KEYS[10])) do
  publish_to(ARGV[9] .. node .. '}:in', inbox_frame)
  if not online and redis.call('ZSCORE', KEYS[11], node) then online = true end
end
if redis.call('HEXISTS', KEYS[4], user) == 0 then
  redis.call('HSET', KEYS[4], user, seq - 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
end
if not online and not redis.call('ZSCORE', KEYS[5], user) then
  redis.call('ZADD', KEYS[5], now, user)
  redis.call('HSET', KEYS[6], user, seq - 1)
  redis.call('PEXPIRE', KEYS[5], ARGV[5])
  redis.call('PEXPIRE', KEYS[6], ARGV[5])
end
)lua";

// ARGV: 1 from, 2 data, 3 maxlen (~), 4 epoch for a new channel, 5 ttl ms, 6 offline TTL ms,
// 7 kind (the publisher's label, a small integer).
// Reply: {seq, epoch, ts µs (text)}.
const redis::Script& publish() {
  static const redis::Script script(
      with_prelude((std::string(kPublishStep) + "return {seq, epoch, ts}\n").c_str()));
  return script;
}

// KEYS: the channel's, then 10 the user's node hash, 11 the live node zset. ARGV: as publish(),
// then 8 the user, 9 the inbox name up to the node id ("<prefix>:{node:"), 10 the channel.
// Reply: as publish().
const redis::Script& publish_personal() {
  static const redis::Script script(with_prelude(
      (std::string(kPublishStep) + kPersonalStep + "return {seq, epoch, ts}\n").c_str()));
  return script;
}

// ARGV: 1 user, 2 since ('' = none), 3 epoch of since ('' = trust it), 4 max backlog messages,
// 5 epoch for a new channel, 6 join ('1': become a member), 7 max members, 8 ttl ms.
// Reply: {status (0 ok, 1 channel full), seq, epoch, recovered (0/1), unread, joined (0/1: a
// new member), quintuples...}.
const redis::Script& open() {
  static const redis::Script script(with_prelude(R"lua(
local seq, epoch = channel_state(ARGV[5])
local user = ARGV[1]
local cursor = redis.call('HGET', KEYS[4], user)
local joined = 0
if not cursor and ARGV[6] == '1' then
  if redis.call('HLEN', KEYS[4]) >= tonumber(ARGV[7]) then
    return {1, seq, epoch, 0, 0, 0}
  end
  redis.call('HSET', KEYS[4], user, seq)
  cursor = seq
  joined = 1
end
local retained = redis.call('XLEN', KEYS[2])
local unread = 0
if cursor then unread = math.min(seq - tonumber(cursor), retained) end
local reply = {0, seq, epoch, 1, unread, joined}
if ARGV[2] ~= '' then
  local since = tonumber(ARGV[2])
  if (ARGV[3] ~= '' and ARGV[3] ~= epoch) or since > seq then
    reply[4] = 0
  elseif since < seq then
    local first = first_seq()
    if first == 0 or first > since + 1 or seq - since > tonumber(ARGV[4]) then
      reply[4] = 0
    else
      append_entries(reply, redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', seq .. '-0'), nil)
    end
  end
end
touch(tonumber(ARGV[8]), now_ms())
return reply
)lua"));
  return script;
}

// ARGV: 1 since, 2 epoch of since ('' = trust it), 3 limit, 4 last seq wanted ('' = newest).
// Reply: {seq, epoch ('' = no such channel), recovered (0/1), quintuples...}. Read-only.
const redis::Script& range() {
  static const redis::Script script(with_prelude(R"lua(
local meta = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
if not meta[2] then return {0, '', 1} end
local seq, epoch = tonumber(meta[1]), meta[2]
local since = tonumber(ARGV[1])
local reply = {seq, epoch, 1}
if ARGV[2] ~= '' and ARGV[2] ~= epoch then
  reply[3] = 0
  since = 0
end
if since > seq then
  reply[3] = 0
  return reply
end
local first = first_seq()
if first == 0 then
  if since < seq then reply[3] = 0 end
  return reply
end
if first > since + 1 then
  reply[3] = 0
  since = first - 1
end
local last = '+'
if ARGV[4] ~= '' then last = ARGV[4] .. '-0' end
if tonumber(ARGV[3]) > 0 then  -- XRANGE ... COUNT 0 answers nil, not an empty list
  append_entries(reply, redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', last, 'COUNT',
                                   tonumber(ARGV[3])), nil)
end
return reply
)lua"));
  return script;
}

// ARGV: 1 user, 2 seq, 3 '1' when the channel is the user's personal one (always a member).
// Reply: {status (0 ok, 1 not a member), cursor, unread, moved (0/1)}.
const redis::Script& mark_read() {
  static const redis::Script script(with_prelude(R"lua(
local old = redis.call('HGET', KEYS[4], ARGV[1])
if not old and ARGV[3] ~= '1' then return {1, 0, 0} end
old = old or '0'
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local cursor = math.max(tonumber(old), math.min(tonumber(ARGV[2]), seq))
local moved = 0
if cursor ~= tonumber(old) then
  redis.call('HSET', KEYS[4], ARGV[1], cursor)
  moved = 1
end
return {0, cursor, math.min(seq - cursor, redis.call('XLEN', KEYS[2])), moved}
)lua"));
  return script;
}

// ARGV: 1 user, 2 node id, 3 kind ('on' | 'off' | 'leave'), 4 max offline members, 5 the last
// seq this node handed the user ('' = the channel's last seq; for 'off').
// Reply: {changed (1: a global join/leave was published), online count}.
const redis::Script& presence() {
  static const redis::Script script(with_prelude(R"lua(
local user, node, kind = ARGV[1], ARGV[2], ARGV[3]
local changed = 0
if kind == 'on' then
  if redis.call('HSETNX', KEYS[7], user .. '|' .. node, 1) == 1 then
    if redis.call('HINCRBY', KEYS[8], user, 1) == 1 then
      redis.call('ZADD', KEYS[9], 0, user)
      redis.call('ZREM', KEYS[5], user)
      redis.call('HDEL', KEYS[6], user)
      shard_publish('P + ' .. redis.call('ZCARD', KEYS[9]) .. ' ' .. user)
      changed = 1
    end
  end
else
  changed = node_off(user, node, kind == 'leave', now_ms(), tonumber(ARGV[4]), tonumber(ARGV[5]))
end
return {changed, redis.call('ZCARD', KEYS[9])}
)lua"));
  return script;
}

// ARGV: 1 after (exclusive; '' = from the start), 2 limit. Reply: {online count, users...}.
const redis::Script& presence_page() {
  static const redis::Script script(with_prelude(R"lua(
local from = '-'
if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
local reply = {redis.call('ZCARD', KEYS[9])}
for _, user in ipairs(redis.call('ZRANGEBYLEX', KEYS[9], from, '+', 'LIMIT', 0, tonumber(ARGV[2]))) do
  reply[#reply + 1] = user
end
return reply
)lua"));
  return script;
}

// ARGV: 1 node id, 2 max offline members. Reply: number of users whose entry was removed.
const redis::Script& node_gone() {
  static const redis::Script script(with_prelude(R"lua(
local suffix = '|' .. ARGV[1]
local removed = 0
local now = now_ms()
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[7], cursor, 'MATCH', '*' .. suffix, 'COUNT', 500)
  cursor = page[1]
  for i = 1, #page[2], 2 do
    local field = page[2][i]
    local user = string.sub(field, 1, #field - #suffix)
    node_off(user, ARGV[1], false, now, tonumber(ARGV[2]))
    removed = removed + 1
  end
until cursor == '0'
return removed
)lua"));
  return script;
}

// ARGV: 1 user, 2 limit, 3 scan (how many of the newest missed messages are read, >= limit),
// 4 '1' to drain ('0': only say whether the user is a member), 5 the last seq to drain ('': the
// channel's; later ones are left to the caller's live notifications).
// Reply: {seq (drained: the last seq drained), epoch, missed (messages after the notified seq up
// to it, not counting the user's own among the scanned), drained (0/1), quintuples of the newest `limit` of the others, newest first...};
// {0, ''} when the user is not a member of a live channel. A member who is not an offline member
// (still online on some node: its transition not written yet) is answered drained 0 and keeps
// their membership: their offline queue starts when that node writes the transition.
const redis::Script& drain_offline() {
  static const redis::Script script(with_prelude(R"lua(
local meta = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
if not meta[2] or redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then return {0, ''} end
local seq = tonumber(meta[1])
local seen = redis.call('HGET', KEYS[6], ARGV[1])
if not seen or ARGV[4] ~= '1' then return {seq, meta[2], 0, 0} end
if ARGV[5] ~= '' then seq = math.min(seq, tonumber(ARGV[5])) end
if seq < tonumber(seen) then seq = tonumber(seen) end
local reply = {seq, meta[2], seq - tonumber(seen), 1}
if seq > tonumber(seen) then
  local scanned = {}
  local own = append_entries(scanned, redis.call('XREVRANGE', KEYS[2], seq .. '-0',
                                                 (tonumber(seen) + 1) .. '-0', 'COUNT',
                                                 tonumber(ARGV[3])), ARGV[1])
  reply[3] = reply[3] - own
  for i = 1, math.min(#scanned, 5 * tonumber(ARGV[2])) do reply[#reply + 1] = scanned[i] end
  redis.call('HSET', KEYS[6], ARGV[1], seq)
end
return reply
)lua"));
  return script;
}

// ARGV: 1 user, 2 seq. Reply: 1 when the notified seq moved forward, else 0.
const redis::Script& mark_notified() {
  static const redis::Script script(with_prelude(R"lua(
local seen = redis.call('HGET', KEYS[6], ARGV[1])
if seen and tonumber(seen) < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[2])
  return 1
end
return 0
)lua"));
  return script;
}

std::vector<const redis::Script*> all() {
  return {&publish(),       &publish_personal(), &open(),          &range(),
          &mark_read(),     &presence(),         &presence_page(), &node_gone(),
          &drain_offline(), &mark_notified()};
}

}  // namespace hexwire::scaleout::scripts
