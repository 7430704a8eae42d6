#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/logical_type.h"
#include "udf/sluice_udf.h"

namespace sluice::runtime::expr {

/// A scalar function of CREATE FUNCTION, loaded from a shared library through the C ABI of
/// udf/sluice_udf.h (udf/README.md). Shared by every expression that calls it; its library
/// stays loaded for the life of the process.
struct UserFunction {
  std::string name;     // as CREATE FUNCTION spelled it
  std::string library;  // the path the library was opened from
  std::string symbol;   // the exported descriptor function
  const SluiceUdf* descriptor = nullptr;
  std::vector<types::LogicalType> argument_types;
  types::LogicalType return_type;

  bool deterministic() const { return descriptor->deterministic != 0; }
  bool null_on_null_input() const { return descriptor->null_on_null_input != 0; }
  /// `name(TYPE, ...) RETURNS TYPE`, for messages.
  std::string Signature() const;
};

/// Opens `library` (an existing file; RTLD_NOW | RTLD_LOCAL), calls its descriptor function
/// `symbol` and checks the ABI version and the types. Loading the same library, symbol and
/// name again returns the same object. Errors (kBind) say what is wrong without the path.
base::Result<std::shared_ptr<const UserFunction>> LoadUserFunction(const std::string& name,
                                                                   const std::string& library,
                                                                   const std::string& symbol);

/// The SQL type of an ABI type code (SLUICE_UDF_*); false for a code Sluice does not know.
bool UserFunctionType(int32_t code, types::LogicalType* out);

}  // namespace sluice::runtime::expr
