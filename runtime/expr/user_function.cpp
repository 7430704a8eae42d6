#include "runtime/expr/user_function.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>

#include <cstring>
#include <map>
#include <mutex>
#include <tuple>

#include "catalog/types/schema.h"
#include "runtime/expr/collection_value.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::runtime::expr {

namespace {

using types::LogicalType;
using types::TypeId;

base::Status LoadError(std::string message) {
  return base::Status::Error(base::ErrorCode::kBind, std::move(message));
}

/// Library handles by path and loaded functions by (name, path, symbol). Never emptied:
/// compiled kernels and plans hold raw pointers into the libraries.
struct Loaded {
  std::mutex mutex;
  std::map<std::string, void*> libraries;
  std::map<std::tuple<std::string, std::string, std::string>, std::shared_ptr<const UserFunction>>
      functions;
};

Loaded& Registry() {
  static Loaded* loaded = new Loaded();  // leaked on purpose: outlives static destructors
  return *loaded;
}

/// The state of one call, reached from SluiceUdfContext::engine.
struct CallState {
  SluiceKernelContext* kernel = nullptr;
  std::string message;
  // A table function's call: the rows emitted so far.
  const SluiceUdf* descriptor = nullptr;
  CollectionWriter rows;
  uint32_t row_count = 0;
};

/// context->emit of a table function's call: appends one row (a ROW element) to the call's
/// collection.
int32_t EmitUdfRow(SluiceUdfContext* context, const SluiceUdfValue* columns) {
  auto* state = static_cast<CallState*>(context->engine);
  if (columns == nullptr) {
    state->message = "emitted a row without columns";
    return 1;
  }
  CollectionWriter row;
  for (int32_t i = 0; i < state->descriptor->column_count; ++i) {
    const SluiceUdfValue& value = columns[i];
    Item item;
    if (value.is_null != 0) {
      row.Add(item);
      continue;
    }
    switch (state->descriptor->column_types[i]) {
      case SLUICE_UDF_BOOLEAN:
        item.tag = ItemTag::kInteger;
        item.integer = value.integer != 0 ? 1 : 0;
        break;
      case SLUICE_UDF_INT:
        item.tag = ItemTag::kInteger;
        item.integer = static_cast<int32_t>(static_cast<uint32_t>(value.integer));
        break;
      case SLUICE_UDF_DOUBLE:
        item.tag = ItemTag::kReal;
        item.real = value.real;
        break;
      case SLUICE_UDF_VARCHAR:
        if (value.data == nullptr && value.length != 0) {
          state->message = fmt::format("emitted a VARCHAR without data in column {}", i + 1);
          return 1;
        }
        item.tag = ItemTag::kBytes;
        item.bytes = std::string_view(value.data != nullptr ? value.data : "", value.length);
        break;
      default:  // BIGINT, TIMESTAMP
        item.tag = ItemTag::kInteger;
        item.integer = value.integer;
        break;
    }
    row.Add(item);
  }
  std::string encoded = row.Finish(static_cast<uint32_t>(state->descriptor->column_count));
  Item element;
  element.tag = ItemTag::kBytes;
  element.bytes = encoded;
  state->rows.Add(element);
  ++state->row_count;
  return 0;
}

char* AllocateForUdf(SluiceUdfContext* context, int64_t size) {
  if (size < 0) return nullptr;
  auto* state = static_cast<CallState*>(context->engine);
  return state->kernel->arena->Allocate(static_cast<size_t>(size));
}

void SetUdfError(SluiceUdfContext* context, const char* message) {
  auto* state = static_cast<CallState*>(context->engine);
  state->message = message != nullptr ? message : "";
}

void Fail(SluiceKernelContext* kernel, const UserFunction& function, const std::string& reason) {
  std::string message = fmt::format("user-defined function '{}' failed: {}", function.name, reason);
  char* copy = kernel->arena->Allocate(message.size() + 1);
  std::memcpy(copy, message.c_str(), message.size() + 1);
  kernel->error = copy;
}

}  // namespace

