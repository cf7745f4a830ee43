// HS256 JSON Web Token verification (RFC 7519 / RFC 7515 compact form) with OpenSSL HMAC: the
// header must say alg HS256, the signature is compared in constant time (CRYPTO_memcmp), `exp` is
// required and checked with a clock-skew allowance, `nbf` honoured when present, `aud` and `iss`
// checked when configured (a token naming an audience is refused unless one is configured, as RFC
// 7519 4.1.3 asks). Claims used by hexwire: `sub` (user id), optional `role`, optional `channels`
// (allowed patterns, `*` suffix). Any JSON number is accepted for `exp`/`nbf`: values beyond
// +-kMaxClaimSeconds are clamped, so no value can overflow the time arithmetic.
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
  kBadAudience,     // `aud` does not name the configured audience (or names one, none configured)
  kBadIssuer,       // `iss` is not the configured issuer
};
[[nodiscard]] std::string_view to_string(JwtStatus status) noexcept;

struct JwtClaims {
  std::string subject;                       // `sub`
  std::string role;                          // `role`, empty when absent
  std::vector<std::string> channels;         // `channels` patterns
  bool has_channels = false;                 // the token restricts channels (even to an empty list)
  std::int64_t expires_at_s = 0;             // `exp`, clamped to +-kMaxClaimSeconds
  std::optional<std::int64_t> not_before_s;  // `nbf`, clamped to +-kMaxClaimSeconds
  std::string issuer;                        // `iss`, empty when absent
  std::vector<std::string> audiences;        // `aud` (a string or a list of strings)
};

/// `exp`/`nbf` beyond this many seconds from the epoch (about 31,700 years) are clamped to it, so
/// that adding a clock skew or subtracting the current time cannot overflow.
inline constexpr std::int64_t kMaxClaimSeconds = 1'000'000'000'000;

/// What a verifier checks besides the signature.
struct JwtOptions {
  std::string secret;  // empty: every token is refused with kNoSecret
  std::int64_t clock_skew_s = 30;
  std::string audience;  // non-empty: `aud` must name it
  std::string issuer;    // non-empty: `iss` must equal it
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
  explicit JwtVerifier(JwtOptions options);

  /// Checks `token` at wall-clock time `now_s` (seconds since the Unix epoch). Not a hot path
  /// (once per connection); allocates.
  [[nodiscard]] JwtResult verify(std::string_view token, std::int64_t now_s) const;

  [[nodiscard]] bool has_secret() const noexcept { return !options_.secret.empty(); }
  [[nodiscard]] std::int64_t clock_skew_s() const noexcept { return options_.clock_skew_s; }

 private:
  [[nodiscard]] JwtStatus check_claims(const JwtClaims& claims, std::int64_t now_s) const noexcept;

  JwtOptions options_;
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
