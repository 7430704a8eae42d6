#include "runtime/operators/match_recognize_operator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "runtime/operators/match_recognize_partition.h"
#include "runtime/operators/sort_key.h"
#include "runtime/scheduler/key_group.h"

namespace sluice::runtime::operators {

using plan::MatchAccessorKind;
using plan::MatchInstructionKind;
using types::TypeId;

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "MATCH_RECOGNIZE '" + node.uid + "' is malformed: " + problem);
}

// Little-endian fields of the "rows" and "matches" values (see the header).
void PutFixed(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool Fixed(int bytes, uint64_t* value) {
    if (bytes_.size() - position_ < static_cast<size_t>(bytes)) return false;
    *value = 0;
    for (int i = 0; i < bytes; ++i) {
      *value |= uint64_t{static_cast<uint8_t>(bytes_[position_ + i])} << (8 * i);
    }
    position_ += bytes;
    return true;
  }
  bool Bytes(size_t length, std::string_view* out) {
    if (bytes_.size() - position_ < length) return false;
    *out = bytes_.substr(position_, length);
    position_ += length;
    return true;
  }
  bool done() const { return position_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t position_ = 0;
};

}  // namespace

MatchRecognizeOperator::MatchRecognizeOperator() = default;
MatchRecognizeOperator::~MatchRecognizeOperator() = default;

void MatchRecognizeOperator::BuildClosure(int32_t pc, std::vector<size_t> blockers,
                                          std::set<int32_t>* visited, Closure* closure) const {
  if (pc < 0 || static_cast<size_t>(pc) >= spec_.program.size()) return;
  if (!visited->insert(pc).second) return;
  const plan::MatchInstruction& instruction = spec_.program[pc];
  switch (instruction.kind) {
    case MatchInstructionKind::kVariable:
      closure->candidates.push_back(Candidate{pc, instruction.variable, std::move(blockers)});
      return;
    case MatchInstructionKind::kMatch: closure->matches = true; return;
    case MatchInstructionKind::kJump:
      BuildClosure(instruction.next, std::move(blockers), visited, closure);
      return;
    case MatchInstructionKind::kSplit: {
      const size_t before = closure->candidates.size();
      BuildClosure(instruction.next, blockers, visited, closure);
      if (instruction.exclusive) {
        for (size_t i = before; i < closure->candidates.size(); ++i) blockers.push_back(i);
      }
      BuildClosure(instruction.alternative, std::move(blockers), visited, closure);
      return;
    }
  }
}

