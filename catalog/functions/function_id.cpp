#include "catalog/functions/function_id.h"

#include <cstring>

namespace sluice::functions {

namespace {

struct FunctionProperties {
  FunctionId id;
  const char* name;
  bool null_propagating;
  bool deterministic;
  HelperShape shape;
  const char* helper;
  int min_arguments;
};

constexpr FunctionProperties kFunctions[] = {
#define SLUICE_FUNCTION(id, name, null_propagating, deterministic) \
  {FunctionId::k##id, name, null_propagating, deterministic, HelperShape::kNone, nullptr, 0},
#define SLUICE_HELPER_FUNCTION(id, name, shape, helper, min_arguments) \
  {FunctionId::k##id, name, true, true, HelperShape::shape, #helper, min_arguments},
#define SLUICE_NONDETERMINISTIC_HELPER_FUNCTION(id, name, shape, helper, min_arguments) \
  {FunctionId::k##id, name, true, false, HelperShape::shape, #helper, min_arguments},
#include "catalog/functions/functions.def"
#undef SLUICE_FUNCTION
#undef SLUICE_HELPER_FUNCTION
#undef SLUICE_NONDETERMINISTIC_HELPER_FUNCTION
    // See UserFunction::null_on_null_input.
    {FunctionId::kUserDefined, "USER_DEFINED", false, true, HelperShape::kNone, nullptr, 0},
};

static_assert(sizeof(kFunctions) / sizeof(kFunctions[0]) ==
                  static_cast<size_t>(FunctionId::kUserDefined) + 1,
              "one kFunctions entry per FunctionId");

constexpr bool InEnumOrder() {
  for (size_t index = 0; index < sizeof(kFunctions) / sizeof(kFunctions[0]); ++index) {
    if (kFunctions[index].id != static_cast<FunctionId>(index)) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kFunctions is indexed by FunctionId");

const FunctionProperties* Find(FunctionId id) {
  auto index = static_cast<size_t>(id);
  return index < sizeof(kFunctions) / sizeof(kFunctions[0]) ? &kFunctions[index] : nullptr;
}

}  // namespace

bool IsDeterministic(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr || function->deterministic;
}

bool IsNullPropagating(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr ||
         (function->null_propagating && function->shape != HelperShape::kValueTypedNullable);
}

const char* FunctionName(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr ? "?" : function->name;
}

bool FunctionFromName(const char* name, FunctionId* out) {
  for (const FunctionProperties& function : kFunctions) {
    if (std::strcmp(function.name, name) == 0) {
      *out = function.id;
      return true;
    }
  }
  return false;
}

HelperShape HelperShapeOf(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr ? HelperShape::kNone : function->shape;
}

const char* HelperSymbolOf(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr ? nullptr : function->helper;
}

int HelperMinArgumentsOf(FunctionId id) {
  const FunctionProperties* function = Find(id);
  return function == nullptr ? 0 : function->min_arguments;
}

}  // namespace sluice::functions
