// libFuzzer target for the JWT verifier and its base64url codec (tokens come straight from the
// network: the upgrade URL or the auth/refresh op). The first input byte picks what to exercise:
// a raw token (anything must be refused or accepted without a crash or undefined behaviour), or a
// payload signed with the verifier's secret (so claim parsing past the signature is reached: any
// accepted token must have a valid subject and an expiry inside the clamped range, in the
// future). Base64url must round-trip and decode only canonical text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "app/channel_name.hpp"
#include "app/jwt.hpp"

namespace {

using namespace hexwire::app;

constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef0123456789";
constexpr std::int64_t kNow = 1'800'000'000;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

void check_base64url(std::string_view bytes) {
  const std::string encoded = base64url_encode(bytes);
  const auto back = base64url_decode(encoded);
  check(back.has_value() && *back == bytes);
  // Decoding arbitrary text: when it succeeds, the text was the canonical encoding (padding aside).
  if (const auto decoded = base64url_decode(bytes)) {
    std::string_view unpadded = bytes;
    while (!unpadded.empty() && unpadded.back() == '=') {
      unpadded.remove_suffix(1);
    }
    check(base64url_encode(*decoded) == unpadded);
  }
}

void check_accepted(const JwtResult& result) {
  if (result.status != JwtStatus::kOk) {
    return;
  }
  check(is_valid_user_id(result.claims.subject));
  check(result.claims.expires_at_s <= kMaxClaimSeconds);
  check(result.claims.expires_at_s + 3600 > kNow);  // the largest skew used below
  if (result.claims.not_before_s) {
    check(*result.claims.not_before_s >= -kMaxClaimSeconds);
    check(*result.claims.not_before_s <= kMaxClaimSeconds);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static const JwtVerifier plain(JwtOptions{std::string(kSecret), 30, {}, {}});
  static const JwtVerifier scoped(JwtOptions{std::string(kSecret), 3600, "hexwire", "issuer"});
  if (size == 0) {
    return 0;
  }
  const std::string_view rest(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  check_base64url(rest);
  switch (bytes[0] % 3) {
    case 0:  // a token as a client sends it
      check_accepted(plain.verify(rest, kNow));
      check_accepted(scoped.verify(rest, kNow));
      break;
    case 1: {  // a payload signed with the right secret: claims are parsed
      const std::string token = sign_hs256_jwt(rest, kSecret);
      check_accepted(plain.verify(token, kNow));
      check_accepted(scoped.verify(token, kNow));
      break;
    }
    default: {  // a header signed with the right secret around a fixed valid payload
      const std::string token =
          sign_hs256_jwt(R"({"sub":"u1","exp":1900000000})", kSecret, rest);
      const JwtResult result = plain.verify(token, kNow);
      check_accepted(result);
      if (result.status == JwtStatus::kOk) {
        check(rest.find("HS256") != std::string_view::npos);  // alg must say HS256
      }
      break;
    }
  }
  return 0;
}
