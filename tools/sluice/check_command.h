#pragma once

#include <string>

namespace sluice::cli {

/// `sluice check NEW.pipe --against OLD.pipe [--format text|json]` (DESIGN §9): prints each
/// stateful operator's verdict. Returns 0 when compatible, 1 when not (dropped or incompatible
/// state), 2 on a usage or compile error (in either file).
int RunCheck(const std::string& new_file, const std::string& against, const std::string& format,
             const std::string& backfill = "");

}  // namespace sluice::cli
