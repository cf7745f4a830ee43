// permessage-deflate (RFC 7692): negotiation of the extension parameters and per-message
// compression with zlib raw deflate (the 00 00 ff ff tail of each sync flush is stripped on send
// and appended on receive). Off unless the server enables it and the client offers it; a
// connection that uses it holds one deflate and one inflate stream (~300 KiB with 15-bit windows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::net {

/// Negotiated parameters (names as in RFC 7692 section 7.1).
struct DeflateParams {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::uint8_t server_max_window_bits = 15;
  std::uint8_t client_max_window_bits = 15;
};

/// What the server is willing to do.
struct DeflateConfig {
  bool enabled = false;                     // off by default
  bool server_no_context_takeover = false;  // force a fresh window per message (less memory kept)
  std::uint8_t server_max_window_bits = 15;
  int compression_level = 6;           // zlib level 1..9
  std::size_t min_compress_size = 64;  // smaller messages are sent uncompressed
};

/// Server side: picks the first acceptable permessage-deflate offer in a Sec-WebSocket-Extensions
/// header value. Offers with unknown or duplicate parameters, bad window sizes, or
/// server_max_window_bits=8 (which zlib cannot produce) are declined. nullopt: no deflate.
[[nodiscard]] std::optional<DeflateParams> negotiate_deflate(std::string_view extensions,
                                                             const DeflateConfig& config);

/// Server side: the Sec-WebSocket-Extensions value answering an accepted offer.
[[nodiscard]] std::string format_deflate_response(const DeflateParams& params);

/// Client side: the offer a client sends ("permessage-deflate; client_max_window_bits").
[[nodiscard]] std::string format_deflate_offer();

/// Client side: parses the server's answer; nullopt when it is not a valid answer to our offer.
[[nodiscard]] std::optional<DeflateParams> parse_deflate_response(std::string_view extensions);

/// Compresses whole messages for one direction of one connection.
class WsDeflater {
 public:
  /// Throws std::runtime_error when zlib cannot allocate its state.
  WsDeflater(int window_bits, bool no_context_takeover, int level = 6);
  ~WsDeflater();
  WsDeflater(const WsDeflater&) = delete;
  WsDeflater& operator=(const WsDeflater&) = delete;

  /// Appends the compressed payload of `message` (tail stripped) to `out`. False on zlib error.
  bool compress(std::span<const std::byte> message, std::vector<std::byte>& out);

 private:
  struct Stream;
  Stream* stream_;
  bool no_context_takeover_;
};

enum class InflateStatus : std::uint8_t { kOk, kTooBig, kCorrupt };

/// Decompresses whole messages for one direction of one connection.
class WsInflater {
 public:
  WsInflater(int window_bits, bool no_context_takeover);
  ~WsInflater();
  WsInflater(const WsInflater&) = delete;
  WsInflater& operator=(const WsInflater&) = delete;

  /// Appends the inflated message to `out`. kTooBig (close 1009) as soon as more than `max_size`
  /// bytes would come out; kCorrupt (close 1007 per RFC 7692 practice: invalid payload) on bad
  /// data. After an error the stream must not be used again.
  InflateStatus decompress(std::span<const std::byte> payload, std::size_t max_size,
                           std::vector<std::byte>& out);

 private:
  struct Stream;
  Stream* stream_;
  bool no_context_takeover_;
};

}  // namespace hexwire::net
