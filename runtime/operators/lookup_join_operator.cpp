#include "runtime/operators/lookup_join_operator.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "lookup join '" + node.uid + "' is malformed: " + problem);
}

bool AnyNull(const Batch& batch, const std::vector<int32_t>& slots, int32_t row) {
  for (int32_t slot : slots) {
    if (batch.column(slot).IsNull(row)) return true;
  }
  return false;
}

}  // namespace

LookupJoinOperator::LookupJoinOperator() = default;
LookupJoinOperator::~LookupJoinOperator() = default;

base::Status LookupJoinOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->lookup_join) return Malformed(*node_, "no lookup join specification");
  spec_ = *node_->lookup_join;
  left_outer_ = spec_.type == plan::JoinType::kLeft;
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  if (spec_.table_output_slots < 0 ||
      static_cast<size_t>(spec_.table_output_slots) > output_types_.size()) {
    return Malformed(*node_, fmt::format("{} table slots in an output of {}",
                                         spec_.table_output_slots, output_types_.size()));
  }
  input_width_ = output_types_.size() - static_cast<size_t>(spec_.table_output_slots);
  for (const auto& slot : types::FlattenSchema(spec_.table.schema)) {
    table_types_.push_back(slot.type);
  }
  if (spec_.table_chain) {
    if (spec_.table_chain->input_types != table_types_) {
      return Malformed(*node_, "the table chain does not read the table's columns");
    }
    SLUICE_ASSIGN_OR_RETURN(table_chain_,
                            ChainEvaluator::Create(*spec_.table_chain, context.chain_compiler));
    table_types_ = table_chain_->output_types();
  }
  if (table_types_.size() < static_cast<size_t>(spec_.table_output_slots)) {
    return Malformed(*node_, "the table row is narrower than its output columns");
  }
  for (size_t i = 0; i < static_cast<size_t>(spec_.table_output_slots); ++i) {
    if (table_types_[i] != output_types_[input_width_ + i]) {
      return Malformed(*node_, fmt::format("table column {} has the wrong type", i + 1));
    }
  }
  if (spec_.left_key_slots.empty() || spec_.left_key_slots.size() != spec_.table_key_slots.size()) {
    return Malformed(*node_,
                     fmt::format("{} input keys for {} table keys", spec_.left_key_slots.size(),
                                 spec_.table_key_slots.size()));
  }
  std::vector<types::LogicalType> key_types;
  for (size_t i = 0; i < spec_.left_key_slots.size(); ++i) {
    int32_t left = spec_.left_key_slots[i];
    int32_t right = spec_.table_key_slots[i];
    if (left < 0 || static_cast<size_t>(left) >= input_width_ || right < 0 ||
        static_cast<size_t>(right) >= table_types_.size() ||
        output_types_[left] != table_types_[right] ||
        table_types_[right].id() == types::TypeId::kRow) {
      return Malformed(*node_, fmt::format("key {} (input slot {}, table slot {}) does not match",
                                           i + 1, left, right));
    }
    key_types.push_back(table_types_[right]);
  }
  key_codec_ = std::make_unique<state::RowCodec>(key_types);
  if (spec_.residual) {
    if (spec_.residual->type.id() != types::TypeId::kBoolean) {
      return Malformed(*node_, "the residual condition is not BOOLEAN");
    }
    plan::ChainSpec chain{output_types_, nullptr, {spec_.residual}};
    SLUICE_ASSIGN_OR_RETURN(residual_, ChainEvaluator::Create(chain, context.chain_compiler));
  }
  return LoadTable(context);
}

