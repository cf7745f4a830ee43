// Vector clocks, dotted and plain supersession, set sync, and the text form of a version set.
#include "sim/cases/dynamo/versions.hpp"

#include <algorithm>

namespace hexwire::sim::cases::dynamo {

std::uint64_t VectorClock::get(std::uint32_t actor) const noexcept {
  for (const ClockEntry& e : entries_) {
    if (e.actor == actor) {
      return e.counter;
    }
  }
  return 0;
}

void VectorClock::raise(std::uint32_t actor, std::uint64_t counter, std::uint64_t now_ms) {
  const auto it = std::lower_bound(entries_.begin(), entries_.end(), actor,
                                   [](const ClockEntry& e, std::uint32_t a) { return e.actor < a; });
  if (it != entries_.end() && it->actor == actor) {
    if (counter > it->counter) {
      it->counter = counter;
      it->stamp_ms = now_ms;
    }
    return;
  }
  entries_.insert(it, ClockEntry{actor, counter, now_ms});
}

void VectorClock::join(const VectorClock& other) {
  for (const ClockEntry& e : other.entries_) {
    const auto it =
        std::lower_bound(entries_.begin(), entries_.end(), e.actor,
                         [](const ClockEntry& x, std::uint32_t a) { return x.actor < a; });
    if (it != entries_.end() && it->actor == e.actor) {
      if (e.counter > it->counter) {
        *it = e;
      }
    } else {
      entries_.insert(it, e);
    }
  }
}

std::size_t VectorClock::truncate(std::size_t limit) {
  std::size_t dropped = 0;
  while (entries_.size() > limit) {
    const auto oldest = std::min_element(
        entries_.begin(), entries_.end(), [](const ClockEntry& a, const ClockEntry& b) {
          return a.stamp_ms != b.stamp_ms ? a.stamp_ms < b.stamp_ms : a.actor < b.actor;
        });
    entries_.erase(oldest);
    ++dropped;
  }
  return dropped;
}

bool VectorClock::descends(const VectorClock& other) const noexcept {
  for (const ClockEntry& e : other.entries_) {
    if (get(e.actor) < e.counter) {
      return false;
    }
  }
  return true;
}

bool VectorClock::operator==(const VectorClock& other) const noexcept {
  return descends(other) && other.descends(*this);
}

VectorClock Version::full_clock(ClockMode mode) const {
  VectorClock full = clock;
  if (mode == ClockMode::kDotted) {
    full.raise(dot_actor, dot_counter, 0);
  }
  return full;
}

bool supersedes(const Version& newer, const Version& older, ClockMode mode) noexcept {
  if (newer.gid == older.gid) {
    return false;
  }
  if (mode == ClockMode::kDotted) {
    return newer.clock.get(older.dot_actor) >= older.dot_counter;
  }
  // Plain clocks: a clock that descends another replaces it. Equal clocks name "the same" version
  // as far as the protocol can tell; the higher gid is kept so every replica keeps the same one.
  if (!newer.clock.descends(older.clock)) {
    return false;
  }
  return !(older.clock.descends(newer.clock)) || newer.gid > older.gid;
}

void sync_into(VersionSet& set, const VersionSet& incoming, ClockMode mode) {
  for (const Version& v : incoming) {
    const bool known = std::any_of(set.begin(), set.end(),
                                   [&](const Version& x) { return x.gid == v.gid; });
    if (!known) {
      set.push_back(v);
    }
  }
  VersionSet kept;
  for (const Version& v : set) {
    const bool obsolete = std::any_of(set.begin(), set.end(), [&](const Version& other) {
      return supersedes(other, v, mode);
    });
    if (!obsolete) {
      kept.push_back(v);
    }
  }
  std::sort(kept.begin(), kept.end(),
            [](const Version& a, const Version& b) { return a.gid < b.gid; });
  set = std::move(kept);
}

bool contains_all(const VersionSet& set, const VersionSet& other) noexcept {
  return std::all_of(other.begin(), other.end(), [&](const Version& v) {
    return std::any_of(set.begin(), set.end(), [&](const Version& x) { return x.gid == v.gid; });
  });
}

VectorClock context_of(const VersionSet& set, ClockMode mode) {
  VectorClock context;
  for (const Version& v : set) {
    context.join(v.full_clock(mode));
  }
  return context;
}

void encode_clock(MessageWriter& out, const VectorClock& clock) {
  out.number(clock.entries().size());
  for (const ClockEntry& e : clock.entries()) {
    out.number(e.actor).number(e.counter).number(e.stamp_ms);
  }
}

bool decode_clock(MessageReader& in, VectorClock& clock) {
  const std::uint64_t entries = in.number();
  if (!in.ok() || entries > 1000) {
    return false;
  }
  for (std::uint64_t e = 0; e < entries; ++e) {
    const auto actor = static_cast<std::uint32_t>(in.number());
    const std::uint64_t counter = in.number();
    const std::uint64_t stamp = in.number();
    clock.raise(actor, counter, stamp);
  }
  return in.ok();
}

void encode_set(MessageWriter& out, const VersionSet& set) {
  out.number(set.size());
  for (const Version& v : set) {
    out.number(v.gid).number(v.dot_actor).number(v.dot_counter);
    encode_clock(out, v.clock);
  }
}

bool decode_set(MessageReader& in, VersionSet& set) {
  set.clear();
  const std::uint64_t count = in.number();
  if (!in.ok() || count > 1000) {
    return false;
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    Version v;
    v.gid = in.number();
    v.dot_actor = static_cast<std::uint32_t>(in.number());
    v.dot_counter = in.number();
    if (!decode_clock(in, v.clock)) {
      return false;
    }
    set.push_back(std::move(v));
  }
  return in.ok();
}

}  // namespace hexwire::sim::cases::dynamo
