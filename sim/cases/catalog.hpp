// The list of case studies hexwire-sim knows. Adding a case: write sim/cases/<name>/ with a
// function returning its CaseSpec, and add that function to case_catalog() in catalog.cpp.
#pragma once

#include <string_view>
#include <vector>

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases {

/// Every case, in the order hexwire-sim lists them. Built once, on first use.
const std::vector<CaseSpec>& case_catalog();
/// The case called `name`, or nullptr.
const CaseSpec* find_case(std::string_view name);

}  // namespace hexwire::sim::cases
