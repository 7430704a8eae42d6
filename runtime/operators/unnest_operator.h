#pragma once

#include <cstddef>
#include <vector>

#include "runtime/operators/operator.h"

namespace sluice::runtime::operators {

/// CROSS JOIN UNNEST(c) and LEFT JOIN UNNEST(c) ON TRUE (PlanNode::unnest): emits each input
/// row once per element of its collection, with its row kind: the input columns unchanged,
/// then the element (ARRAY, MULTISET; a ROW element's fields) or key and value (MAP), then the
/// 1-based ordinality when
/// asked. A row whose collection is NULL or empty emits nothing, or (outer) itself with NULL
/// elements. Rows come out in input order, a row's elements in the collection's order, so a
/// key's changes keep their order. Watermarks are forwarded unchanged.
///
/// Restore: no state.
class UnnestOperator : public Operator {
 public:
  base::Status Open(const OperatorContext& context) override;
  base::Status ProcessBatch(int32_t input, BatchPtr batch, Output* out) override;

 private:
  const plan::PlanNode* node_ = nullptr;
  std::vector<types::LogicalType> output_types_;
  size_t input_columns_ = 0;
  int32_t collection_slot_ = -1;
  types::TypeId kind_ = types::TypeId::kArray;
  bool outer_ = false;
  bool ordinality_ = false;
  /// The element's columns: 1, a MAP's 2, or a ROW element's fields (`row_elements_`).
  size_t element_columns_ = 1;
  bool row_elements_ = false;
};

}  // namespace sluice::runtime::operators
