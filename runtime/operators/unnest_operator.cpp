#include "runtime/operators/unnest_operator.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstring>

#include "runtime/expr/collection_value.h"

namespace sluice::runtime::operators {

namespace {

base::Status Malformed(const plan::PlanNode& node, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "unnest '" + node.uid + "' is malformed: " + problem);
}

/// Writes one collection item into row `row` of `column` (of the element's type).
void WriteItem(const expr::Item& item, Column* column, int32_t row) {
  if (item.tag == expr::ItemTag::kNull) return;  // a fresh batch's cells are NULL
  column->validity()[row] = 1;
  const types::LogicalType& type = column->type();
  switch (item.tag) {
    case expr::ItemTag::kReal: column->values<double>()[row] = item.real; break;
    case expr::ItemTag::kBytes:
      // Points into the collection's bytes, which the input batch's arena keeps.
      column->values<StringRef>()[row] =
          StringRef{item.bytes.data(), static_cast<uint32_t>(item.bytes.size()), 0};
      break;
    default:
      if (type.id() == types::TypeId::kBoolean) {
        column->values<uint8_t>()[row] = item.integer != 0 ? 1 : 0;
      } else if (type.IsInt32Stored()) {
        column->values<int32_t>()[row] = static_cast<int32_t>(item.integer);
      } else {
        column->values<int64_t>()[row] = item.integer;
      }
      break;
  }
}

}  // namespace

base::Status UnnestOperator::Open(const OperatorContext& context) {
  node_ = context.node;
  if (!node_->unnest) return Malformed(*node_, "no collection");
  const plan::UnnestSpec& spec = *node_->unnest;
  for (const auto& slot : types::FlattenSchema(node_->output_schema)) {
    output_types_.push_back(slot.type);
  }
  kind_ = spec.collection_type.id();
  if (!spec.collection_type.IsCollection()) return Malformed(*node_, "not a collection");
  std::vector<types::LogicalType> element_types;
  if (kind_ == types::TypeId::kMap) {
    element_types = {spec.collection_type.element_type(), spec.collection_type.value_type()};
  } else if (spec.collection_type.element_type().id() == types::TypeId::kRow) {
    row_elements_ = true;
    for (const auto& field : spec.collection_type.element_type().fields()) {
      element_types.push_back(field.type);
    }
  } else {
    element_types = {spec.collection_type.element_type()};
  }
  element_columns_ = element_types.size();
  size_t added = element_columns_ + (spec.ordinality ? 1 : 0);
  if (output_types_.size() < added) return Malformed(*node_, "too few output columns");
  input_columns_ = output_types_.size() - added;
  collection_slot_ = spec.collection_slot;
  if (collection_slot_ < 0 || static_cast<size_t>(collection_slot_) >= input_columns_ ||
      output_types_[collection_slot_] != spec.collection_type) {
    return Malformed(*node_, fmt::format("slot {} is not the collection", collection_slot_));
  }
  for (size_t i = 0; i < element_columns_; ++i) {
    if (output_types_[input_columns_ + i] != element_types[i]) {
      return Malformed(*node_, "the element columns do not have the collection's element types");
    }
  }
  outer_ = spec.outer;
  ordinality_ = spec.ordinality;
  return base::Status::Ok();
}

base::Status UnnestOperator::ProcessBatch(int32_t, BatchPtr batch, Output* out) {
  if (batch->column_count() != input_columns_) {
    return Malformed(*node_, fmt::format("an input of {} columns, not {}", batch->column_count(),
                                         input_columns_));
  }
  const Column& collections = batch->column(collection_slot_);
  const int items_per_entry = kind_ == types::TypeId::kArray ? 1 : 2;
  BatchPtr target;
  std::vector<expr::Item> items;
  // Emits input row `row` with the element(s) from items[first...] (none: NULLs).
  auto emit = [&](int32_t row, const expr::Item* element, int64_t position) -> base::Status {
    if (!target) {
      target = std::make_shared<Batch>(output_types_);
      target->RetainArenasOf(*batch);  // strings and elements are copied by reference
      if (batch->has_row_kinds()) target->EnableRowKinds();
    }
    const int32_t at = target->row_count();
    for (size_t column = 0; column < input_columns_; ++column) {
      CopyCell(batch->column(column), row, &target->column(column), at);
    }
    size_t next = input_columns_;
    if (element != nullptr && row_elements_) {
      if (element[0].tag != expr::ItemTag::kNull) {  // a NULL row: NULL fields
        std::vector<expr::Item> fields;
        if (!expr::DecodeCollection(element[0].bytes, 1, &fields) ||
            fields.size() != element_columns_) {
          return Malformed(*node_, fmt::format("row {} holds a malformed ROW element", row));
        }
        for (size_t i = 0; i < element_columns_; ++i) {
          WriteItem(fields[i], &target->column(next + i), at);
        }
      }
    } else if (element != nullptr) {
      WriteItem(element[0], &target->column(next), at);
      if (kind_ == types::TypeId::kMap) WriteItem(element[1], &target->column(next + 1), at);
    }
    next += element_columns_;
    if (ordinality_ && element != nullptr) {
      Column& ordinal = target->column(next);
      ordinal.values<int32_t>()[at] = static_cast<int32_t>(position);
      ordinal.validity()[at] = 1;
    }
    if (batch->has_row_kinds()) target->row_kinds()[at] = batch->row_kinds()[row];
    target->set_row_count(at + 1);
    if (target->row_count() == kBatchCapacity) {
      SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
      target = nullptr;
    }
    return base::Status::Ok();
  };
  for (int32_t row = 0; row < batch->row_count(); ++row) {
    items.clear();
    if (!collections.IsNull(row) &&
        !expr::DecodeCollection(collections.values<StringRef>()[row].view(), items_per_entry,
                                &items)) {
      return Malformed(
          *node_, fmt::format("row {} holds a malformed {}", row, collections.type().ToString()));
    }
    if (items.empty()) {
      if (outer_) SLUICE_RETURN_IF_ERROR(emit(row, nullptr, 0));
      continue;
    }
    int64_t position = 0;
    for (size_t i = 0; i < items.size(); i += items_per_entry) {
      if (kind_ == types::TypeId::kMultiset) {
        const expr::Item& count = items[i + 1];
        if (count.tag != expr::ItemTag::kInteger || count.integer < 0 ||
            count.integer > INT32_MAX) {
          return Malformed(*node_, fmt::format("row {} holds a malformed MULTISET count", row));
        }
        // The element as many times as it counts.
        for (int64_t copy = 0; copy < items[i + 1].integer; ++copy) {
          SLUICE_RETURN_IF_ERROR(emit(row, &items[i], ++position));
        }
      } else {
        SLUICE_RETURN_IF_ERROR(emit(row, &items[i], ++position));
      }
    }
  }
  if (target && target->row_count() > 0) SLUICE_RETURN_IF_ERROR(out->EmitBatch(std::move(target)));
  return base::Status::Ok();
}

}  // namespace sluice::runtime::operators
