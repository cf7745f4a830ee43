#include "sim/scenario.hpp"
#include <stdexcept>
namespace hexwire::sim {
std::unique_ptr<ScenarioPart> make_rides_part(const SimOptions&, std::uint32_t) { throw std::runtime_error("rides: not yet"); }
}
