// Fault injection for case models: the --fail plan (what fails, when, for how long) and its text
// form. A plan is parsed when the command line is read (syntax errors are usage errors) and bound
// to the model's node names when the network is built (unknown names are usage errors too).
//
//   crash:n2@10s+30s         n2's process crashes at 10 s and restarts 30 s later (keeps its disk)
//   wipe:n2,n3@10s+30s       n2 and n3 crash and come back empty (their disks were replaced)
//   partition:n0..2|n3..7@20s+10s   the two sides cannot reach each other for 10 s
//   slow:n4*10@0s            every message to or from n4 takes 10 times as long, for the whole run
//
// Without +DURATION a fault lasts until the end of the run. "n0..2" is n0, n1, n2.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/event_loop.hpp"

namespace hexwire::sim::cases {

enum class FaultKind : std::uint8_t { kCrash, kWipe, kPartition, kSlow };

struct FaultSpec {
  FaultKind kind = FaultKind::kCrash;
  /// Node names; for a partition, one list per side.
  std::vector<std::vector<std::string>> groups;
  double slow_factor = 1.0;
  SimTime at = 0;
  std::optional<SimTime> duration;  // nullopt: until the end of the run
  std::string text;                 // as given
};

/// Parses one --fail value; on failure returns nullopt with `error` saying what is wrong and what
/// the forms are.
std::optional<FaultSpec> parse_fault(std::string_view text, std::string& error);

/// Expands "n0..2,c1" to {"n0","n1","n2","c1"}; nullopt for a malformed range.
std::optional<std::vector<std::string>> expand_node_list(std::string_view text);

}  // namespace hexwire::sim::cases