base::Status MatchRecognizeOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->match_recognize) return Malformed(*node_, "no match_recognize spec");
  spec_ = *node_->match_recognize;
  max_parallelism_ = context.max_parallelism;
  metrics_ = context.metrics;
  if (context.state_backend == nullptr) return Malformed(*node_, "no state backend");
  const plan::StateSpec* matches_spec = nullptr;
  for (const plan::StateSpec& state : node_->state) {
    if (state.name == "matches") matches_spec = &state;
  }
  if (matches_spec == nullptr) return Malformed(*node_, "no \"matches\" state");
  input_types_ = types::SlotTypes(matches_spec->value_schema);
  // Check every slot the spec names, so that no damaged plan reaches an out-of-range access.
  const auto slots = static_cast<int32_t>(input_types_.size());
  const auto variables = static_cast<int32_t>(spec_.variables.size());
  const auto instructions = static_cast<int32_t>(spec_.program.size());
  auto bad_slot = [&](int32_t slot) { return slot < 0 || slot >= slots; };
  for (int32_t slot : spec_.partition_slots) {
    if (bad_slot(slot)) return Malformed(*node_, "a partition slot is out of range");
  }
  for (const plan::SortKey& key : spec_.order_keys) {
    if (bad_slot(key.slot) || input_types_[key.slot].id() == TypeId::kRow) {
      return Malformed(*node_, "an ORDER BY slot is out of range");
    }
  }
  if (bad_slot(spec_.order_slot) || input_types_[spec_.order_slot].id() != TypeId::kTimestamp) {
    return Malformed(*node_, "the order slot is not a TIMESTAMP slot");
  }
  if (instructions == 0 || spec_.defines.size() != spec_.variables.size()) {
    return Malformed(*node_, "no program, or not one DEFINE per variable");
  }
  for (const plan::MatchInstruction& instruction : spec_.program) {
    auto bad_target = [&](int32_t pc) { return pc < 0 || pc >= instructions; };
    bool bad = false;
    switch (instruction.kind) {
      case MatchInstructionKind::kVariable:
        bad = instruction.variable < 0 || instruction.variable >= variables ||
              bad_target(instruction.next);
        break;
      case MatchInstructionKind::kSplit:
        bad = bad_target(instruction.next) || bad_target(instruction.alternative);
        break;
      case MatchInstructionKind::kJump: bad = bad_target(instruction.next); break;
      case MatchInstructionKind::kMatch: break;
    }
    if (bad) return Malformed(*node_, "an instruction of the pattern's program is out of range");
  }
  if ((spec_.skip == plan::MatchSkip::kToFirst || spec_.skip == plan::MatchSkip::kToLast) &&
      (spec_.skip_variable < 0 || spec_.skip_variable >= variables)) {
    return Malformed(*node_, "the AFTER MATCH SKIP variable is out of range");
  }
  // Accessors read the input's slots and the row expressions' (after them).
  row_types_ = input_types_;
  for (const plan::ExprPtr& expression : spec_.row_expressions) {
    if (expression == nullptr) return Malformed(*node_, "a row expression is missing");
    row_types_.push_back(expression->type);
  }
  const auto row_slots = static_cast<int32_t>(row_types_.size());
  auto bad_row_slot = [&](int32_t slot) { return slot < 0 || slot >= row_slots; };
  auto check_accessors = [&](const std::vector<plan::MatchAccessor>& accessors) {
    for (const plan::MatchAccessor& accessor : accessors) {
      if (accessor.variable < -1 || accessor.variable >= variables || accessor.offset < 0) {
        return false;
      }
      switch (accessor.kind) {
        case MatchAccessorKind::kMatchRowtime:
          if (accessor.type.id() != TypeId::kTimestamp) return false;
          break;
        case MatchAccessorKind::kMatchProctime: return false;  // PROCTIME() in the measure
        case MatchAccessorKind::kClassifier:
          if (accessor.type.id() != TypeId::kVarchar) return false;
          break;
        case MatchAccessorKind::kCount:
          if (accessor.type.id() != TypeId::kBigint) return false;
          if (accessor.slot != -1 && bad_row_slot(accessor.slot)) return false;
          break;
        case MatchAccessorKind::kSum:
        case MatchAccessorKind::kAverage: {
          if (bad_row_slot(accessor.slot)) return false;
          TypeId id = row_types_[accessor.slot].id();
          if ((id != TypeId::kInt && id != TypeId::kBigint && id != TypeId::kDouble) ||
              accessor.type.id() != id) {
            return false;
          }
          break;
        }
        default: {
          if (bad_row_slot(accessor.slot) || !(row_types_[accessor.slot] == accessor.type)) {
            return false;
          }
          TypeId id = accessor.type.id();
          if ((accessor.kind == MatchAccessorKind::kMin ||
               accessor.kind == MatchAccessorKind::kMax) &&
              (id == TypeId::kVarchar || id == TypeId::kBoolean || id == TypeId::kRow ||
               id == TypeId::kNull)) {
            return false;
          }
          break;
        }
      }
    }
    return true;
  };
  for (int32_t variable = 0; variable < variables; ++variable) {
    const plan::MatchExpression& define = spec_.defines[variable];
    if (!check_accessors(define.accessors)) {
      return Malformed(*node_, "an accessor of a DEFINE is out of range");
    }
    if (define.expression == nullptr) {
      defines_.push_back(nullptr);
      define_batches_.push_back(nullptr);
      continue;
    }
    plan::ChainSpec chain;
    for (const plan::MatchAccessor& accessor : define.accessors) {
      chain.input_types.push_back(accessor.type);
    }
    chain.projections.push_back(define.expression);
    SLUICE_ASSIGN_OR_RETURN(auto evaluator, ChainEvaluator::Create(chain, context.chain_compiler));
    define_batches_.push_back(std::make_unique<Batch>(chain.input_types));
    if (evaluator->output_types().size() != 1 ||
        evaluator->output_types()[0].id() != TypeId::kBoolean) {
      return Malformed(*node_, "a DEFINE is not BOOLEAN");
    }
    defines_.push_back(std::move(evaluator));
  }
  if (!check_accessors(spec_.measure_accessors)) {
    return Malformed(*node_, "an accessor of a measure is out of range");
  }
  plan::ChainSpec measures;
  for (const plan::MatchAccessor& accessor : spec_.measure_accessors) {
    measures.input_types.push_back(accessor.type);
  }
  measure_input_types_ = measures.input_types;
  measures.projections = spec_.measures;
  SLUICE_ASSIGN_OR_RETURN(measures_, ChainEvaluator::Create(measures, context.chain_compiler));
  if (!(measures_->output_types() == types::SlotTypes(node_->output_schema))) {
    return Malformed(*node_, "the measures do not have the output's types");
  }
  if (!spec_.row_expressions.empty()) {
    plan::ChainSpec derived;
    derived.input_types = row_types_;
    derived.projections = spec_.row_expressions;
    SLUICE_ASSIGN_OR_RETURN(row_expressions_,
                            ChainEvaluator::Create(derived, context.chain_compiler));
  }
  for (size_t pc = 0; pc < spec_.program.size(); ++pc) {
    Closure closure;
    std::set<int32_t> visited;
    BuildClosure(static_cast<int32_t>(pc), {}, &visited, &closure);
    closures_.push_back(std::move(closure));
  }
  std::vector<types::LogicalType> key_types;
  for (int32_t slot : spec_.partition_slots) key_types.push_back(input_types_[slot]);
  key_codec_ = std::make_unique<state::RowCodec>(std::move(key_types));
  row_codec_ = std::make_unique<state::FullRowCodec>(input_types_);
  SLUICE_ASSIGN_OR_RETURN(matches_table_, context.state_backend->GetTable(node_->uid, "matches"));
  if (spec_.within_millis >= 0) {
    ForEachOwnedEntry(
        context, *matches_table_,
        [&](int32_t key_group, std::string_view key, std::string_view, std::string_view value) {
          Reader reader(value);
          uint64_t next_row = 0, earliest = 0;
          if (!reader.Fixed(8, &next_row) || !reader.Fixed(8, &earliest)) return;
          // Only complete matches left (none partial): nothing expires.
          if (static_cast<int64_t>(earliest) == std::numeric_limits<int64_t>::max()) {
            return;
          }
          expiries_[static_cast<int64_t>(earliest) + spec_.within_millis].emplace(key_group,
                                                                                  std::string(key));
        });
  }
  if (spec_.event_time) {
    SLUICE_ASSIGN_OR_RETURN(auto* rows_table, context.state_backend->GetTable(node_->uid, "rows"));
    rows_.Open(context, rows_table);
    SLUICE_ASSIGN_OR_RETURN(watermark_, watermark_state_.Open(context));
  }
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::ProcessBatch(int32_t input, BatchPtr batch, Output* out) {
  if (input != 0) return Malformed(*node_, fmt::format("no input {}", input));
  if (batch->column_count() != input_types_.size()) {
    return Malformed(*node_, fmt::format("the input has {} columns, not {}", batch->column_count(),
                                         input_types_.size()));
  }
  const Column& times = batch->column(spec_.order_slot);
  int64_t late = 0;
  std::string key, row_bytes;
  std::map<KeyRef, std::vector<NewRow>> arrived;  // processing time: rows in arrival order
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    if (times.IsNull(row)) {
      ++late;
      continue;
    }
    const int64_t time = times.values<int64_t>()[row];
    const int32_t key_group =
        scheduler::KeyGroupOfRow(*batch, spec_.partition_slots, row, max_parallelism_);
    key.clear();
    key_codec_->Encode(*batch, spec_.partition_slots, row, &key);
    row_bytes.clear();
    row_codec_->Encode(*batch, row, &row_bytes);
    if (!spec_.event_time) {
      arrived[{key_group, key}].push_back(NewRow{time, row_bytes, {}});
      continue;
    }
    if (time <= watermark_state_.KeyGroupWatermark(key_group, watermark_)) {
      ++late;
      continue;
    }
    std::string sort_key;
    if (!spec_.order_keys.empty()) AppendSortKey(*batch, row, spec_.order_keys, &sort_key);
    rows_.Add(key_group, key, time, sort_key, row_bytes);
  }
  for (auto& [key_ref, rows] : arrived) {
    SLUICE_RETURN_IF_ERROR(ProcessKey(key_ref, std::move(rows), out));
  }
  SLUICE_RETURN_IF_ERROR(FlushMatches(out));
  if (late > 0 && metrics_ != nullptr) {
    metrics_->late_records_dropped.fetch_add(late, std::memory_order_relaxed);
  }
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::ProcessWatermark(int64_t watermark, Output* out) {
  if (!spec_.event_time) return out->EmitWatermark(watermark);
  if (watermark <= watermark_) return base::Status::Ok();
  watermark_ = watermark;
  watermark_state_.Store(watermark);
  SLUICE_RETURN_IF_ERROR(
      rows_.TakeUntil(watermark, [&](const KeyRef& key, std::vector<NewRow> rows) -> base::Status {
        return ProcessKey(key, std::move(rows), out);
      }));
  // Partial matches that no row after the watermark can complete within WITHIN.
  if (spec_.within_millis >= 0) {
    std::set<KeyRef> expiring;
    while (!expiries_.empty() && expiries_.begin()->first <= watermark) {
      expiring.merge(expiries_.begin()->second);
      expiries_.erase(expiries_.begin());
    }
    const int64_t next_time =
        watermark == std::numeric_limits<int64_t>::max() ? watermark : watermark + 1;
    for (const KeyRef& key : expiring) {
      Partition partition;
      SLUICE_RETURN_IF_ERROR(LoadPartition(key, &partition));
      Expire(&partition, next_time);
      SLUICE_RETURN_IF_ERROR(EmitReady(&partition, out));
      SavePartition(key, partition);
    }
  }
  SLUICE_RETURN_IF_ERROR(FlushMatches(out));
  return out->EmitWatermark(watermark);
}

