#include "runtime/jit/jit_engine.h"

#include <fmt/format.h>
#include <llvm/ExecutionEngine/Orc/Core.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/TargetSelect.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <utility>

#include "runtime/expr/helper_table.h"
#include "runtime/expr/kernel_abi.h"
#include "runtime/jit/jit_engine_llvm.h"

// Defined in scalar_helpers.cpp but not (yet) declared in kernel_abi.h; the interpreter
// declares it the same way.
extern "C" uint8_t sluice_cast_string_to_interval(const sluice::runtime::StringRef* in,
                                                  int64_t* out);

namespace sluice::runtime::jit {

/// The engine's internals, shared by the JitEngine handle and every JitCode it produced.
struct JitEngineState {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::unique_ptr<llvm::TargetMachine> target_machine;  // for optimization passes
  std::string target_triple;
  std::string cpu_name;
  std::string data_layout;
  std::atomic<uint64_t> next_name{0};
  std::mutex compile_mutex;
};

namespace {

base::Status ToStatus(llvm::Error error, std::string_view what) {
  std::string message = llvm::toString(std::move(error));
  return base::Status::Error(base::ErrorCode::kInternal, fmt::format("{}: {}", what, message));
}

base::Status InitializeNativeTargetOnce() {
  static const bool initialized = [] {
    // Both return true on failure.
    return !llvm::InitializeNativeTarget() && !llvm::InitializeNativeTargetAsmPrinter();
  }();
  if (!initialized) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "LLVM has no native target for this host");
  }
  return base::Status::Ok();
}

// Generated code may call these; they are resolved by address so the JIT never searches the
// process (whose symbols may be hidden, stripped or shadowed).
struct HelperSymbol {
  const char* name;
  void* address;
};

template <typename F>
void* AddressOf(F* function) {
  return reinterpret_cast<void*>(function);
}

