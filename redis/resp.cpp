// RESP command encoding, the cluster key slot, and the Reply/ReplyReader wrappers over hiredis's
// reply objects and reader.
#include "redis/resp.hpp"

#include <hiredis/hiredis.h>

#include <array>
#include <charconv>
#include <cstring>
#include <new>

namespace hexwire::redis {

namespace {

std::size_t decimal_digits(std::size_t value) noexcept {
  std::size_t digits = 1;
  while (value >= 10) {
    value /= 10;
    ++digits;
  }
  return digits;
}

char* put_header(char* out, char kind, std::size_t value) noexcept {
  *out++ = kind;
  out = std::to_chars(out, out + 20, value).ptr;
  *out++ = '\r';
  *out++ = '\n';
  return out;
}

// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection; the function Redis
// Cluster uses for key slots.
constexpr std::array<std::uint16_t, 256> make_crc16_table() noexcept {
  std::array<std::uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    std::uint16_t crc = static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<std::uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<std::uint16_t>(crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}
constexpr std::array<std::uint16_t, 256> kCrc16 = make_crc16_table();

std::uint16_t crc16(std::string_view bytes) noexcept {
  std::uint16_t crc = 0;
  for (char c : bytes) {
    crc = static_cast<std::uint16_t>((crc << 8) ^
                                     kCrc16[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xFF]);
  }
  return crc;
}

}  // namespace

core::SharedBuffer encode_command(std::span<const std::string_view> args) {
  std::size_t size = 1 + decimal_digits(args.size()) + 2;
  for (std::string_view arg : args) {
    size += 1 + decimal_digits(arg.size()) + 2 + arg.size() + 2;
  }
  core::SharedBuffer buffer = core::SharedBuffer::allocate(size);
  char* out = reinterpret_cast<char*>(buffer.mutable_data());
  out = put_header(out, '*', args.size());
  for (std::string_view arg : args) {
    out = put_header(out, '$', arg.size());
    if (!arg.empty()) {
      std::memcpy(out, arg.data(), arg.size());
    }
    out += arg.size();
    *out++ = '\r';
    *out++ = '\n';
  }
  return buffer;
}

core::SharedBuffer encode_command(std::initializer_list<std::string_view> args) {
  return encode_command(std::span<const std::string_view>(args.begin(), args.size()));
}

std::uint16_t key_slot(std::string_view key) noexcept {
  const std::size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const std::size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return static_cast<std::uint16_t>(crc16(key) & (kSlotCount - 1));
}

std::string_view to_string(ReplyType type) noexcept {
  switch (type) {
    case ReplyType::kString:
      return "string";
    case ReplyType::kArray:
      return "array";
    case ReplyType::kInteger:
      return "integer";
    case ReplyType::kNil:
      return "nil";
    case ReplyType::kStatus:
      return "status";
    case ReplyType::kError:
      return "error";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Reply views

ReplyType ReplyView::type() const noexcept {
  if (reply_ == nullptr) {
    return ReplyType::kNil;
  }
  switch (reply_->type) {
    case REDIS_REPLY_STRING:
      return ReplyType::kString;
    case REDIS_REPLY_ARRAY:
      return ReplyType::kArray;
    case REDIS_REPLY_INTEGER:
      return ReplyType::kInteger;
    case REDIS_REPLY_STATUS:
      return ReplyType::kStatus;
    case REDIS_REPLY_ERROR:
      return ReplyType::kError;
    default:
      return ReplyType::kNil;
  }
}

std::string_view ReplyView::str() const noexcept {
  switch (type()) {
    case ReplyType::kString:
    case ReplyType::kStatus:
    case ReplyType::kError:
      return {reply_->str, reply_->len};
    default:
      return {};
  }
}

long long ReplyView::integer(long long fallback) const noexcept {
  if (type() == ReplyType::kInteger) {
    return reply_->integer;
  }
  if (type() == ReplyType::kString) {
    long long value = 0;
    const std::string_view text = str();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
      return value;
    }
  }
  return fallback;
}

std::size_t ReplyView::size() const noexcept {
  return type() == ReplyType::kArray ? reply_->elements : 0;
}

ReplyView ReplyView::operator[](std::size_t index) const noexcept {
  if (index >= size()) {
    return ReplyView();
  }
  return ReplyView(reply_->element[index]);
}

std::string ReplyView::describe() const {
  std::string out(to_string(type()));
  switch (type()) {
    case ReplyType::kArray:
      out += "[" + std::to_string(size()) + "]";
      break;
    case ReplyType::kInteger:
      out += " " + std::to_string(reply_->integer);
      break;
    case ReplyType::kNil:
      break;
    default:
      out += " \"";
      out += str().substr(0, 200);
      out += "\"";
  }
  return out;
}

void Reply::Free::operator()(redisReply* reply) const noexcept {
  freeReplyObject(reply);
}

// ---------------------------------------------------------------------------------------------
// Reader

ReplyReader::ReplyReader() : reader_(redisReaderCreate()) {
  if (reader_ == nullptr) {
    throw std::bad_alloc();
  }
}

ReplyReader::~ReplyReader() {
  redisReaderFree(static_cast<redisReader*>(reader_));
}

bool ReplyReader::feed(std::span<const std::byte> bytes) noexcept {
  auto* reader = static_cast<redisReader*>(reader_);
  return redisReaderFeed(reader, reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
         REDIS_OK;
}

ReplyReader::Next ReplyReader::next(Reply* out) noexcept {
  auto* reader = static_cast<redisReader*>(reader_);
  void* reply = nullptr;
  if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
    return Next::kError;
  }
  if (reply == nullptr) {
    return Next::kNeedMore;
  }
  *out = Reply(static_cast<redisReply*>(reply));
  return Next::kReply;
}

std::string_view ReplyReader::error() const noexcept {
  auto* reader = static_cast<const redisReader*>(reader_);
  return reader->err != 0 ? std::string_view(reader->errstr) : std::string_view();
}

void ReplyReader::reset() {
  auto* fresh = redisReaderCreate();
  if (fresh == nullptr) {
    throw std::bad_alloc();
  }
  redisReaderFree(static_cast<redisReader*>(reader_));
  reader_ = fresh;
}

}  // namespace hexwire::redis
