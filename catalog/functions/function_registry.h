#pragma once

#include <string>
#include <vector>

#include "catalog/functions/function_id.h"
#include "catalog/types/logical_type.h"

namespace sluice::functions {

/// A call resolved against the registry: which function, what it returns, and the type each
/// argument must be cast to first (the binder inserts the casts).
struct ResolvedFunction {
  FunctionId id = FunctionId::kAdd;
  types::LogicalType return_type;
  std::vector<types::LogicalType> argument_types;
};

/// Resolves a scalar function or operator by its SQL name (`+`, `=`, `MOD`, `upper`, `||`,
/// `CONCAT`, ...; case-insensitive) over argument types. On failure returns false and sets
/// `error` to a message that names the function and the argument types.
bool ResolveScalarFunction(const std::string& name,
                           const std::vector<types::LogicalType>& arguments, ResolvedFunction* out,
                           std::string* error);

/// The type of a DECIMAL `type` rounded to `digits` decimal places by ROUND or TRUNCATE (Flink's
/// LogicalTypeMerging.findRoundDecimalType, the precision at most 38).
types::LogicalType RoundedDecimal(const types::LogicalType& type, int32_t digits);

/// Tells whether `name` is a known scalar function (for "did you mean" and SHOW FUNCTIONS).
bool IsScalarFunction(const std::string& name);

/// Lists the callable scalar function names (not operator symbols), sorted.
std::vector<std::string> ScalarFunctionNames();

}  // namespace sluice::functions