std::vector<HelperSymbol> HelperSymbols() {
  double (*fmod_double)(double, double) = &std::fmod;
  float (*fmod_float)(float, float) = &std::fmod;
  std::vector<HelperSymbol> symbols = {
      {"sluice_arena_allocate", AddressOf(&sluice_arena_allocate)},
      {"sluice_string_compare", AddressOf(&sluice_string_compare)},
      {"sluice_string_equal", AddressOf(&sluice_string_equal)},
      {"sluice_string_concat", AddressOf(&sluice_string_concat)},
      {"sluice_string_char_length", AddressOf(&sluice_string_char_length)},
      {"sluice_string_substring", AddressOf(&sluice_string_substring)},
      {"sluice_string_trim", AddressOf(&sluice_string_trim)},
      {"sluice_string_like", AddressOf(&sluice_string_like)},
      {"sluice_timestamp_extract", AddressOf(&sluice_timestamp_extract)},
      {"sluice_current_millis", AddressOf(&sluice_current_millis)},
      {"sluice_timestamp_format", AddressOf(&sluice_timestamp_format)},
      {"sluice_cast_string_to_int", AddressOf(&sluice_cast_string_to_int)},
      {"sluice_cast_binary_to_string", AddressOf(&sluice_cast_binary_to_string)},
      {"sluice_cast_string_to_bigint", AddressOf(&sluice_cast_string_to_bigint)},
      {"sluice_cast_string_to_double", AddressOf(&sluice_cast_string_to_double)},
      {"sluice_cast_string_to_boolean", AddressOf(&sluice_cast_string_to_boolean)},
      {"sluice_cast_string_to_timestamp", AddressOf(&sluice_cast_string_to_timestamp)},
      {"sluice_cast_string_to_decimal", AddressOf(&sluice_cast_string_to_decimal)},
      {"sluice_cast_bigint_to_string", AddressOf(&sluice_cast_bigint_to_string)},
      {"sluice_cast_double_to_string", AddressOf(&sluice_cast_double_to_string)},
      {"sluice_cast_float_to_string", AddressOf(&sluice_cast_float_to_string)},
      {"sluice_cast_boolean_to_string", AddressOf(&sluice_cast_boolean_to_string)},
      {"sluice_cast_timestamp_to_string", AddressOf(&sluice_cast_timestamp_to_string)},
      {"sluice_cast_string_to_date", AddressOf(&sluice_cast_string_to_date)},
      {"sluice_cast_string_to_time", AddressOf(&sluice_cast_string_to_time)},
      {"sluice_cast_date_to_string", AddressOf(&sluice_cast_date_to_string)},
      {"sluice_cast_time_to_string", AddressOf(&sluice_cast_time_to_string)},
      {"sluice_cast_decimal_to_string", AddressOf(&sluice_cast_decimal_to_string)},
      {"sluice_cast_interval_to_string", AddressOf(&sluice_cast_interval_to_string)},
      {"sluice_cast_double_to_int", AddressOf(&sluice_cast_double_to_int)},
      {"sluice_cast_double_to_bigint", AddressOf(&sluice_cast_double_to_bigint)},
      {"sluice_cast_double_to_decimal", AddressOf(&sluice_cast_double_to_decimal)},
      {"sluice_cast_bigint_to_decimal", AddressOf(&sluice_cast_bigint_to_decimal)},
      {"sluice_cast_decimal_to_decimal", AddressOf(&sluice_cast_decimal_to_decimal)},
      {"sluice_cast_decimal_to_bigint", AddressOf(&sluice_cast_decimal_to_bigint)},
      {"sluice_cast_decimal_to_double", AddressOf(&sluice_cast_decimal_to_double)},
      {"sluice_decimal_add", AddressOf(&sluice_decimal_add)},
      {"sluice_decimal_subtract", AddressOf(&sluice_decimal_subtract)},
      {"sluice_decimal_multiply", AddressOf(&sluice_decimal_multiply)},
      {"sluice_decimal_divide", AddressOf(&sluice_decimal_divide)},
      {"sluice_decimal_modulo", AddressOf(&sluice_decimal_modulo)},
      {"sluice_decimal_compare", AddressOf(&sluice_decimal_compare)},
      {"sluice_cast_string_to_interval", AddressOf(&sluice_cast_string_to_interval)},
      {"sluice_call_udf", AddressOf(&sluice_call_udf)},
      {"sluice_concat_ws", AddressOf(&sluice_concat_ws)},
      {"sluice_round_integer", AddressOf(&sluice_round_integer)},
      {"sluice_round_double", AddressOf(&sluice_round_double)},
      {"sluice_round_decimal", AddressOf(&sluice_round_decimal)},
      {"sluice_sign_double", AddressOf(&sluice_sign_double)},
      // LLVM lowers `frem` to fmod and may turn copy loops into memcpy/memset.
      {"fmod", AddressOf(fmod_double)},
      {"fmodf", AddressOf(fmod_float)},
      {"memcpy", AddressOf(&std::memcpy)},
      {"memmove", AddressOf(&std::memmove)},
      {"memset", AddressOf(&std::memset)},
  };
  // The helpers of the helper functions (catalog/functions/functions.def).
  for (const expr::HelperEntry& entry : expr::HelperEntries()) {
    symbols.push_back({entry.symbol, entry.address});
  }
  return symbols;
}

base::Result<void*> LookupLocked(JitEngineState& state, llvm::orc::ResourceTracker& tracker,
                                 std::string_view name) {
  auto address =
      state.lljit->lookup(tracker.getJITDylib(), llvm::StringRef(name.data(), name.size()));
  if (!address) return ToStatus(address.takeError(), fmt::format("JIT lookup of '{}'", name));
  return address->toPtr<void*>();
}

}  // namespace

JitCode::JitCode(std::shared_ptr<JitEngineState> engine, void* resource_tracker)
    : engine_(std::move(engine)), resource_tracker_(resource_tracker) {}

