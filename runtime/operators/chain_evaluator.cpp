#include "runtime/operators/chain_evaluator.h"

#include "runtime/expr/interpreter.h"
#include "runtime/expr/user_function.h"

namespace sluice::runtime::operators {

namespace {

/// Whether two chains hold the very same expression objects (linking replaced none).
bool SameExpressions(const plan::ChainSpec& a, const plan::ChainSpec& b) {
  return a.filter == b.filter && a.projections == b.projections;
}

}  // namespace

base::Result<std::unique_ptr<ChainEvaluator>> ChainEvaluator::Create(
    const plan::ChainSpec& spec, expr::ChainCompiler* compiler) {
  auto evaluator = std::unique_ptr<ChainEvaluator>(new ChainEvaluator());
  evaluator->spec_ = spec;
  // A plan read from JSON only names its user functions: their libraries load when the chain
  // is built (Job::Create links the whole plan first), never when a plan is read.
  SLUICE_RETURN_IF_ERROR(expr::LinkUserFunctions(&evaluator->spec_));
  for (const auto& projection : spec.projections) {
    evaluator->output_types_.push_back(projection->type);
  }
  if (compiler != nullptr) {
    // The plan's own spec when it needed no linking: a job's compiler caches by its address.
    bool linked_here = !SameExpressions(evaluator->spec_, spec);
    const plan::ChainSpec& compiled = linked_here ? evaluator->spec_ : spec;
    if (auto* background = dynamic_cast<BackgroundChainCompiler*>(compiler)) {
      evaluator->pending_ = background->CompileInBackground(compiled);
    } else {
      SLUICE_ASSIGN_OR_RETURN(evaluator->compiled_, compiler->Compile(compiled));
    }
  }
  return evaluator;
}

base::Result<std::shared_ptr<Batch>> ChainEvaluator::Evaluate(const Batch& input) const {
  if (spec_.filter && input.has_row_kinds()) {
    // Filtering compacts rows, which would separate them from their row kinds; the planner
    // turns such filters into a projection (PlanNode::filter_as_last_projection).
    return base::Status::Error(base::ErrorCode::kInternal,
                               "a filtering chain received an updating batch");
  }
  if (pending_ && pending_->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
    const auto& result = pending_->get();
    if (!result.ok()) return result.status();
    compiled_ = result.value();
    pending_.reset();
  }
  auto output = std::make_shared<Batch>(output_types_);
  if (compiled_ == nullptr) {
    SLUICE_RETURN_IF_ERROR(expr::EvaluateChain(spec_, input, output.get()));
  } else {
    // Columns are stable for the batch's lifetime; the kernel only reads inputs.
    SluiceKernelColumn inputs[256];
    SluiceKernelColumn outputs[256];
    std::vector<SluiceKernelColumn> large_inputs, large_outputs;
    SluiceKernelColumn* input_columns = inputs;
    SluiceKernelColumn* output_columns = outputs;
    if (input.column_count() > 256) {
      large_inputs.resize(input.column_count());
      input_columns = large_inputs.data();
    }
    if (output->column_count() > 256) {
      large_outputs.resize(output->column_count());
      output_columns = large_outputs.data();
    }
    for (size_t i = 0; i < input.column_count(); ++i) {
      auto& column = const_cast<Column&>(input.column(i));
      input_columns[i] = {column.data(), column.validity()};
    }
    for (size_t i = 0; i < output->column_count(); ++i) {
      output_columns[i] = {output->column(i).data(), output->column(i).validity()};
    }
    SluiceKernelContext context{&output->arena()};
    int32_t rows = compiled_->kernel()(input_columns, output_columns, input.row_count(), &context);
    // Set by a failing user-defined function (kernel_abi.h).
    if (context.error != nullptr) {
      return base::Status::Error(base::ErrorCode::kRuntime, context.error);
    }
    output->set_row_count(rows);
  }
  if (input.has_row_kinds()) {
    uint8_t* kinds = output->EnableRowKinds();
    for (int32_t row = 0; row < output->row_count(); ++row) {
      kinds[row] = static_cast<uint8_t>(input.row_kind(row));
    }
  }
  output->RetainArenasOf(input);
  return output;
}

}  // namespace sluice::runtime::operators
