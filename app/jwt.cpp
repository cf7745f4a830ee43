// JWT HS256 verification: base64url codec, HMAC-SHA256 via OpenSSL, constant-time comparison, and
// claim extraction with simdjson On-Demand. Runs once per connection, so clarity wins over speed.
#include "app/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "app/channel_name.hpp"

namespace hexwire::app {

namespace od = simdjson::ondemand;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int, 256> make_decode_table() noexcept {
  std::array<int, 256> table{};
  for (int& v : table)
    v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr std::array<int, 256> kDecode = make_decode_table();

std::array<unsigned char, 32> hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  return mac;
}

bool header_is_hs256(std::string_view header_json) {
  simdjson::padded_string padded(header_json);
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc)) {
    return false;
  }
  std::string_view alg;
  if (doc["alg"].get_string().get(alg)) {
    return false;
  }
  return alg == "HS256";
}

/// A NumericDate (`exp`, `nbf`): any finite JSON number, clamped to +-kMaxClaimSeconds and floored.
bool read_seconds(od::value& value, std::int64_t& out) {
  double seconds = 0;
  if (value.get_double().get(seconds) || !std::isfinite(seconds)) {
    return false;
  }
  const auto limit = static_cast<double>(kMaxClaimSeconds);
  out = static_cast<std::int64_t>(std::floor(std::clamp(seconds, -limit, limit)));
  return true;
}

bool read_strings(od::value& value, std::vector<std::string>& out) {
  od::array array;
  if (value.get_array().get(array)) {
    return false;
  }
  for (auto element : array) {
    std::string_view text;
    if (element.get_string().get(text)) {
      return false;
    }
    out.emplace_back(text);
  }
  return true;
}

/// `aud`: one string or a list of strings.
bool read_audiences(od::value& value, std::vector<std::string>& out) {
  od::json_type type;
  if (value.type().get(type)) {
    return false;
  }
  if (type != od::json_type::string) {
    return read_strings(value, out);
  }
  std::string_view one;
  if (value.get_string().get(one)) {
    return false;
  }
  out.emplace_back(one);
  return true;
}

bool read_string(od::value& value, std::string& out) {
  std::string_view text;
  if (value.get_string().get(text)) {
    return false;
  }
  out = text;
  return true;
}

/// One claim into `claims`; kOk or the status that refuses the token.
JwtStatus read_claim(std::string_view key, od::value& value, JwtClaims& claims, bool& has_exp) {
  if (key == "sub") {
    return read_string(value, claims.subject) ? JwtStatus::kOk : JwtStatus::kMissingSubject;
  }
  if (key == "exp") {
    has_exp = read_seconds(value, claims.expires_at_s);
    return has_exp ? JwtStatus::kOk : JwtStatus::kMissingExpiry;
  }
  if (key == "nbf") {
    std::int64_t seconds = 0;
    if (!read_seconds(value, seconds)) {
      return JwtStatus::kMalformed;
    }
    claims.not_before_s = seconds;
    return JwtStatus::kOk;
  }
  bool ok = true;
  if (key == "role") {
    ok = read_string(value, claims.role);
  } else if (key == "iss") {
    ok = read_string(value, claims.issuer);
  } else if (key == "aud") {
    ok = read_audiences(value, claims.audiences);
  } else if (key == "channels") {
    claims.has_channels = true;
    ok = read_strings(value, claims.channels);
  }
  return ok ? JwtStatus::kOk : JwtStatus::kMalformed;
}