bool UserFunctionType(int32_t code, LogicalType* out) {
  switch (code) {
    case SLUICE_UDF_BOOLEAN: *out = LogicalType::Boolean(); return true;
    case SLUICE_UDF_INT: *out = LogicalType::Int(); return true;
    case SLUICE_UDF_BIGINT: *out = LogicalType::Bigint(); return true;
    case SLUICE_UDF_DOUBLE: *out = LogicalType::Double(); return true;
    case SLUICE_UDF_VARCHAR: *out = LogicalType::Varchar(); return true;
    case SLUICE_UDF_TIMESTAMP: *out = LogicalType::Timestamp(); return true;
    default: return false;
  }
}

std::string UserFunction::Signature() const {
  std::string out = name + "(";
  for (size_t i = 0; i < argument_types.size(); ++i) {
    if (i > 0) out += ", ";
    out += argument_types[i].ToString();
  }
  if (!table_function()) return out + ") RETURNS " + return_type.ToString();
  out += ") RETURNS TABLE (";
  const auto& columns = return_type.element_type().fields();
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ", ";
    out += columns[i].name + " " + columns[i].type.ToString();
  }
  return out + ")";
}

base::Result<std::shared_ptr<const UserFunction>> LoadUserFunction(const std::string& name,
                                                                   const std::string& library,
                                                                   const std::string& symbol) {
  Loaded& loaded = Registry();
  std::lock_guard<std::mutex> lock(loaded.mutex);
  auto key = std::make_tuple(name, library, symbol);
  if (auto found = loaded.functions.find(key); found != loaded.functions.end()) {
    return found->second;
  }
  void*& handle = loaded.libraries[library];
  if (handle == nullptr) {
    dlerror();
    handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* reason = dlerror();
      loaded.libraries.erase(library);
      return LoadError(fmt::format("cannot load the library: {}",
                                   reason != nullptr ? reason : "unknown dlopen error"));
    }
  }
  dlerror();
  void* address = dlsym(handle, symbol.c_str());
  // dlsym also searches the library's dependencies (libc): 'lib.so:abort' must not call abort.
  Dl_info where{};
  link_map* self = nullptr;
  if (address == nullptr || dladdr(address, &where) == 0 ||
      dlinfo(handle, RTLD_DI_LINKMAP, &self) != 0 || self == nullptr ||
      where.dli_fbase != reinterpret_cast<void*>(self->l_addr)) {
    return LoadError(fmt::format("the library exports no symbol '{}'", symbol));
  }
  // The descriptor function is the one thing a library must get right before versions can be
  // compared; a data symbol of that name would be called as code, which dlsym cannot tell.
  auto describe = reinterpret_cast<SluiceUdfDescriptor>(address);
  const SluiceUdf* descriptor = describe();
  if (descriptor == nullptr) {
    return LoadError(fmt::format("'{}' returned no descriptor", symbol));
  }
  if (descriptor->abi_version != 1 && descriptor->abi_version != SLUICE_UDF_ABI_VERSION) {
    return LoadError(
        fmt::format("'{}' is built for UDF ABI version {}; this Sluice reads "
                    "versions 1 and {} (udf/sluice_udf.h)",
                    symbol, descriptor->abi_version, SLUICE_UDF_ABI_VERSION));
  }
  auto function = std::make_shared<UserFunction>();
  function->name = name;
  function->library = library;
  function->symbol = symbol;
  function->descriptor = descriptor;
  // A version 1 descriptor ends at `call`: the table function fields are not read.
  if (descriptor->abi_version >= 2 && descriptor->table_function != 0) {
    if (descriptor->column_count < 1 || descriptor->column_count > SLUICE_UDF_MAX_ARGUMENTS) {
      return LoadError(fmt::format("table function '{}' declares {} columns; 1 to {} are allowed",
                                   symbol, descriptor->column_count, SLUICE_UDF_MAX_ARGUMENTS));
    }
    std::vector<types::RowField> columns;
    for (int32_t i = 0; i < descriptor->column_count; ++i) {
      LogicalType type;
      if (!UserFunctionType(descriptor->column_types[i], &type)) {
        return LoadError(
            fmt::format("column {} of table function '{}' has type code {}, which is not a "
                        "SLUICE_UDF_* type",
                        i + 1, symbol, descriptor->column_types[i]));
      }
      const char* given = descriptor->column_names[i];
      std::string column_name =
          given != nullptr ? std::string(given, strnlen(given, 256)) : "f" + std::to_string(i);
      if (column_name.empty()) column_name = "f" + std::to_string(i);
      for (const types::RowField& earlier : columns) {
        if (types::IdentifierEquals(earlier.name, column_name)) {
          return LoadError(
              fmt::format("table function '{}' names two columns '{}'", symbol, column_name));
        }
      }
      columns.push_back({std::move(column_name), type});
    }
    function->return_type = LogicalType::Array(LogicalType::Row(std::move(columns)));
  } else if (!UserFunctionType(descriptor->return_type, &function->return_type)) {
    return LoadError(fmt::format("'{}' returns type code {}, which is not a SLUICE_UDF_* type",
                                 symbol, descriptor->return_type));
  }
  if (descriptor->argument_count < 0 || descriptor->argument_count > SLUICE_UDF_MAX_ARGUMENTS) {
    return LoadError(fmt::format("'{}' declares {} arguments; at most {} are allowed", symbol,
                                 descriptor->argument_count, SLUICE_UDF_MAX_ARGUMENTS));
  }
  for (int32_t i = 0; i < descriptor->argument_count; ++i) {
    LogicalType type;
    if (!UserFunctionType(descriptor->argument_types[i], &type)) {
      return LoadError(
          fmt::format("argument {} of '{}' has type code {}, which is not a "
                      "SLUICE_UDF_* type",
                      i + 1, symbol, descriptor->argument_types[i]));
    }
    function->argument_types.push_back(type);
  }
  if (descriptor->call == nullptr) {
    return LoadError(fmt::format("'{}' has no call function", symbol));
  }
  std::shared_ptr<const UserFunction> shared = std::move(function);
  loaded.functions.emplace(key, shared);
  return shared;
}

