// The Lua scripts that keep a channel's state in Redis, one atomic step each on the channel's
// keys (scaleout/channel_keys.hpp, all in one cluster slot). Each script receives the channel's
// keys in ChannelKey order as KEYS; its ARGV and reply are written above its source in
// channel_scripts.cpp. ChannelStore (channel_store.hpp) is the typed way to call them.
#pragma once

#include <vector>

#include "redis/script.hpp"

namespace hexwire::scaleout::scripts {

/// Next seq (creating the channel with a new epoch if needed), XADD with the seq as entry id and
/// MAXLEN ~, expire offline members past their TTL, SPUBLISH the frame to the nodes.
const redis::Script& publish();
/// publish() for a personal channel: the frame also goes to the inbox of every node holding the
/// channel's user (no node subscribes to a personal channel), and while no live node holds them
/// the user is an offline member who misses it (drained at their next attach).
const redis::Script& publish_personal();
/// Subscribe-time read: last seq and epoch (creating the channel), the backlog after `since`
/// when the stream still holds it, membership join (capped) and the unread count.
const redis::Script& open();
/// Messages after `since` (history, catch-up after an interruption), bounded by count and seq.
const redis::Script& range();
/// Moves a member's read cursor forward (a personal channel's user is always a member).
const redis::Script& mark_read();
/// A user's subscribed connections on one node went from none to some ("on"), or from some to
/// none because they closed ("off": the user stays a member, offline) or unsubscribed ("leave").
/// Publishes the global join/leave (the user's first/last node) with the online count.
const redis::Script& presence();
/// One page of online users in name order, and the online count.
const redis::Script& presence_page();
/// Removes every presence entry of a dead node, as "off" transitions.
const redis::Script& node_gone();
/// Notifications an offline member missed (newest first, at most a limit), then marks them seen.
const redis::Script& drain_offline();
/// Marks messages up to a seq as notified to an offline member (they were delivered live).
const redis::Script& mark_notified();

/// Every script above: a broker's Redis connections load them as they connect.
std::vector<const redis::Script*> all();

}  // namespace hexwire::scaleout::scripts
