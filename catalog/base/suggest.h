#pragma once

#include <string>
#include <vector>

namespace sluice::base {

/// Returns the candidate closest to `name` by edit distance (case-insensitive), or "" when
/// none is close enough to be a plausible typo. Used for every "did you mean" in Sluice.
std::string ClosestName(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace sluice::base
