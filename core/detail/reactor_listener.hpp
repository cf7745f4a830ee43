// The reactor's record of one listening socket (shared by reactor.cpp and listener.cpp).
#pragma once

#include <cstdint>

#include "core/reactor.hpp"

namespace hexwire::core {

struct Reactor::Listener {
  int fd = -1;
  AcceptHandlerFactory factory;
  std::uint64_t paused_until_ns =
      0;  // accepting stopped (descriptors ran out) until then; 0: active
};

}  // namespace hexwire::core
