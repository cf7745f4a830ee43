#include "sim/scenario.hpp"
#include <stdexcept>
namespace hexwire::sim {
std::unique_ptr<ScenarioPart> make_chat_part(const SimOptions&, std::uint32_t) { throw std::runtime_error("chat: not yet"); }
}