JitCode::~JitCode() {
  // Takes the ownership back from the raw pointer; removing frees the code and its symbols.
  llvm::orc::ResourceTrackerSP tracker(static_cast<llvm::orc::ResourceTracker*>(resource_tracker_));
  tracker->Release();
  if (llvm::Error error = tracker->remove()) {
    // Nothing useful to do in a destructor: the memory stays allocated until the engine dies.
    llvm::consumeError(std::move(error));
  }
}

base::Result<void*> JitCode::Lookup(std::string_view name) {
  std::lock_guard<std::mutex> lock(engine_->compile_mutex);
  return LookupLocked(*engine_, *static_cast<llvm::orc::ResourceTracker*>(resource_tracker_), name);
}

base::Result<std::unique_ptr<JitEngine>> JitEngine::Create() {
  SLUICE_RETURN_IF_ERROR(InitializeNativeTargetOnce());

  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder) return ToStatus(builder.takeError(), "detecting the host target");
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Default);
  auto target_machine = builder->createTargetMachine();
  if (!target_machine) return ToStatus(target_machine.takeError(), "creating a TargetMachine");

  auto state = std::make_shared<JitEngineState>();
  state->target_triple = builder->getTargetTriple().str();
  state->cpu_name = builder->getCPU();
  state->data_layout = (*target_machine)->createDataLayout().getStringRepresentation();
  state->target_machine = std::move(*target_machine);

  auto lljit = llvm::orc::LLJITBuilder()
                   .setJITTargetMachineBuilder(std::move(*builder))
                   .setLinkProcessSymbolsByDefault(false)
                   .setPlatformSetUp(llvm::orc::setUpInactivePlatform)
                   .create();
  if (!lljit) return ToStatus(lljit.takeError(), "creating the LLJIT");
  state->lljit = std::move(*lljit);

  llvm::orc::SymbolMap symbols;
  for (const HelperSymbol& helper : HelperSymbols()) {
    symbols[state->lljit->mangleAndIntern(helper.name)] = llvm::orc::ExecutorSymbolDef(
        llvm::orc::ExecutorAddr::fromPtr(helper.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable);
  }
  if (llvm::Error error =
          state->lljit->getMainJITDylib().define(llvm::orc::absoluteSymbols(std::move(symbols)))) {
    return ToStatus(std::move(error), "registering the kernel helpers");
  }
  return std::unique_ptr<JitEngine>(new JitEngine(std::move(state)));
}

JitEngine::JitEngine(std::shared_ptr<JitEngineState> state) : state_(std::move(state)) {}

JitEngine::~JitEngine() = default;

const std::string& JitEngine::target_triple() const {
  return state_->target_triple;
}
const std::string& JitEngine::cpu_name() const {
  return state_->cpu_name;
}
const std::string& JitEngine::data_layout() const {
  return state_->data_layout;
}

std::string JitEngine::UniqueName(std::string_view prefix) {
  return fmt::format("{}{}", prefix, state_->next_name.fetch_add(1));
}

CompileSession::CompileSession(JitEngine& engine)
    : state_(engine.state()), lock_(state_->compile_mutex) {}

llvm::TargetMachine& CompileSession::target_machine() {
  return *state_->target_machine;
}

base::Result<std::unique_ptr<JitCode>> CompileSession::AddModule(
    llvm::orc::ThreadSafeModule module) {
  llvm::orc::ResourceTrackerSP tracker = state_->lljit->getMainJITDylib().createResourceTracker();
  if (llvm::Error error = state_->lljit->addIRModule(tracker, std::move(module))) {
    return ToStatus(std::move(error), "adding a module to the JIT");
  }
  // JitCode holds the tracker's reference as a raw pointer so its header stays LLVM-free.
  tracker->Retain();
  return std::make_unique<JitCode>(state_, tracker.get());
}

base::Result<void*> CompileSession::Lookup(JitCode& code, std::string_view name) {
  return LookupLocked(*state_, *static_cast<llvm::orc::ResourceTracker*>(code.resource_tracker_),
                      name);
}

}  // namespace sluice::runtime::jit