bool UserFunction::SameReference(const UserFunction& other) const {
  return name == other.name && library == other.library && symbol == other.symbol &&
         argument_types == other.argument_types && return_type == other.return_type;
}

std::shared_ptr<const UserFunction> UserFunctionReference(std::string name, std::string library,
                                                          std::string symbol,
                                                          std::vector<LogicalType> argument_types,
                                                          LogicalType return_type) {
  auto function = std::make_shared<UserFunction>();
  function->name = std::move(name);
  function->library = std::move(library);
  function->symbol = std::move(symbol);
  function->argument_types = std::move(argument_types);
  function->return_type = std::move(return_type);
  return function;
}

base::Result<std::shared_ptr<const UserFunction>> LinkUserFunction(
    const std::shared_ptr<const UserFunction>& reference) {
  if (reference->linked()) return reference;
  auto loaded = LoadUserFunction(reference->name, reference->library, reference->symbol);
  if (!loaded.ok()) {
    return LoadError(fmt::format("user-defined function '{}' ({}:{}): {}", reference->name,
                                 reference->library, reference->symbol, loaded.status().message()));
  }
  const UserFunction& function = **loaded;
  if (function.argument_types != reference->argument_types ||
      function.return_type != reference->return_type) {
    return LoadError(fmt::format(
        "user-defined function '{}' ({}:{}) is now {}, which differs from the plan's {}",
        reference->name, reference->library, reference->symbol, function.Signature(),
        reference->Signature()));
  }
  return loaded;
}

namespace {

/// `expression` with every user function in it linked; the same pointer when none needed it.
base::Result<plan::ExprPtr> Linked(const plan::ExprPtr& expression) {
  if (expression == nullptr) return expression;
  std::shared_ptr<plan::Expr> copy;
  auto writable = [&]() -> plan::Expr& {
    if (copy == nullptr) copy = std::make_shared<plan::Expr>(*expression);
    return *copy;
  };
  for (size_t i = 0; i < expression->arguments.size(); ++i) {
    SLUICE_ASSIGN_OR_RETURN(plan::ExprPtr argument, Linked(expression->arguments[i]));
    if (argument != expression->arguments[i]) writable().arguments[i] = std::move(argument);
  }
  if (expression->user_function != nullptr && !expression->user_function->linked()) {
    SLUICE_ASSIGN_OR_RETURN(writable().user_function, LinkUserFunction(expression->user_function));
  }
  if (copy == nullptr) return expression;
  return plan::ExprPtr(std::move(copy));
}

base::Status LinkInPlace(plan::ExprPtr* expression) {
  SLUICE_ASSIGN_OR_RETURN(*expression, Linked(*expression));
  return base::Status::Ok();
}

}  // namespace