base::Status MatchRecognizeOperator::LoadPartition(const KeyRef& key, Partition* partition) {
  std::string value;
  if (!matches_table_->Get(key.first, key.second, "", &value)) return base::Status::Ok();
  Reader reader(value);
  uint64_t next_row = 0, earliest = 0, row_count = 0, thread_count = 0;
  if (!reader.Fixed(8, &next_row) || !reader.Fixed(8, &earliest) || !reader.Fixed(4, &row_count)) {
    return Malformed(*node_, "a \"matches\" value is damaged");
  }
  partition->next_row = next_row;
  for (uint64_t i = 0; i < row_count; ++i) {
    uint64_t number = 0, time = 0, length = 0;
    std::string_view bytes;
    if (!reader.Fixed(8, &number) || !reader.Fixed(8, &time) || !reader.Fixed(4, &length) ||
        !reader.Bytes(length, &bytes)) {
      return Malformed(*node_, "a \"matches\" value is damaged");
    }
    if (i == 0) partition->first_row = number;
    if (number != partition->first_row + i || number >= next_row) {
      return Malformed(*node_, "the rows of a \"matches\" value are not consecutive");
    }
    const size_t index = i;
    if (index % kBatchCapacity == 0)
      partition->chunks.push_back(std::make_unique<Batch>(row_types_));
    Batch& chunk = *partition->chunks.back();
    SLUICE_RETURN_IF_ERROR(
        row_codec_->Decode(bytes, &chunk, static_cast<int32_t>(index % kBatchCapacity), 0));
    chunk.set_row_count(static_cast<int32_t>(index % kBatchCapacity) + 1);
    partition->times.push_back(static_cast<int64_t>(time));
    partition->encoded.emplace_back(bytes);
  }
  if (row_count == 0) partition->first_row = next_row;
  SLUICE_RETURN_IF_ERROR(ComputeRowExpressions(partition));
  for (std::vector<Thread>* list : {&partition->threads, &partition->completed}) {
    if (!reader.Fixed(4, &thread_count)) {
      return Malformed(*node_, "a \"matches\" value is damaged");
    }
    for (uint64_t i = 0; i < thread_count; ++i) {
      Thread thread;
      uint64_t first_row = 0, first_time = 0, pc = 0, steps = 0;
      if (!reader.Fixed(8, &first_row) || !reader.Fixed(8, &first_time) || !reader.Fixed(4, &pc) ||
          !reader.Fixed(4, &steps)) {
        return Malformed(*node_, "a \"matches\" value is damaged");
      }
      thread.first_row = first_row;
      thread.first_time = static_cast<int64_t>(first_time);
      thread.pc = static_cast<int32_t>(static_cast<uint32_t>(pc));
      if (thread.pc < 0 || static_cast<size_t>(thread.pc) >= spec_.program.size() ||
          first_row < partition->first_row || first_row > next_row ||
          steps > next_row - first_row) {
        return Malformed(*node_, "a partial match of a \"matches\" value is out of range");
      }
      for (uint64_t step = 0; step < steps; ++step) {
        uint64_t variable = 0;
        if (!reader.Fixed(4, &variable)) {
          return Malformed(*node_, "a \"matches\" value is damaged");
        }
        auto variable_index = static_cast<int32_t>(static_cast<uint32_t>(variable));
        if (variable_index < 0 || static_cast<size_t>(variable_index) >= spec_.variables.size()) {
          return Malformed(*node_, "a partial match names no variable of the pattern");
        }
        thread.variables.push_back(variable_index);
      }
      list->push_back(std::move(thread));
    }
  }
  if (!reader.done()) return Malformed(*node_, "a \"matches\" value has trailing bytes");
  return base::Status::Ok();
}

