// Test support for code that uses redis::RedisClient on a ReactorLoop: record a reply, run one
// command to completion, retry until the server is back, and record pub/sub events as strings
// ("+ch" subscribed, "-ch" interrupted, "ch=payload" message).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "reactor_loop.hpp"
#include "redis/client.hpp"

namespace hexwire::testing {

struct ReplyRecord {
  bool done = false;
  redis::RedisStatus status = redis::RedisStatus::kOk;
  std::string text;
  long long integer = 0;
  bool error = false;
};

inline redis::ReplyCallback record(ReplyRecord& out) {
  return [&out](redis::RedisStatus status, redis::ReplyView reply) {
    out.done = true;
    out.status = status;
    out.text = std::string(reply.str());
    out.integer = reply.integer();
    out.error = reply.is_error();
  };
}

/// Runs one command (routed by its first argument after the name) and waits for its outcome.
inline ReplyRecord run_command(ReactorLoop& loop, redis::RedisClient& client,
                               const std::vector<std::string>& args) {
  std::vector<std::string_view> views(args.begin(), args.end());
  ReplyRecord out;
  client.command(views.size() > 1 ? views[1] : "", views, record(out));
  loop.run_until([&] { return out.done; });
  return out;
}

/// Sends the command again until one attempt gets an answer (the client reconnects by itself).
inline ReplyRecord until_ok(ReactorLoop& loop, redis::RedisClient& client,
                            const std::vector<std::string>& args) {
  ReplyRecord out;
  loop.run_until([&] {
    out = run_command(loop, client, args);
    return out.done && out.status == redis::RedisStatus::kOk;
  });
  return out;
}

struct SubscriptionRecorder final : redis::SubscriptionHandler {
  std::vector<std::string> events;
  void on_subscribed(std::string_view channel) override {
    events.push_back("+" + std::string(channel));
  }
  void on_interrupted(std::string_view channel) override {
    events.push_back("-" + std::string(channel));
  }
  void on_message(std::string_view channel, std::string_view payload) override {
    events.push_back(std::string(channel) + "=" + std::string(payload));
  }
  [[nodiscard]] bool saw(const std::string& event) const {
    return std::find(events.begin(), events.end(), event) != events.end();
  }
};

}  // namespace hexwire::testing
