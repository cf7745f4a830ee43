// HS256 JWT verification and the access rules built on its claims.
#include <catch2/catch.hpp>

#include <limits>
#include <string>

#include "app/auth.hpp"
#include "app/jwt.hpp"

using namespace hexwire::app;

namespace {
constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "test-secret-0123456789";

std::string token_for(const std::string& claims) {
  return sign_hs256_jwt(claims, kSecret);
}
std::string claims_exp(std::int64_t exp, const std::string& extra = "") {
  return R"({"sub":"u1","exp":)" + std::to_string(exp) + extra + "}";
}
}  // namespace

TEST_CASE("base64url round trip and rejection of bad input") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    auto back = base64url_decode(base64url_encode(s));
    REQUIRE(back.has_value());
    CHECK(*back == s);
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64url_decode("a").has_value());
  CHECK_FALSE(base64url_decode("ab+c").has_value());
  CHECK_FALSE(base64url_decode("ab/c").has_value());
  CHECK(base64url_decode("Zm8=") == std::optional<std::string>("fo"));
}

TEST_CASE("a valid token yields its claims") {
  JwtVerifier verifier(kSecret, 30);
  auto result = verifier.verify(
      token_for(R"({"sub":"d7","exp":1800000100,"role":"driver","channels":["cell:*","chat"]})"),
      kNow);
  REQUIRE(result.status == JwtStatus::kOk);
  CHECK(result.claims.subject == "d7");
  CHECK(result.claims.role == "driver");
  CHECK(result.claims.has_channels);
  CHECK(result.claims.channels == std::vector<std::string>{"cell:*", "chat"});
  CHECK(result.claims.expires_at_s == 1'800'000'100);
}

TEST_CASE("expiry is checked with the clock-skew allowance") {
  JwtVerifier verifier(kSecret, 30);
  CHECK(verifier.verify(token_for(claims_exp(kNow + 1)), kNow).status == JwtStatus::kOk);
  CHECK(verifier.verify(token_for(claims_exp(kNow - 29)), kNow).status == JwtStatus::kOk);
  CHECK(verifier.verify(token_for(claims_exp(kNow - 30)), kNow).status == JwtStatus::kExpired);
  JwtVerifier strict(kSecret, 0);
  CHECK(strict.verify(token_for(claims_exp(kNow)), kNow).status == JwtStatus::kExpired);
  CHECK(strict.verify(token_for(claims_exp(kNow - 29)), kNow).status == JwtStatus::kExpired);
  CHECK(verifier.verify(token_for(claims_exp(kNow + 100, ",\"nbf\":1800000031")), kNow).status ==
        JwtStatus::kNotYetValid);
  CHECK(verifier.verify(token_for(claims_exp(kNow + 100, ",\"nbf\":1800000029")), kNow).status ==
        JwtStatus::kOk);
}

TEST_CASE("extreme exp and nbf values are clamped, never overflow") {
  JwtVerifier verifier(kSecret, 3600);
  // Far future (a double far beyond int64, and int64's own limit): valid, exp clamped.
  for (const char* exp : {"1e300", "9223372036854775807", "18446744073709551616", "1e19"}) {
    INFO(exp);
    auto result = verifier.verify(token_for(std::string(R"({"sub":"u1","exp":)") + exp + "}"), kNow);
    REQUIRE(result.status == JwtStatus::kOk);
    CHECK(result.claims.expires_at_s == kMaxClaimSeconds);
  }
  // Far past: expired, whatever the skew.
  for (const char* exp : {"-1e300", "-9223372036854775808", "-1e19", "0", "-1"}) {
    INFO(exp);
    CHECK(verifier.verify(token_for(std::string(R"({"sub":"u1","exp":)") + exp + "}"), kNow)
              .status == JwtStatus::kExpired);
  }
  CHECK(verifier.verify(token_for(claims_exp(kNow + 100, ",\"nbf\":1e300")), kNow).status ==
        JwtStatus::kNotYetValid);
  CHECK(verifier.verify(token_for(claims_exp(kNow + 100, ",\"nbf\":-1e300")), kNow).status ==
        JwtStatus::kOk);
  CHECK(verifier.verify(token_for(claims_exp(kNow + 100, ",\"nbf\":-9223372036854775808")), kNow)
            .status == JwtStatus::kOk);
  // Fractions floor; a number JSON cannot represent as a double is refused, not undefined.
  CHECK(verifier.verify(token_for(R"({"sub":"u1","exp":1e400})"), kNow).status ==
        JwtStatus::kMissingExpiry);
  auto fraction = verifier.verify(token_for(R"({"sub":"u1","exp":1800000000.9})"), kNow);
  CHECK(fraction.claims.expires_at_s == 1'800'000'000);
  // A huge skew is clamped as well.
  JwtVerifier lenient(JwtOptions{kSecret, std::numeric_limits<std::int64_t>::max(), {}, {}});
  CHECK(lenient.verify(token_for(claims_exp(kNow - 1000)), kNow).status == JwtStatus::kOk);
  CHECK(lenient.verify(token_for(claims_exp(kNow, ",\"nbf\":1e300")), kNow).status ==
        JwtStatus::kOk);
}

TEST_CASE("audience and issuer, when configured, must match") {
  const JwtOptions plain{kSecret, 30, {}, {}};
  const JwtOptions scoped{kSecret, 30, "hexwire", "https://auth.example.com"};
  const std::string both = token_for(
      claims_exp(kNow + 100, R"(,"aud":["other","hexwire"],"iss":"https://auth.example.com")"));
  const std::string one_aud =
      token_for(claims_exp(kNow + 100, R"(,"aud":"hexwire","iss":"https://auth.example.com")"));
  const std::string wrong_aud =
      token_for(claims_exp(kNow + 100, R"(,"aud":"billing","iss":"https://auth.example.com")"));
  const std::string wrong_iss =
      token_for(claims_exp(kNow + 100, R"(,"aud":"hexwire","iss":"https://evil.example.com")"));
  const std::string bare = token_for(claims_exp(kNow + 100));
  CHECK(JwtVerifier(scoped).verify(both, kNow).status == JwtStatus::kOk);
  CHECK(JwtVerifier(scoped).verify(one_aud, kNow).status == JwtStatus::kOk);
  CHECK(JwtVerifier(scoped).verify(wrong_aud, kNow).status == JwtStatus::kBadAudience);
  CHECK(JwtVerifier(scoped).verify(wrong_iss, kNow).status == JwtStatus::kBadIssuer);
  CHECK(JwtVerifier(scoped).verify(bare, kNow).status == JwtStatus::kBadIssuer);
  // RFC 7519 4.1.3: a token addressed to an audience is refused by a service that names none.
  CHECK(JwtVerifier(plain).verify(one_aud, kNow).status == JwtStatus::kBadAudience);
  CHECK(JwtVerifier(plain).verify(bare, kNow).status == JwtStatus::kOk);
  CHECK(JwtVerifier(plain).verify(token_for(claims_exp(kNow + 100, R"(,"iss":"x")")), kNow).status ==
        JwtStatus::kOk);
  CHECK(JwtVerifier(scoped).verify(token_for(claims_exp(kNow + 100, R"(,"aud":7)")), kNow).status ==
        JwtStatus::kMalformed);
  CHECK(JwtVerifier(scoped).verify(token_for(claims_exp(kNow + 100, R"(,"aud":[7])")), kNow).status ==
        JwtStatus::kMalformed);
}

TEST_CASE("the authenticator checks the configured audience and issuer, from the URL and the op") {
  // --jwt-audience / --jwt-issuer reach the verifier the /ws connections use.
  AuthConfig config{kSecret, 30, false, "hexwire", "https://auth.example.com"};
  const Authenticator scoped(config);
  const std::string good =
      token_for(claims_exp(kNow + 100, R"(,"aud":"hexwire","iss":"https://auth.example.com")"));
  const std::string other_aud =
      token_for(claims_exp(kNow + 100, R"(,"aud":"billing","iss":"https://auth.example.com")"));
  const std::string other_iss =
      token_for(claims_exp(kNow + 100, R"(,"aud":"hexwire","iss":"https://evil.example.com")"));
  CHECK(scoped.with_token(good, kNow).ok);
  CHECK(scoped.with_op(AuthOp{good, {}, {}}, kNow).ok);
  for (const std::string& bad : {other_aud, other_iss, token_for(claims_exp(kNow + 100))}) {
    const AuthOutcome url = scoped.with_token(bad, kNow);
    CHECK_FALSE(url.ok);
    CHECK(url.code == ErrorCode::kUnauthorized);
    CHECK_FALSE(scoped.with_op(AuthOp{bad, {}, {}}, kNow).ok);
  }
  CHECK(scoped.with_token(other_aud, kNow).reason == to_string(JwtStatus::kBadAudience));
  CHECK(scoped.with_token(other_iss, kNow).reason == to_string(JwtStatus::kBadIssuer));
  // A huge configured skew is clamped like the claims: no overflow at any exp.
  const Authenticator lenient(
      AuthConfig{kSecret, std::numeric_limits<std::int64_t>::max(), false, {}, {}});
  CHECK(lenient.clock_skew_s() == kMaxClaimSeconds);
  CHECK(lenient.with_token(token_for(R"({"sub":"u1","exp":1e300})"), kNow).ok);
}

TEST_CASE("bad signatures, other algorithms and malformed tokens are refused") {
  JwtVerifier verifier(kSecret, 30);
  const std::string good = token_for(claims_exp(kNow + 100));
  CHECK(JwtVerifier("other-secret").verify(good, kNow).status == JwtStatus::kBadSignature);
  std::string flipped = good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK(verifier.verify(flipped, kNow).status != JwtStatus::kOk);
  // Same payload, tampered user: signature no longer matches.
  const auto dot1 = good.find('.');
  const auto dot2 = good.find('.', dot1 + 1);
  const std::string forged = good.substr(0, dot1 + 1) +
                             base64url_encode(R"({"sub":"admin","exp":1900000000})") +
                             good.substr(dot2);
  CHECK(verifier.verify(forged, kNow).status == JwtStatus::kBadSignature);

  CHECK(verifier.verify(sign_hs256_jwt(claims_exp(kNow + 100), kSecret, R"({"alg":"none"})"), kNow)
            .status == JwtStatus::kUnsupportedAlg);
  CHECK(verifier.verify(sign_hs256_jwt(claims_exp(kNow + 100), kSecret, R"({"alg":"HS512"})"), kNow)
            .status == JwtStatus::kUnsupportedAlg);
  const std::string unsigned_token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims_exp(kNow + 100)) + ".";
  CHECK(verifier.verify(unsigned_token, kNow).status == JwtStatus::kUnsupportedAlg);

  for (const std::string& bad :
       {std::string(""), std::string("abc"), std::string("a.b"), std::string("a.b.c.d"),
        std::string("!!.??.**"), good + "." + "x"}) {
    INFO(bad);
    CHECK(verifier.verify(bad, kNow).status == JwtStatus::kMalformed);
  }
  CHECK(verifier.verify(token_for("not json"), kNow).status == JwtStatus::kMalformed);
  CHECK(verifier.verify(token_for(R"({"exp":1900000000})"), kNow).status ==
        JwtStatus::kMissingSubject);
  CHECK(verifier.verify(token_for(R"({"sub":"bad user","exp":1900000000})"), kNow).status ==
        JwtStatus::kMissingSubject);
  CHECK(verifier.verify(token_for(R"({"sub":"u1"})"), kNow).status == JwtStatus::kMissingExpiry);
  CHECK(verifier.verify(token_for(R"({"sub":"u1","exp":"soon"})"), kNow).status ==
        JwtStatus::kMissingExpiry);
  CHECK(JwtVerifier().verify(good, kNow).status == JwtStatus::kNoSecret);
}

TEST_CASE("channel patterns with a * suffix wildcard") {
  CHECK(pattern_matches("chat", "chat"));
  CHECK_FALSE(pattern_matches("chat", "chat2"));
  CHECK(pattern_matches("cell:*", "cell:872830828ffffff"));
  CHECK(pattern_matches("cell:*", "cell:"));
  CHECK_FALSE(pattern_matches("cell:*", "surge:1"));
  CHECK(pattern_matches("*", "anything"));
}

TEST_CASE("access rules: user channels, patterns, engine-only prefixes") {
  Authenticator auth(AuthConfig{kSecret, 30, false});
  auto outcome = auth.with_token(
      token_for(R"({"sub":"u1","exp":1900000000,"channels":["team.*","general"]})"), kNow);
  REQUIRE(outcome.ok);
  const Identity& id = outcome.identity;
  CHECK(read_access(id, "user:u1") == Access::kAllowed);  // own channel whatever the patterns
  CHECK(read_access(id, "user:u2") == Access::kForbidden);
  CHECK(read_access(id, "user:u10") == Access::kForbidden);
  CHECK(read_access(id, "general") == Access::kAllowed);
  CHECK(read_access(id, "team.red") == Access::kAllowed);
  CHECK(read_access(id, "random") == Access::kForbidden);
  CHECK(publish_access(id, "team.red") == Access::kAllowed);
  CHECK(publish_access(id, "random") == Access::kForbidden);
  CHECK(publish_access(id, "user:u1") == Access::kForbidden);

  Identity open{"u2", "", {}, false};
  CHECK(read_access(open, "anything") == Access::kAllowed);
  CHECK(read_access(open, "cell:872830828ffffff") == Access::kAllowed);
  CHECK(publish_access(open, "cell:872830828ffffff") == Access::kForbidden);
  CHECK(publish_access(open, "surge:872830828ffffff") == Access::kForbidden);
  CHECK(publish_access(open, "sim:city") == Access::kAllowed);
  Identity admin{"ops", "admin", {}, false};
  CHECK(publish_access(admin, "user:u1") == Access::kAllowed);
  CHECK(read_access(admin, "user:u1") == Access::kForbidden);

  Identity empty_list{"u3", "", {}, true};
  CHECK(read_access(empty_list, "general") == Access::kForbidden);
  CHECK(read_access(empty_list, "user:u3") == Access::kAllowed);
}

TEST_CASE("auth op: token, anonymous user only when enabled") {
  Authenticator closed(AuthConfig{kSecret, 30, false});
  auto outcome = closed.with_op(AuthOp{{}, "u1", {}}, kNow);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.code == ErrorCode::kUnauthorized);
  const std::string token = token_for(claims_exp(kNow + 100));
  outcome = closed.with_op(AuthOp{token, {}, {}}, kNow);
  CHECK(outcome.ok);
  CHECK(outcome.identity.user == "u1");

  Authenticator anonymous(AuthConfig{"", 30, true});
  outcome = anonymous.with_op(AuthOp{{}, "u9", {}}, kNow);
  CHECK(outcome.ok);
  CHECK(outcome.identity.user == "u9");
  CHECK_FALSE(outcome.identity.restricted);
  outcome = anonymous.with_op(AuthOp{{}, "d1", "driver"}, kNow);
  CHECK(outcome.ok);
  CHECK(outcome.identity.role == "driver");
  outcome = anonymous.with_op(AuthOp{{}, "d1", "admin"}, kNow);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.code == ErrorCode::kBadRequest);
  outcome = anonymous.with_op(AuthOp{{}, "bad user", {}}, kNow);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.code == ErrorCode::kBadRequest);
  outcome = anonymous.with_op(AuthOp{token, {}, {}}, kNow);  // no secret configured
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.reason == to_string(JwtStatus::kNoSecret));
}