void MatchRecognizeOperator::SavePartition(const KeyRef& key, const Partition& partition) {
  if (partition.threads.empty() && partition.completed.empty()) {
    matches_table_->Delete(key.first, key.second, "");
    return;
  }
  uint64_t keep_from = partition.next_row;
  int64_t earliest = std::numeric_limits<int64_t>::max();
  for (const Thread& thread : partition.threads) {
    keep_from = std::min(keep_from, thread.first_row);
    earliest = std::min(earliest, thread.first_time);
  }
  for (const Thread& thread : partition.completed) {
    keep_from = std::min(keep_from, thread.first_row);
  }
  std::string value;
  PutFixed(partition.next_row, 8, &value);
  PutFixed(static_cast<uint64_t>(earliest), 8, &value);
  const uint64_t kept = partition.next_row - keep_from;
  PutFixed(kept, 4, &value);
  for (uint64_t row = keep_from; row < partition.next_row; ++row) {
    const size_t index = row - partition.first_row;
    PutFixed(row, 8, &value);
    PutFixed(static_cast<uint64_t>(partition.times[index]), 8, &value);
    PutFixed(partition.encoded[index].size(), 4, &value);
    value += partition.encoded[index];
  }
  for (const std::vector<Thread>* list : {&partition.threads, &partition.completed}) {
    PutFixed(list->size(), 4, &value);
    for (const Thread& thread : *list) {
      PutFixed(thread.first_row, 8, &value);
      PutFixed(static_cast<uint64_t>(thread.first_time), 8, &value);
      PutFixed(static_cast<uint32_t>(thread.pc), 4, &value);
      PutFixed(thread.variables.size(), 4, &value);
      for (int32_t variable : thread.variables) {
        PutFixed(static_cast<uint32_t>(variable), 4, &value);
      }
    }
  }
  matches_table_->Put(key.first, key.second, "", value);
  if (spec_.within_millis >= 0 && !partition.threads.empty()) {
    expiries_[earliest + spec_.within_millis].insert(key);
  }
}

