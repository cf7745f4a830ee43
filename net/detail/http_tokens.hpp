// Small HTTP text helpers shared by the request parser, the WebSocket handshake and the
// permessage-deflate negotiation: ASCII case folding, trimming optional whitespace (SP / HTAB,
// RFC 9110 "OWS") and walking comma-separated header lists.
#pragma once

#include <cstddef>
#include <string_view>

namespace hexwire::net::detail {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// ASCII case-insensitive equality (header names and tokens are ASCII).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

/// `text` without leading and trailing spaces and tabs.
constexpr std::string_view trim_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

/// Calls visit(token) for each trimmed, non-empty element of a comma-separated list; stops when
/// visit returns true and reports whether it did.
template <typename Visit>
bool find_in_list(std::string_view list, Visit&& visit) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view token = trim_ows(list.substr(0, comma));
    if (!token.empty() && visit(token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
  return false;
}

/// True when the comma-separated list contains `token` (ASCII case-insensitive).
inline bool list_has_token(std::string_view list, std::string_view token) noexcept {
  return find_in_list(list, [&](std::string_view item) { return iequals(item, token); });
}

}  // namespace hexwire::net::detail
