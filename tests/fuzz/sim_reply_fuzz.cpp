// libFuzzer target for hexwire-sim's reply parser (ServerFrameParser, and read_probe_text behind
// it): whatever an engine sends, the simulator must classify it without a crash or undefined
// behaviour; a parse may not depend on what the reused parser saw before (event fields are reset);
// and a probe it accepts must be canonical (writing the same probe back gives the same text), so a
// corrupted delivery can never be taken for a good one.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "sim/probe.hpp"
#include "sim/wire.hpp"

namespace {

using namespace hexwire::sim;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

bool same(const ServerEvent& a, const ServerEvent& b) {
  return a.op == b.op && a.has_id == b.has_id && a.id == b.id && a.channel == b.channel &&
         a.seq == b.seq && a.ts_us == b.ts_us && a.recovered == b.recovered && a.from == b.from &&
         a.user == b.user && a.probe == b.probe && a.has_data == b.has_data && a.trip == b.trip &&
         a.status == b.status && a.driver == b.driver && a.code == b.code &&
         a.message == b.message && (a.surge == b.surge || (a.surge != a.surge && b.surge != b.surge));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static ServerFrameParser reused;
  static ServerEvent previous;
  const std::string_view frame(reinterpret_cast<const char*>(bytes), size);

  ServerFrameParser fresh;
  ServerEvent expected;
  const ParseStatus status = fresh.parse(frame, expected);
  ServerEvent event = previous;  // holds whatever the last input left in it
  check(reused.parse(frame, event) == status);
  check(same(event, expected));
  previous = event;

  if (const auto probe = read_probe_text(frame)) {
    std::string text;
    write_probe_text(*probe, frame.size(), text);
    check(text == frame);
  }
  return 0;
}
