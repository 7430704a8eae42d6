#pragma once

// The helper of every helper function of catalog/functions/functions.def, by FunctionId: what
// the interpreter calls and what the JIT resolves generated calls to.

#include <vector>

#include "catalog/functions/function_id.h"
#include "runtime/expr/kernel_abi.h"

namespace sluice::runtime::expr {

/// The C type of a helper of shape HelperShape::kStringToString.
using StringToStringHelper = void (*)(SluiceKernelContext*, const StringRef*, StringRef*);
/// The C type of a helper of shape HelperShape::kStringStringIndexToString.
using StringStringIndexToStringHelper = uint8_t (*)(const StringRef*, const StringRef*, int64_t,
                                                    StringRef*);

/// The C type of the helper of every value shape (functions::IsValueShape).
using ValueHelper = uint8_t (*)(SluiceKernelContext*, const SluiceUdfValue*, int32_t,
                                SluiceUdfValue*);

/// One helper function's helper: its symbol (functions::HelperSymbolOf) and address.
struct HelperEntry {
  functions::FunctionId id;
  const char* symbol;
  void* address;
};

/// Lists the helpers of all helper functions, in functions.def order.
inline const std::vector<HelperEntry>& HelperEntries() {
  static const std::vector<HelperEntry> entries = {
#define SLUICE_FUNCTION(id, name, null_propagating, deterministic)
#define SLUICE_HELPER_FUNCTION(id, name, shape, helper, min_arguments) \
  {functions::FunctionId::k##id, #helper, reinterpret_cast<void*>(&helper)},
#include "catalog/functions/functions.def"
#undef SLUICE_FUNCTION
#undef SLUICE_HELPER_FUNCTION
  };
  return entries;
}

/// Returns the helper of a helper function, nullptr for other functions.
inline void* HelperAddressOf(functions::FunctionId id) {
  for (const HelperEntry& entry : HelperEntries()) {
    if (entry.id == id) return entry.address;
  }
  return nullptr;
}

}  // namespace sluice::runtime::expr
