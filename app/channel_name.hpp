// Channel names of protocol v1: 1-128 bytes of [A-Za-z0-9_.:@-], with reserved prefixes for a
// user's own events (user:<id>), live hexagon maps (cell:<h3>), surge prices (surge:<h3>) and
// simulator streams (sim:<name>) and the engine's own statistics (sys:<name>). Pure functions, constexpr where possible, used by the parser and
// by the access rules.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hexwire::app {

inline constexpr std::size_t kMaxChannelNameBytes = 128;

namespace detail {
constexpr std::array<bool, 256> make_channel_char_table() noexcept {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c)
    table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c)
    table[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c)
    table[static_cast<std::size_t>(c)] = true;
  for (char c : {'_', '.', ':', '@', '-'})
    table[static_cast<unsigned char>(c)] = true;
  return table;
}
inline constexpr std::array<bool, 256> kChannelChar = make_channel_char_table();
}  // namespace detail

/// True for 1-128 bytes of [A-Za-z0-9_.:@-].
[[nodiscard]] constexpr bool is_valid_channel_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxChannelNameBytes) {
    return false;
  }
  for (char c : name) {
    if (!detail::kChannelChar[static_cast<unsigned char>(c)]) {
      return false;
    }
  }
  return true;
}

/// Which reserved family a (valid) channel name belongs to.
enum class ChannelKind : std::uint8_t { kPlain, kUser, kCell, kSurge, kSim, kSystem };

inline constexpr std::string_view kUserPrefix = "user:";
inline constexpr std::string_view kCellPrefix = "cell:";
inline constexpr std::string_view kSurgePrefix = "surge:";
inline constexpr std::string_view kSimPrefix = "sim:";
inline constexpr std::string_view kSystemPrefix = "sys:";

[[nodiscard]] constexpr ChannelKind channel_kind(std::string_view name) noexcept {
  if (name.starts_with(kUserPrefix))
    return ChannelKind::kUser;
  if (name.starts_with(kCellPrefix))
    return ChannelKind::kCell;
  if (name.starts_with(kSurgePrefix))
    return ChannelKind::kSurge;
  if (name.starts_with(kSimPrefix))
    return ChannelKind::kSim;
  if (name.starts_with(kSystemPrefix))
    return ChannelKind::kSystem;
  return ChannelKind::kPlain;
}

/// The user id of a `user:<id>` channel; nullopt for any other channel.
[[nodiscard]] constexpr std::optional<std::string_view> user_of_channel(
    std::string_view name) noexcept {
  if (!name.starts_with(kUserPrefix)) {
    return std::nullopt;
  }
  return name.substr(kUserPrefix.size());
}

/// True when `user` can be named in a channel (`user:<id>` must itself be a valid channel name).
[[nodiscard]] constexpr bool is_valid_user_id(std::string_view user) noexcept {
  return !user.empty() && user.size() + kUserPrefix.size() <= kMaxChannelNameBytes &&
         is_valid_channel_name(user);
}

}  // namespace hexwire::app
