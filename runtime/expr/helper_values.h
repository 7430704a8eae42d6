#pragma once

// Reading and writing the VARCHAR values of value-shaped helpers (kernel_abi.h), shared by the
// helper files of runtime/expr.

#include <cstring>
#include <string_view>

#include "runtime/expr/kernel_abi.h"

namespace sluice::runtime::expr {

/// A VARCHAR argument's text (a null `data` is the empty string).
inline std::string_view TextOf(const SluiceUdfValue& value) {
  return std::string_view(value.data != nullptr ? value.data : "", value.length);
}

/// Copies `text` into the kernel's arena as the helper's VARCHAR result.
inline void StoreText(SluiceKernelContext* context, std::string_view text, SluiceUdfValue* out) {
  char* target = context->arena->Allocate(text.size());
  if (!text.empty()) std::memcpy(target, text.data(), text.size());
  out->data = target;
  out->length = static_cast<uint32_t>(text.size());
}

}  // namespace sluice::runtime::expr