JwtStatus read_claims(std::string_view payload_json, JwtClaims& claims) {
  simdjson::padded_string padded(payload_json);
  od::parser parser;
  od::document doc;
  od::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) {
    return JwtStatus::kMalformed;
  }
  bool has_exp = false;
  for (auto field : object) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) {
      return JwtStatus::kMalformed;
    }
    const JwtStatus status = read_claim(key, value, claims, has_exp);
    if (status != JwtStatus::kOk) {
      return status;
    }
  }
  if (!is_valid_user_id(claims.subject)) {
    return JwtStatus::kMissingSubject;
  }
  if (!has_exp) {
    return JwtStatus::kMissingExpiry;
  }
  return JwtStatus::kOk;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) {
      v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) {
      out += kAlphabet[(v >> 6) & 63];
    }
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int have = 0;
  for (char c : text) {
    const int v = kDecode[static_cast<unsigned char>(c)];
    if (v < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out += static_cast<char>((bits >> have) & 0xFF);
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if ((bits & ((1u << have) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

std::string sign_hs256_jwt(std::string_view payload_json, std::string_view secret,
                           std::string_view header_json) {
  std::string token = base64url_encode(header_json);
  token += '.';
  token += base64url_encode(payload_json);
  const auto mac = hmac_sha256(secret, token);
  token += '.';
  token +=
      base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return token;
}

JwtVerifier::JwtVerifier(std::string secret, std::int64_t clock_skew_s)
    : JwtVerifier(JwtOptions{std::move(secret), clock_skew_s, {}, {}}) {}

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {
  // Keeps exp + skew and nbf - skew inside int64 whatever the caller passed.
  options_.clock_skew_s = std::clamp<std::int64_t>(options_.clock_skew_s, 0, kMaxClaimSeconds);
}

JwtStatus JwtVerifier::check_claims(const JwtClaims& claims, std::int64_t now_s) const noexcept {
  const std::int64_t skew = options_.clock_skew_s;
  if (claims.expires_at_s + skew <= now_s) {
    return JwtStatus::kExpired;
  }
  if (claims.not_before_s && *claims.not_before_s - skew > now_s) {
    return JwtStatus::kNotYetValid;
  }
  if (!options_.issuer.empty() && claims.issuer != options_.issuer) {
    return JwtStatus::kBadIssuer;
  }
  const bool audience_named = std::find(claims.audiences.begin(), claims.audiences.end(),
                                        options_.audience) != claims.audiences.end();
  if (options_.audience.empty() ? !claims.audiences.empty() : !audience_named) {
    return JwtStatus::kBadAudience;
  }
  return JwtStatus::kOk;
}

JwtResult JwtVerifier::verify(std::string_view token, std::int64_t now_s) const {
  JwtResult result;
  if (options_.secret.empty()) {
    result.status = JwtStatus::kNoSecret;
    return result;
  }
  if (token.size() > kMaxTokenBytes) {
    return result;
  }
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return result;
  }
  const auto header = base64url_decode(token.substr(0, dot1));
  const auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) {
    return result;
  }
  if (!header_is_hs256(*header)) {
    result.status = JwtStatus::kUnsupportedAlg;
    return result;
  }
  const auto expected = hmac_sha256(options_.secret, token.substr(0, dot2));
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    result.status = JwtStatus::kBadSignature;
    return result;
  }
  result.status = read_claims(*payload, result.claims);
  if (result.status == JwtStatus::kOk) {
    result.status = check_claims(result.claims, now_s);
  }
  return result;
}

std::string_view to_string(JwtStatus status) noexcept {
  switch (status) {
    case JwtStatus::kOk:
      return "ok";
    case JwtStatus::kMalformed:
      return "malformed token";
    case JwtStatus::kUnsupportedAlg:
      return "token algorithm must be HS256";
    case JwtStatus::kBadSignature:
      return "bad token signature";
    case JwtStatus::kExpired:
      return "token expired";
    case JwtStatus::kNotYetValid:
      return "token not valid yet";
    case JwtStatus::kMissingSubject:
      return "token has no valid sub";
    case JwtStatus::kMissingExpiry:
      return "token has no exp";
    case JwtStatus::kNoSecret:
      return "token authentication is not configured (--jwt-secret)";
    case JwtStatus::kBadAudience:
      return "token audience (aud) is not this service's";
    case JwtStatus::kBadIssuer:
      return "token issuer (iss) is not the configured one";
  }
  return "bad token";
}

}  // namespace hexwire::app
