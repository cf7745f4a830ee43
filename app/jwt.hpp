// HS256 JSON Web Token verification (RFC 7519 / RFC 7515 compact form) with OpenSSL HMAC: the
// header must say alg HS256, the signature is compared in constant time (CRYPTO_memcmp), `exp` is
// required and checked with a clock-skew allowance, `nbf` honoured when present. Claims used by
// hexwire: `sub` (user id), optional `role`, optional `channels` (allowed patterns, `*` suffix).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::app {

enum class JwtStatus : std::uint8_t {
  kOk,
  kMalformed,       // not three base64url parts, or header/payload not the expected JSON
  kUnsupportedAlg,  // header alg is not HS256 (including "none")
  kBadSignature,    // HMAC does not match
  kExpired,         // exp + skew <= now
  kNotYetValid,     // nbf - skew > now
  kMissingSubject,  // no string `sub`, or one that is not a valid user id
  kMissingExpiry,   // no numeric `exp`
  kNoSecret,        // the verifier has no secret configured
};
[[nodiscard]] std::string_view to_string(JwtStatus status) noexcept;

struct JwtClaims {
  std::string subject;                       // `sub`
  std::string role;                          // `role`, empty when absent
  std::vector<std::string> channels;         // `channels` patterns
  bool has_channels = false;                 // the token restricts channels (even to an empty list)
  std::int64_t expires_at_s = 0;             // `exp`
  std::optional<std::int64_t> not_before_s;  // `nbf`
};

struct JwtResult {
  JwtStatus status = JwtStatus::kMalformed;
  JwtClaims claims;  // filled when status is kOk
};

class JwtVerifier {
 public:
  static constexpr std::size_t kMaxTokenBytes = 8 * 1024;

  /// `clock_skew_s`: how far exp/nbf may be off from this host's clock. An empty secret rejects
  /// every token with kNoSecret.
  explicit JwtVerifier(std::string secret = {}, std::int64_t clock_skew_s = 30);

  /// Checks `token` at wall-clock time `now_s` (seconds since the Unix epoch). Not a hot path
  /// (once per connection); allocates.
  [[nodiscard]] JwtResult verify(std::string_view token, std::int64_t now_s) const;

  [[nodiscard]] bool has_secret() const noexcept { return !secret_.empty(); }

 private:
  std::string secret_;
  std::int64_t clock_skew_s_;
};

/// base64url without padding (RFC 4648 section 5); padding is accepted on decode.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

/// Builds a signed HS256 token for `payload_json` (tests, tools, load generators). With a
/// non-default `header_json` tests can build tokens with other algorithms.
[[nodiscard]] std::string sign_hs256_jwt(
    std::string_view payload_json, std::string_view secret,
    std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})");

}  // namespace hexwire::app
