// WebSocket payload masking (RFC 6455 section 5.3): XOR with a 4-byte key, done in place 16 bytes
// per step (unaligned loads through SSE2 or memcpy, never byte loops except for the last < 8
// bytes), and the masking-key generator for the client role (wyrand seeded from getrandom).
#pragma once

#include <sys/random.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hexwire::net {

using MaskKey = std::array<std::uint8_t, 4>;

/// XORs data[0..size) with `key`, where data[0] is payload byte number `offset` of its frame (so a
/// frame split across buffers is unmasked piece by piece). Works at any alignment.
inline void apply_mask(std::byte* data, std::size_t size, const MaskKey& key,
                       std::size_t offset) noexcept {
  // Rotate the key as one word (byte stores followed by a word load would stall store
  // forwarding); little-endian: rotating right by 8 bits moves key[1] into byte 0.
  std::uint32_t key32;
  std::memcpy(&key32, key.data(), 4);
  key32 = std::rotr(key32, static_cast<int>(8 * (offset & 3)));
  const std::uint64_t key64 = (static_cast<std::uint64_t>(key32) << 32) | key32;
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i key128 = _mm_set1_epi32(static_cast<int>(key32));
  for (; i + 32 <= size; i += 32) {
    auto* p = reinterpret_cast<__m128i*>(data + i);
    const __m128i a = _mm_loadu_si128(p);
    const __m128i b = _mm_loadu_si128(p + 1);
    _mm_storeu_si128(p, _mm_xor_si128(a, key128));
    _mm_storeu_si128(p + 1, _mm_xor_si128(b, key128));
  }
#endif
  for (; i + 16 <= size; i += 16) {
    std::uint64_t a;
    std::uint64_t b;
    std::memcpy(&a, data + i, 8);
    std::memcpy(&b, data + i + 8, 8);
    a ^= key64;
    b ^= key64;
    std::memcpy(data + i, &a, 8);
    std::memcpy(data + i + 8, &b, 8);
  }
  if (i + 8 <= size) {
    std::uint64_t a;
    std::memcpy(&a, data + i, 8);
    a ^= key64;
    std::memcpy(data + i, &a, 8);
    i += 8;
  }
  for (; i < size; ++i) {
    data[i] ^= static_cast<std::byte>(key32 >> (8 * (i & 3)));
  }
}

/// Byte-at-a-time reference (tests and benchmark baseline).
inline void apply_mask_bytewise(std::byte* data, std::size_t size, const MaskKey& key,
                                std::size_t offset) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    data[i] ^= static_cast<std::byte>(key[(i + offset) & 3]);
  }
}

/// Fast non-cryptographic generator for client masking keys (wyrand). RFC 6455 asks for keys a
/// hostile script cannot predict; a 64-bit seed from getrandom() and a strong mixer suffice for
/// that purpose (the key protects proxies, not secrets). One instance per connection or shard.
class MaskKeyGenerator {
 public:
  MaskKeyGenerator() noexcept {
    std::uint64_t seed = 0;
    if (::getrandom(&seed, sizeof(seed), 0) != static_cast<ssize_t>(sizeof(seed))) {
      seed = static_cast<std::uint64_t>(std::time(nullptr)) ^
             reinterpret_cast<std::uintptr_t>(this);  // getrandom cannot fail on Linux >= 3.17
    }
    state_ = seed;
  }
  explicit MaskKeyGenerator(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next64() noexcept {
    state_ += 0xa0761d6478bd642fULL;
    const __uint128_t product = static_cast<__uint128_t>(state_) * (state_ ^ 0xe7037ed1a0b428dbULL);
    return static_cast<std::uint64_t>(product >> 64) ^ static_cast<std::uint64_t>(product);
  }
  MaskKey next_key() noexcept {
    const auto value = static_cast<std::uint32_t>(next64());
    MaskKey key;
    std::memcpy(key.data(), &value, 4);
    return key;
  }

 private:
  std::uint64_t state_ = 0;
};

}  // namespace hexwire::net