base::Status MatchRecognizeOperator::ProcessKey(const KeyRef& key, std::vector<NewRow> rows,
                                                Output* out) {
  Partition partition;
  SLUICE_RETURN_IF_ERROR(LoadPartition(key, &partition));
  // Decode the rows (and compute the row expressions) first, then classify them in order:
  // a row is visible to accessors only once it is part of a match.
  for (NewRow& row : rows) {
    const size_t index = partition.times.size();
    if (index % kBatchCapacity == 0) {
      partition.chunks.push_back(std::make_unique<Batch>(row_types_));
    }
    Batch& chunk = *partition.chunks.back();
    SLUICE_RETURN_IF_ERROR(
        row_codec_->Decode(row.bytes, &chunk, static_cast<int32_t>(index % kBatchCapacity), 0));
    chunk.set_row_count(static_cast<int32_t>(index % kBatchCapacity) + 1);
    partition.times.push_back(row.time);
    partition.encoded.push_back(std::move(row.bytes));
  }
  SLUICE_RETURN_IF_ERROR(ComputeRowExpressions(&partition));
  for (const NewRow& row : rows) {
    ++partition.next_row;
    SLUICE_RETURN_IF_ERROR(Step(&partition, row.time, out));
  }
  SavePartition(key, partition);
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::ComputeRowExpressions(Partition* partition) {
  if (row_expressions_ == nullptr) return base::Status::Ok();
  const size_t first_column = input_types_.size();
  for (auto& chunk : partition->chunks) {
    SLUICE_ASSIGN_OR_RETURN(auto values, row_expressions_->Evaluate(*chunk));
    if (values->row_count() != chunk->row_count() ||
        values->column_count() != spec_.row_expressions.size()) {
      return Malformed(*node_, "a row expression did not give one value per row");
    }
    for (size_t column = 0; column < values->column_count(); ++column) {
      for (int32_t row = 0; row < chunk->row_count(); ++row) {
        CopyCell(values->column(column), row, &chunk->column(first_column + column), row);
      }
    }
    chunk->RetainArenasOf(*values);
  }
  return base::Status::Ok();
}

void MatchRecognizeOperator::Expire(Partition* partition, int64_t time) const {
  if (spec_.within_millis < 0) return;
  // Flink keeps a match whose rows are at most WITHIN apart (the documented example's match
  // spans exactly its interval).
  const int64_t oldest = time - spec_.within_millis;
  auto& threads = partition->threads;
  threads.erase(std::remove_if(threads.begin(), threads.end(),
                               [&](const Thread& thread) { return thread.first_time < oldest; }),
                threads.end());
}

base::Status MatchRecognizeOperator::Step(Partition* partition, int64_t time, Output* out) {
  const uint64_t row = partition->next_row - 1;
  Expire(partition, time);
  SLUICE_RETURN_IF_ERROR(EmitReady(partition, out));
  partition->threads.push_back(Thread{row, time, 0, {}});
  std::vector<std::vector<bool>> accepted;
  SLUICE_RETURN_IF_ERROR(Classify(*partition, &accepted));
  std::vector<Thread> next;
  std::vector<Thread> completed;
  for (size_t index = 0; index < partition->threads.size(); ++index) {
    const Thread& thread = partition->threads[index];
    const Closure& closure = closures_[thread.pc];
    for (size_t c = 0; c < closure.candidates.size(); ++c) {
      const Candidate& candidate = closure.candidates[c];
      if (!accepted[index][c]) continue;
      bool blocked = false;
      for (size_t blocker : candidate.blockers) blocked = blocked || accepted[index][blocker];
      if (blocked) continue;
      Thread advanced = thread;
      advanced.variables.push_back(candidate.variable);
      advanced.pc = spec_.program[candidate.pc].next;
      if (closures_[advanced.pc].matches) {
        completed.push_back(std::move(advanced));
      } else {
        next.push_back(std::move(advanced));
      }
    }
  }
  partition->threads = std::move(next);
  for (Thread& match : completed) partition->completed.push_back(std::move(match));
  std::stable_sort(
      partition->completed.begin(), partition->completed.end(),
      [](const Thread& left, const Thread& right) { return left.first_row < right.first_row; });
  return EmitReady(partition, out);
}

base::Status MatchRecognizeOperator::EmitReady(Partition* partition, Output* out) {
  // Flink's order: a complete match waits while a partial match that started before it may
  // still complete; then the earliest is emitted and its AFTER MATCH SKIP discards the partial
  // and complete matches that start before its target row.
  auto& threads = partition->threads;
  auto& completed = partition->completed;
  while (!completed.empty()) {
    const Thread match = completed.front();
    bool earlier_partial = false;
    for (const Thread& thread : threads) earlier_partial |= thread.first_row < match.first_row;
    if (earlier_partial) break;
    completed.erase(completed.begin());
    SLUICE_RETURN_IF_ERROR(EmitMatch(*partition, match, out));
    uint64_t target = match.first_row + 1;
    switch (spec_.skip) {
      case plan::MatchSkip::kPastLastRow: target = match.first_row + match.variables.size(); break;
      case plan::MatchSkip::kToNextRow: break;
      case plan::MatchSkip::kToFirst:
      case plan::MatchSkip::kToLast: {
        const auto& variables = match.variables;
        const std::string& name = spec_.variables[spec_.skip_variable];
        auto first = std::find(variables.begin(), variables.end(), spec_.skip_variable);
        if (first == variables.end()) {
          return base::Status::Error(
              base::ErrorCode::kData,
              fmt::format("MATCH_RECOGNIZE '{}': AFTER MATCH SKIP TO {} {}: the match has no row "
                          "of '{}' (Flink fails the job likewise)",
                          node_->uid, spec_.skip == plan::MatchSkip::kToFirst ? "FIRST" : "LAST",
                          name, name));
        }
        auto position = first;
        if (spec_.skip == plan::MatchSkip::kToLast) {
          position =
              std::find(variables.rbegin(), variables.rend(), spec_.skip_variable).base() - 1;
        }
        target = match.first_row + static_cast<uint64_t>(position - variables.begin());
        if (target == match.first_row) {
          return base::Status::Error(
              base::ErrorCode::kData,
              fmt::format("MATCH_RECOGNIZE '{}': AFTER MATCH SKIP TO {} {} would start the next "
                          "match at the first row of this one, an endless loop (Flink fails the "
                          "job likewise)",
                          node_->uid, spec_.skip == plan::MatchSkip::kToFirst ? "FIRST" : "LAST",
                          name));
        }
        break;
      }
    }
    auto before_target = [&](const Thread& thread) { return thread.first_row < target; };
    threads.erase(std::remove_if(threads.begin(), threads.end(), before_target), threads.end());
    completed.erase(std::remove_if(completed.begin(), completed.end(), before_target),
                    completed.end());
  }
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::Classify(const Partition& partition,
                                              std::vector<std::vector<bool>>* accepted) {
  const auto& threads = partition.threads;
  // Per thread and variable: -1 not asked, else the DEFINE's result.
  std::vector<std::vector<int8_t>> results(threads.size(),
                                           std::vector<int8_t>(spec_.variables.size(), -1));
  for (size_t index = 0; index < threads.size(); ++index) {
    for (const Candidate& candidate : closures_[threads[index].pc].candidates) {
      results[index][candidate.variable] = defines_[candidate.variable] == nullptr ? 1 : 0;
    }
  }
  for (size_t variable = 0; variable < spec_.variables.size(); ++variable) {
    if (defines_[variable] == nullptr) continue;
    const plan::MatchExpression& define = spec_.defines[variable];
    std::vector<size_t> asking;
    for (size_t index = 0; index < threads.size(); ++index) {
      if (results[index][variable] == 0) asking.push_back(index);
    }
    for (size_t start = 0; start < asking.size(); start += kBatchCapacity) {
      const size_t end = std::min(asking.size(), start + kBatchCapacity);
      // Reused for every row: its strings point into the partition's rows (or the spec's
      // variable names), which outlive the evaluation; only the booleans are read back.
      Batch& batch = *define_batches_[variable];
      batch.set_row_count(0);
      std::vector<int32_t> variables;
      for (size_t i = start; i < end; ++i) {
        const Thread& thread = threads[asking[i]];
        variables = thread.variables;
        variables.push_back(static_cast<int32_t>(variable));
        FillAccessors(define.accessors, partition, thread.first_row, variables, &batch,
                      static_cast<int32_t>(i - start), /*copy_strings=*/false);
      }
      batch.set_row_count(static_cast<int32_t>(end - start));
      SLUICE_ASSIGN_OR_RETURN(auto result, defines_[variable]->Evaluate(batch));
      if (result->row_count() != batch.row_count()) {
        return Malformed(*node_, "a DEFINE did not give one result per row");
      }
      const Column& column = result->column(0);
      for (size_t i = start; i < end; ++i) {
        const auto row = static_cast<int32_t>(i - start);
        results[asking[i]][variable] =
            !column.IsNull(row) && column.values<uint8_t>()[row] != 0 ? 1 : 0;
      }
    }
  }
  accepted->clear();
  for (size_t index = 0; index < threads.size(); ++index) {
    std::vector<bool> row;
    for (const Candidate& candidate : closures_[threads[index].pc].candidates) {
      row.push_back(results[index][candidate.variable] == 1);
    }
    accepted->push_back(std::move(row));
  }
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::EmitMatch(const Partition& partition, const Thread& match,
                                               Output* out) {
  if (pending_matches_ == nullptr) {
    pending_matches_ = std::make_unique<Batch>(measure_input_types_);
  }
  Batch& batch = *pending_matches_;
  for (const auto& chunk : partition.chunks) batch.RetainArenasOf(*chunk);
  FillAccessors(spec_.measure_accessors, partition, match.first_row, match.variables, &batch,
                batch.row_count(), /*copy_strings=*/true);
  batch.set_row_count(batch.row_count() + 1);
  if (batch.row_count() == kBatchCapacity) return FlushMatches(out);
  return base::Status::Ok();
}

base::Status MatchRecognizeOperator::FlushMatches(Output* out) {
  if (pending_matches_ == nullptr || pending_matches_->row_count() == 0) {
    return base::Status::Ok();
  }
  std::unique_ptr<Batch> batch = std::move(pending_matches_);
  SLUICE_ASSIGN_OR_RETURN(auto result, measures_->Evaluate(*batch));
  if (result->row_count() == 0) return base::Status::Ok();
  return out->EmitBatch(std::move(result));
}

}  // namespace sluice::runtime::operators
