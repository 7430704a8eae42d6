#include "runtime/operators/set_operation_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "runtime/operators/row_writer.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "set operation '" + node.uid + "' is malformed: " + problem);
}

bool IsRetraction(RowKind kind) {
  return kind == RowKind::kUpdateBefore || kind == RowKind::kDelete;
}

/// The value of a "counts" entry: the left count, then the right count, each 8 bytes
/// little-endian.
constexpr size_t kCountsSize = 16;

void EncodeCounts(const int64_t counts[2], std::string* out) {
  out->clear();
  for (int side = 0; side < 2; ++side) {
    auto bits = static_cast<uint64_t>(counts[side]);
    for (int shift = 0; shift < 64; shift += 8) out->push_back(static_cast<char>(bits >> shift));
  }
}

void DecodeCounts(std::string_view bytes, int64_t counts[2]) {
  for (int side = 0; side < 2; ++side) {
    uint64_t bits = 0;
    for (size_t i = 0; i < 8; ++i) {
      bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[side * 8 + i])) << (8 * i);
    }
    counts[side] = static_cast<int64_t>(bits);
  }
}

}  // namespace

base::Status SetOperationOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->set_operation) return Malformed(*node_, "no set operation specification");
  spec_ = *node_->set_operation;
  max_parallelism_ = context.max_parallelism;
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    if (slot.type.id() == types::TypeId::kRow) {
      return Malformed(*node_, "a ROW column in the rows it compares");
    }
    slots_.push_back(static_cast<int32_t>(types_.size()));
    types_.push_back(slot.type);
  }
  codec_ = std::make_unique<state::RowCodec>(types_);
  row_kinds_ = node_->changelog_mode == plan::ChangelogMode::kUpdating;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  SLUICE_ASSIGN_OR_RETURN(table_, context.state_backend->GetTable(node_->uid, "counts"));
  return base::Status::Ok();
}

int64_t SetOperationOperator::Multiplicity(int64_t left, int64_t right) const {
  if (spec_.kind == plan::SetOperationKind::kIntersect) {
    return spec_.all ? std::min(left, right) : (left > 0 && right > 0 ? 1 : 0);
  }
  return spec_.all ? std::max<int64_t>(left - right, 0) : (left > 0 && right == 0 ? 1 : 0);
}

base::Status SetOperationOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0 && input != 1) return Malformed(*node_, fmt::format("no input {}", input));
  if (batch->column_count() != types_.size()) {
    return Malformed(*node_, fmt::format("input {} has {} columns, not {}", input,
                                         batch->column_count(), types_.size()));
  }
  for (size_t column = 0; column < types_.size(); ++column) {
    if (batch->column(column).type().id() != types_[column].id()) {
      return Malformed(
          *node_, fmt::format("input {} column {} is {}, not {}", input, column,
                              batch->column(column).type().ToString(), types_[column].ToString()));
    }
  }
  RowWriter writer(&types_, row_kinds_, out);
  std::string key;
  std::string value;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    key.clear();
    codec_->Encode(*batch, slots_, row, &key);
    int32_t key_group = scheduler::KeyGroupOfRow(*batch, slots_, row, max_parallelism_);
    int64_t counts[2] = {0, 0};
    bool present = table_->Get(key_group, key, {}, &value);
    if (present) {
      if (value.size() != kCountsSize) {
        return base::Status::Error(
            base::ErrorCode::kData,
            fmt::format("set operation '{}': stored counts have {} bytes, not {}", node_->uid,
                        value.size(), kCountsSize));
      }
      DecodeCounts(value, counts);
    }
    int64_t before = Multiplicity(counts[0], counts[1]);
    if (IsRetraction(batch->row_kind(row))) {
      if (counts[input] == 0) continue;  // nothing to retract
      --counts[input];
    } else {
      ++counts[input];
    }
    if (counts[0] == 0 && counts[1] == 0) {
      table_->Delete(key_group, key, {});
    } else {
      EncodeCounts(counts, &value);
      table_->Put(key_group, key, {}, value);
    }
    int64_t after = Multiplicity(counts[0], counts[1]);
    RowKind kind = after > before ? RowKind::kInsert : RowKind::kDelete;
    for (int64_t copy = 0; copy < std::abs(after - before); ++copy) {
      SLUICE_ASSIGN_OR_RETURN(auto target, writer.NextRow(kind));
      SLUICE_RETURN_IF_ERROR(codec_->Decode(key, target.first, target.second, 0));
    }
  }
  return writer.Flush();
}

}  // namespace sluice::runtime::operators