base::Status LinkUserFunctions(plan::ChainSpec* chain) {
  SLUICE_RETURN_IF_ERROR(LinkInPlace(&chain->filter));
  for (plan::ExprPtr& projection : chain->projections) {
    SLUICE_RETURN_IF_ERROR(LinkInPlace(&projection));
  }
  return base::Status::Ok();
}

base::Status LinkUserFunctions(plan::PlanGraph* plan) {
  for (plan::PlanNode& node : plan->nodes) {
    if (node.computed_columns) SLUICE_RETURN_IF_ERROR(LinkUserFunctions(&*node.computed_columns));
    if (node.watermark) SLUICE_RETURN_IF_ERROR(LinkInPlace(&node.watermark->expression));
    if (node.chain) SLUICE_RETURN_IF_ERROR(LinkUserFunctions(&*node.chain));
    if (node.join) SLUICE_RETURN_IF_ERROR(LinkInPlace(&node.join->residual));
    if (node.lookup_join) {
      if (node.lookup_join->table_chain) {
        SLUICE_RETURN_IF_ERROR(LinkUserFunctions(&*node.lookup_join->table_chain));
      }
      SLUICE_RETURN_IF_ERROR(LinkInPlace(&node.lookup_join->residual));
    }
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::expr

extern "C" uint8_t sluice_call_udf(SluiceKernelContext* context, const void* function,
                                   const SluiceUdfValue* arguments, SluiceUdfValue* result) {
  using sluice::runtime::expr::UserFunction;
  *result = SluiceUdfValue{};
  if (context->error != nullptr) return 0;
  const auto& udf = *static_cast<const UserFunction*>(function);
  if (!udf.linked()) {
    // Chains are linked when they are built (LinkUserFunctions); a reference is never called.
    sluice::runtime::expr::Fail(context, udf, "its library was not loaded");
    return 0;
  }
  sluice::runtime::expr::CallState state;
  state.kernel = context;
  const bool table_function = udf.table_function();
  if (table_function) state.descriptor = udf.descriptor;
  SluiceUdfContext udf_context{&sluice::runtime::expr::AllocateForUdf,
                               &sluice::runtime::expr::SetUdfError, &state,
                               table_function ? &sluice::runtime::expr::EmitUdfRow : nullptr};
  int32_t code = udf.descriptor->call(arguments, result, &udf_context);
  if (code != 0) {
    sluice::runtime::expr::Fail(context, udf,
                                state.message.empty()
                                    ? fmt::format("error code {}", code)
                                    : fmt::format("{} (error code {})", state.message, code));
    *result = SluiceUdfValue{};
    return 0;
  }
  if (table_function) {
    // Every row emitted, as one ARRAY of ROWs in the batch's arena (none: an empty array).
    std::string encoded = state.rows.Finish(state.row_count);
    char* copy = context->arena->Allocate(encoded.size());
    std::memcpy(copy, encoded.data(), encoded.size());
    *result = SluiceUdfValue{};
    result->data = copy;
    result->length = static_cast<uint32_t>(encoded.size());
    return 1;
  }
  if (result->is_null != 0) {
    *result = SluiceUdfValue{};
    result->is_null = 1;
    return 0;
  }
  switch (udf.descriptor->return_type) {
    case SLUICE_UDF_BOOLEAN: result->integer = result->integer != 0 ? 1 : 0; break;
    case SLUICE_UDF_INT:
      result->integer = static_cast<int32_t>(static_cast<uint32_t>(result->integer));
      break;
    case SLUICE_UDF_VARCHAR:
      if (result->data == nullptr) {
        if (result->length != 0) {
          sluice::runtime::expr::Fail(context, udf, "returned a VARCHAR without data");
          *result = SluiceUdfValue{};
          return 0;
        }
        result->data = "";
      }
      break;
    default: break;
  }
  return 1;
}
