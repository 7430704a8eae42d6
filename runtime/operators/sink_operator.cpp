#include "runtime/operators/sink_operator.h"

namespace sluice::runtime::operators {

base::Status SinkOperator::Open(const OperatorContext& context) {
  metrics_ = context.metrics;
  const connectors::TableDescriptor& table = *context.node->table;
  auto name = table.options.find("connector");
  const connectors::Connector* connector =
      name == table.options.end() ? nullptr : connectors::FindConnector(name->second);
  if (connector == nullptr) {
    return base::Status::Error(
        base::ErrorCode::kOption,
        name == table.options.end()
            ? "table '" + table.name + "' names no 'connector'"
            : "table '" + table.name + "': unknown connector '" + name->second + "'");
  }
  SLUICE_ASSIGN_OR_RETURN(writer_, connector->CreateWriter(table, context.subtask));
  can_transact_ = context.checkpointing && writer_->SupportsTransactions();
  shadow_control_ = context.shadow;
  // In shadow the restored transactions are the running version's, which commits them itself.
  shadow_ = shadow_control_ != nullptr && !shadow_control_->live();
  if (can_transact_ && !shadow_) {
    SLUICE_RETURN_IF_ERROR(writer_->EnableTransactions());
    transactional_ = true;
  }
  if (context.restoring && !shadow_) {
    SLUICE_RETURN_IF_ERROR(writer_->Recover(context.restored_transactions));
  }
  if (context.node->chain) {
    SLUICE_ASSIGN_OR_RETURN(cast_,
                            ChainEvaluator::Create(*context.node->chain, context.chain_compiler));
  }
  return base::Status::Ok();
}

base::Status SinkOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (shadow_) {
    shadow_control_->CountDiscarded(batch->row_count());
    return base::Status::Ok();
  }
  if (cast_) {
    SLUICE_ASSIGN_OR_RETURN(batch, cast_->Evaluate(*batch));
  }
  metrics_->rows_out.fetch_add(batch->row_count(), std::memory_order_relaxed);
  return writer_->Write(*batch);
}

base::Status SinkOperator::ProcessWatermark(int64_t watermark, Output* out) {
  metrics_->watermark.store(watermark, std::memory_order_relaxed);
  return base::Status::Ok();
}

base::Status SinkOperator::Finish(Output* out) {
  if (shadow_) return base::Status::Ok();  // nothing was written
  return writer_->Finish();
}

base::Result<std::string> SinkOperator::PrepareSnapshot(const Barrier& barrier) {
  if (shadow_) {
    // Everything before the handover barrier was the old version's to write; everything after
    // it is this sink's, in transactions of its own run id.
    if (barrier.kind == BarrierKind::kHandover) {
      shadow_ = false;
      if (can_transact_) {
        SLUICE_RETURN_IF_ERROR(writer_->EnableTransactions());
        transactional_ = true;
      }
    }
    return std::string();
  }
  if (transactional_) return writer_->PreCommit(barrier.id);
  // Without transactions nothing waits for a commit: what was written is made visible at the
  // barrier (at a stop, the job writes nothing after it; at-least-once sinks flush here).
  SLUICE_RETURN_IF_ERROR(writer_->Flush());
  return std::string();
}

base::Status SinkOperator::NotifyCheckpointComplete(int64_t checkpoint_id) {
  if (!transactional_) return base::Status::Ok();
  return writer_->Commit(checkpoint_id);
}

}  // namespace sluice::runtime::operators
