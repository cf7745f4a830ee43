// The reactor's record of one listening socket (shared by reactor.cpp and listener.cpp).
#pragma once

#include "core/reactor.hpp"

namespace hexwire::core {

struct Reactor::Listener {
  int fd = -1;
  AcceptHandlerFactory factory;
};

}  // namespace hexwire::core
