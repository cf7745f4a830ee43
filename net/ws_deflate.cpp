// permessage-deflate: extension-header negotiation and zlib raw-deflate streams (see header).
#include "net/ws_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "net/detail/http_tokens.hpp"

namespace hexwire::net {
namespace {

using detail::trim_ows;

constexpr std::byte kTail[4] = {std::byte{0x00}, std::byte{0x00}, std::byte{0xff}, std::byte{0xff}};

/// Splits on `separator` (no quoting inside our parameter values matters except "..." values).
template <typename Visit>
bool for_each_part(std::string_view text, char separator, Visit&& visit) {
  while (true) {
    const std::size_t cut = text.find(separator);
    if (!visit(trim_ows(text.substr(0, cut)))) {
      return false;
    }
    if (cut == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(cut + 1);
  }
}

bool parse_window_bits(std::string_view value, std::uint8_t& out) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  unsigned bits = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), bits);
  if (error != std::errc{} || end != value.data() + value.size() || value.empty() ||
      value.front() == '0' || bits < 8 || bits > 15) {
    return false;
  }
  out = static_cast<std::uint8_t>(bits);
  return true;
}

struct ParsedExtension {
  DeflateParams params;
  bool client_window_offered = false;  // client_max_window_bits present (with or without value)
  bool server_window_given = false;
};

/// Parses one "permessage-deflate; a; b=1" element; false when it is malformed or not deflate.
bool parse_extension(std::string_view element, ParsedExtension& out) {
  bool first = true;
  bool name_ok = false;
  bool seen_snct = false;
  bool seen_cnct = false;
  bool seen_smwb = false;
  bool seen_cmwb = false;
  const bool ok = for_each_part(element, ';', [&](std::string_view part) {
    if (first) {
      first = false;
      name_ok = part == "permessage-deflate";
      return name_ok;
    }
    const std::size_t equals = part.find('=');
    const std::string_view name = trim_ows(part.substr(0, equals));
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view{} : trim_ows(part.substr(equals + 1));
    const bool has_value = equals != std::string_view::npos;
    if (name == "server_no_context_takeover" && !seen_snct && !has_value) {
      seen_snct = true;
      out.params.server_no_context_takeover = true;
      return true;
    }
    if (name == "client_no_context_takeover" && !seen_cnct && !has_value) {
      seen_cnct = true;
      out.params.client_no_context_takeover = true;
      return true;
    }
    if (name == "server_max_window_bits" && !seen_smwb && has_value) {
      seen_smwb = true;
      out.server_window_given = true;
      return parse_window_bits(value, out.params.server_max_window_bits);
    }
    if (name == "client_max_window_bits" && !seen_cmwb) {
      seen_cmwb = true;
      out.client_window_offered = true;
      return !has_value || parse_window_bits(value, out.params.client_max_window_bits);
    }
    return false;
  });
  return ok && name_ok;
}

}  // namespace

std::optional<DeflateParams> negotiate_deflate(std::string_view extensions,
                                               const DeflateConfig& config) {
  if (!config.enabled || extensions.empty()) {
    return std::nullopt;
  }
  std::optional<DeflateParams> chosen;
  for_each_part(extensions, ',', [&](std::string_view element) {
    ParsedExtension parsed;
    if (!parse_extension(element, parsed)) {
      return true;  // decline this offer, look at the next one
    }
    DeflateParams params = parsed.params;
    if (parsed.server_window_given && params.server_max_window_bits == 8) {
      return true;  // zlib's raw deflate cannot keep to a 256-byte window
    }
    params.server_max_window_bits =
        std::min(params.server_max_window_bits, config.server_max_window_bits);
    params.server_no_context_takeover |= config.server_no_context_takeover;
    if (!parsed.client_window_offered) {
      params.client_max_window_bits = 15;  // the client did not say it can limit its window
    }
    chosen = params;
    return false;
  });
  return chosen;
}

std::string format_deflate_response(const DeflateParams& params) {
  std::string out = "permessage-deflate";
  if (params.server_no_context_takeover) {
    out += "; server_no_context_takeover";
  }
  if (params.client_no_context_takeover) {
    out += "; client_no_context_takeover";
  }
  if (params.server_max_window_bits < 15) {
    out += "; server_max_window_bits=" + std::to_string(params.server_max_window_bits);
  }
  if (params.client_max_window_bits < 15) {
    out += "; client_max_window_bits=" + std::to_string(params.client_max_window_bits);
  }
  return out;
}

