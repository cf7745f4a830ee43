// Channel naming rules and reserved prefixes (PROTOCOL.md "General").
#include <catch2/catch.hpp>

#include <string>

#include "app/channel_name.hpp"

using namespace hexwire::app;

TEST_CASE("valid channel names are 1-128 bytes of the allowed set") {
  CHECK(is_valid_channel_name("general"));
  CHECK(is_valid_channel_name("A-Z_a.z:0@9"));
  CHECK(is_valid_channel_name(std::string(128, 'x')));
  CHECK_FALSE(is_valid_channel_name(""));
  CHECK_FALSE(is_valid_channel_name(std::string(129, 'x')));
  for (const char* bad : {"a b", "a/b", "a#b", "a*b", "é", "a\nb", "a\"b", "a,b"}) {
    INFO(bad);
    CHECK_FALSE(is_valid_channel_name(bad));
  }
}

TEST_CASE("reserved prefixes are recognised") {
  CHECK(channel_kind("user:u1") == ChannelKind::kUser);
  CHECK(channel_kind("cell:872830828ffffff") == ChannelKind::kCell);
  CHECK(channel_kind("surge:872830828ffffff") == ChannelKind::kSurge);
  CHECK(channel_kind("sim:city") == ChannelKind::kSim);
  CHECK(channel_kind("users") == ChannelKind::kPlain);
  CHECK(channel_kind("general") == ChannelKind::kPlain);
  CHECK(user_of_channel("user:u1") == std::optional<std::string_view>("u1"));
  CHECK_FALSE(user_of_channel("general").has_value());
}

TEST_CASE("user ids must fit in a user: channel") {
  CHECK(is_valid_user_id("u1"));
  CHECK(is_valid_user_id(std::string(123, 'u')));
  CHECK_FALSE(is_valid_user_id(std::string(124, 'u')));
  CHECK_FALSE(is_valid_user_id(""));
  CHECK_FALSE(is_valid_user_id("u 1"));
}
