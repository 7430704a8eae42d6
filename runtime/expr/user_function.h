#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/base/result.h"
#include "catalog/types/logical_type.h"
#include "udf/sluice_udf.h"

namespace sluice::runtime::plan {
struct ChainSpec;
struct PlanGraph;
}  // namespace sluice::runtime::plan

namespace sluice::runtime::expr {

/// A scalar function of CREATE FUNCTION, from a shared library with the C ABI of
/// udf/sluice_udf.h (udf/README.md). Either linked (loaded: `descriptor` set; shared by every
/// expression that calls it, its library loaded for the life of the process) or a reference
/// (what a plan read from JSON names: `descriptor` null, nothing loaded). Reading a plan never
/// runs code; a reference is linked when its chain is built (LinkUserFunctions).
struct UserFunction {
  std::string name;     // as CREATE FUNCTION spelled it
  std::string library;  // the path the library was (or will be) opened from
  std::string symbol;   // the exported descriptor function
  const SluiceUdf* descriptor = nullptr;
  std::vector<types::LogicalType> argument_types;
  /// A scalar function's result type; a table function's is ARRAY<ROW<its columns>>: a call
  /// gives every row it emits as one collection, which LATERAL TABLE unnests
  /// (compiler/binder/bind_unnest.cpp).
  types::LogicalType return_type;

  /// Whether this is a table function (its return type says so: ARRAY of ROW, which no scalar
  /// UDF can return).
  bool table_function() const {
    return return_type.id() == types::TypeId::kArray &&
           return_type.element_type().id() == types::TypeId::kRow;
  }

  bool linked() const { return descriptor != nullptr; }
  /// A reference is treated as not deterministic and as seeing NULLs: nothing is assumed of a
  /// library that was not loaded.
  bool deterministic() const { return linked() && descriptor->deterministic != 0; }
  bool null_on_null_input() const { return linked() && descriptor->null_on_null_input != 0; }
  /// Whether `other` names the same function: name, library, symbol and signature.
  bool SameReference(const UserFunction& other) const;
  /// `name(TYPE, ...) RETURNS TYPE` (a table function: `RETURNS TABLE (a TYPE, ...)`), for
  /// messages.
  std::string Signature() const;
};

/// The unlinked reference a plan names: nothing is opened.
std::shared_ptr<const UserFunction> UserFunctionReference(
    std::string name, std::string library, std::string symbol,
    std::vector<types::LogicalType> argument_types, types::LogicalType return_type);

/// Loads the function `reference` names (LoadUserFunction) and checks that it still has the
/// reference's signature; a linked function is returned as it is. Errors (kBind) name the
/// function, its library and symbol.
base::Result<std::shared_ptr<const UserFunction>> LinkUserFunction(
    const std::shared_ptr<const UserFunction>& reference);

/// Replaces every unlinked user function in `chain`'s filter and projections by the linked
/// one (expressions that hold none are kept, not copied).
base::Status LinkUserFunctions(plan::ChainSpec* chain);
/// The same for every expression of `plan` (chains, computed columns, watermarks, residuals):
/// for a runtime that wants every library loaded, and every error known, before a job starts.
base::Status LinkUserFunctions(plan::PlanGraph* plan);

/// Opens `library` (an existing file; RTLD_NOW | RTLD_LOCAL), calls its descriptor function
/// `symbol` and checks the ABI version and the types. Loading the same library, symbol and
/// name again returns the same object. Errors (kBind) say what is wrong without the path.
base::Result<std::shared_ptr<const UserFunction>> LoadUserFunction(const std::string& name,
                                                                   const std::string& library,
                                                                   const std::string& symbol);

/// The SQL type of an ABI type code (SLUICE_UDF_*); false for a code Sluice does not know.
bool UserFunctionType(int32_t code, types::LogicalType* out);

}  // namespace sluice::runtime::expr