base::Status LookupJoinOperator::LoadTable(const OperatorContext& context) {
  auto connector_option = spec_.table.options.find("connector");
  const connectors::Connector* connector =
      connector_option == spec_.table.options.end()
          ? nullptr
          : connectors::FindConnector(connector_option->second);
  if (connector == nullptr) return Malformed(*node_, "the table has no known connector");
  // Every subtask reads all of the table: it asks for the share of subtask 0 of 1.
  connectors::SubtaskInfo whole{0, 1, context.subtask.job_name, context.subtask.job_id};
  auto fail = [&](const base::Status& status) {
    return base::Status::Error(
        status.code(), fmt::format("lookup join '{}' cannot load table '{}': {}", node_->uid,
                                   spec_.table.name, status.message()));
  };
  auto reader = connector->CreateReader(spec_.table, whole);
  if (!reader.ok()) return fail(reader.status());
  if (!reader.value()->IsBounded()) {
    return fail(base::Status::Error(base::ErrorCode::kData, "the table is unbounded"));
  }
  std::vector<types::LogicalType> physical_types;
  for (const auto& slot : types::FlattenSchema(spec_.table.schema)) {
    physical_types.push_back(slot.type);
  }
  strings_ = std::make_shared<Batch>();
  while (true) {
    Batch batch(physical_types);
    auto more = reader.value()->Next(&batch);
    if (!more.ok()) return fail(more.status());
    if (batch.row_count() > 0) {
      if (table_chain_) {
        auto rows = table_chain_->Evaluate(batch);
        if (!rows.ok()) return fail(rows.status());
        Store(*rows.value());
      } else {
        Store(batch);
      }
    }
    if (!more.value()) break;
    // A rate-limited table has nothing to read right now: wait a little (this is Open, on
    // the job's setup thread, not a scheduler task).
    if (batch.row_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return base::Status::Ok();
}

void LookupJoinOperator::Store(const Batch& rows) {
  for (int32_t row = 0; row < rows.row_count(); ++row) {
    if (table_.empty() || table_.back()->row_count() == kBatchCapacity) {
      table_.push_back(std::make_unique<Batch>(table_types_));
    }
    Batch& target = *table_.back();
    int32_t target_row = target.row_count();
    for (size_t column = 0; column < table_types_.size(); ++column) {
      Column& to = target.column(column);
      CopyCell(rows.column(column), row, &to, target_row);
      if (table_types_[column].IsStringStored() && !to.IsNull(target_row)) {
        StringRef& value = to.values<StringRef>()[target_row];
        value = strings_->arena().Copy(value.view());
      }
    }
    target.set_row_count(target_row + 1);
    ++table_rows_;
    if (AnyNull(target, spec_.table_key_slots, target_row)) continue;  // never matches
    key_.clear();
    key_codec_->Encode(target, spec_.table_key_slots, target_row, &key_);
    index_[key_].push_back(TableRow{static_cast<uint32_t>(table_.size() - 1), target_row});
  }
}

const std::vector<LookupJoinOperator::TableRow>* LookupJoinOperator::Lookup(const Batch& input,
                                                                            int32_t row) {
  if (AnyNull(input, spec_.left_key_slots, row)) return nullptr;
  key_.clear();
  key_codec_->Encode(input, spec_.left_key_slots, row, &key_);
  auto found = index_.find(key_);
  return found == index_.end() ? nullptr : &found->second;
}

base::Status LookupJoinOperator::ProcessBatch(int32_t /*input*/, BatchPtr batch, Output* out) {
  const Batch& input = *batch;
  if (input.column_count() != input_width_) {
    return Malformed(*node_, fmt::format("an input batch of {} columns, expected {}",
                                         input.column_count(), input_width_));
  }
  current_input_row_ = -1;
  for (int32_t row = 0; row < input.row_count(); ++row) {
    const std::vector<TableRow>* matches = Lookup(input, row);
    if (matches != nullptr) {
      for (const TableRow& match : *matches) {
        SLUICE_RETURN_IF_ERROR(Append(input, row, &match, out));
      }
    }
    // With a residual, whether a match survives is known only after evaluating it: the padded
    // row is written after the candidates and kept only if none of them is.
    if (left_outer_ && (matches == nullptr || residual_)) {
      SLUICE_RETURN_IF_ERROR(Append(input, row, nullptr, out));
    }
  }
  return Flush(out);
}

base::Status LookupJoinOperator::Append(const Batch& input, int32_t row, const TableRow* match,
                                        Output* out) {
  if (pending_ && pending_->row_count() == kBatchCapacity) SLUICE_RETURN_IF_ERROR(Flush(out));
  if (!pending_) {
    pending_ = std::make_shared<Batch>(output_types_);
    pending_->RetainArenasOf(*strings_);
    retained_input_ = nullptr;
    entries_.clear();
  }
  if (retained_input_ != &input) {
    pending_->RetainArenasOf(input);
    retained_input_ = &input;
  }
  int32_t target = pending_->row_count();
  for (size_t column = 0; column < input_width_; ++column) {
    CopyCell(input.column(column), row, &pending_->column(column), target);
  }
  if (match != nullptr) {
    const Batch& table = *table_[match->batch];
    for (size_t column = 0; column < static_cast<size_t>(spec_.table_output_slots); ++column) {
      CopyCell(table.column(column), match->row, &pending_->column(input_width_ + column), target);
    }
  }  // else: a new batch's columns are NULL
  RowKind kind = input.row_kind(row);
  if (kind != RowKind::kInsert) {
    if (!pending_->has_row_kinds()) pending_->EnableRowKinds();
    pending_->row_kinds()[target] = static_cast<uint8_t>(kind);
  }
  pending_->set_row_count(target + 1);
  entries_.push_back(Entry{row, match == nullptr});
  return base::Status::Ok();
}

base::Status LookupJoinOperator::Flush(Output* out) {
  BatchPtr batch = std::move(pending_);
  pending_.reset();
  retained_input_ = nullptr;
  if (!batch || batch->row_count() == 0) return base::Status::Ok();
  if (!residual_) return out->EmitBatch(std::move(batch));
  SLUICE_ASSIGN_OR_RETURN(auto verdict, residual_->Evaluate(*batch));
  const Column& passed = verdict->column(0);
  std::vector<int32_t> kept;
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    const Entry& entry = entries_[row];
    // Entries of one input row are adjacent and may span flushes.
    if (entry.input_row != current_input_row_) {
      current_input_row_ = entry.input_row;
      current_matched_ = false;
    }
    bool keep = entry.padded ? !current_matched_
                             : !passed.IsNull(row) && passed.values<uint8_t>()[row] != 0;
    if (keep && !entry.padded) current_matched_ = true;
    if (keep) kept.push_back(row);
  }
  if (kept.size() == static_cast<size_t>(batch->row_count())) return out->EmitBatch(batch);
  if (kept.empty()) return base::Status::Ok();
  auto compact = std::make_shared<Batch>(output_types_);
  compact->AppendRows(*batch, kept.data(), static_cast<int32_t>(kept.size()));
  return out->EmitBatch(std::move(compact));
}

}  // namespace sluice::runtime::operators