std::string format_deflate_offer() {
  return "permessage-deflate; client_max_window_bits";
}

std::optional<DeflateParams> parse_deflate_response(std::string_view extensions) {
  ParsedExtension parsed;
  if (extensions.find(',') != std::string_view::npos || !parse_extension(extensions, parsed)) {
    return std::nullopt;
  }
  return parsed.params;
}

struct WsDeflater::Stream {
  z_stream z{};
};

WsDeflater::WsDeflater(int window_bits, bool no_context_takeover, int level)
    : stream_(new Stream), no_context_takeover_(no_context_takeover) {
  // zlib turns a raw window of 8 into 9; negotiation never agrees to 8 for our side.
  const int bits = std::clamp(window_bits, 9, 15);
  if (deflateInit2(&stream_->z, level, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    delete stream_;
    throw std::runtime_error("zlib deflateInit2 failed (out of memory?)");
  }
}

WsDeflater::~WsDeflater() {
  deflateEnd(&stream_->z);
  delete stream_;
}

bool WsDeflater::compress(std::span<const std::byte> message, std::vector<std::byte>& out) {
  z_stream& z = stream_->z;
  const std::size_t start = out.size();
  z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(message.data()));
  z.avail_in = static_cast<uInt>(message.size());
  std::size_t written = start;
  do {
    const std::size_t room = std::max<std::size_t>(message.size() / 2 + 64, 256);
    out.resize(written + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + written);
    z.avail_out = static_cast<uInt>(room);
    const int result = deflate(&z, Z_SYNC_FLUSH);
    if (result != Z_OK && result != Z_BUF_ERROR) {
      out.resize(start);
      return false;
    }
    written += room - z.avail_out;
  } while (z.avail_out == 0 || z.avail_in != 0);
  out.resize(written);
  // A sync flush always ends with an empty stored block: 00 00 ff ff, which the wire omits.
  if (written - start >= 4 && std::equal(out.end() - 4, out.end(), kTail)) {
    out.resize(written - 4);
  }
  if (no_context_takeover_) {
    deflateReset(&z);
  }
  return true;
}

struct WsInflater::Stream {
  z_stream z{};
};

WsInflater::WsInflater(int window_bits, bool no_context_takeover)
    : stream_(new Stream), no_context_takeover_(no_context_takeover) {
  // Inflating with the largest window accepts any smaller window the peer used.
  (void)window_bits;
  if (inflateInit2(&stream_->z, -15) != Z_OK) {
    delete stream_;
    throw std::runtime_error("zlib inflateInit2 failed (out of memory?)");
  }
}

WsInflater::~WsInflater() {
  inflateEnd(&stream_->z);
  delete stream_;
}

InflateStatus WsInflater::decompress(std::span<const std::byte> payload, std::size_t max_size,
                                     std::vector<std::byte>& out) {
  z_stream& z = stream_->z;
  const std::size_t start = out.size();
  std::size_t produced = 0;
  const std::span<const std::byte> inputs[2] = {payload, std::span<const std::byte>(kTail, 4)};
  for (const auto& input : inputs) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(input.data()));
    z.avail_in = static_cast<uInt>(input.size());
    do {
      // Never offer more room than the limit allows (+1 to detect going over it).
      const std::size_t room = std::min<std::size_t>(std::max<std::size_t>(input.size() * 4, 1024),
                                                     max_size - produced + 1);
      out.resize(start + produced + room);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + start + produced);
      z.avail_out = static_cast<uInt>(room);
      const int result = inflate(&z, Z_SYNC_FLUSH);
      produced += room - z.avail_out;
      if (produced > max_size) {
        out.resize(start);
        return InflateStatus::kTooBig;
      }
      if (result == Z_STREAM_END) {
        // A final block (BFINAL) ends this stream; the next message starts a new one.
        inflateReset(&z);
        continue;
      }
      if (result == Z_BUF_ERROR && z.avail_out != 0) {
        break;  // no progress possible without more input
      }
      if (result != Z_OK && result != Z_BUF_ERROR) {
        out.resize(start);
        return InflateStatus::kCorrupt;
      }
    } while (z.avail_in > 0 || z.avail_out == 0);
  }
  out.resize(start + produced);
  if (no_context_takeover_) {
    inflateReset(&z);
  }
  return InflateStatus::kOk;
}

}  // namespace hexwire::net
