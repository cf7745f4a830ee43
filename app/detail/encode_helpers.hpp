// Pieces shared by the encoders of protocol_encode*.cpp: the opening of a reply object and the
// channel field. Private to those files.
#pragma once

#include <string_view>

#include "app/json_writer.hpp"

namespace hexwire::app::detail {

/// Resets `w` and starts a reply object: {"op":"<op>" and ,"id":<id> when there is one.
inline void begin_object(FrameWriter& w, std::string_view op_literal, std::string_view id) {
  w.reset();
  w.raw(op_literal);
  if (!id.empty()) {
    w.raw(",\"id\":");
    w.raw(id);
  }
}

inline void channel_field(FrameWriter& w, std::string_view channel) {
  w.raw(",\"channel\":");
  w.string(channel);
}

}  // namespace hexwire::app::detail
