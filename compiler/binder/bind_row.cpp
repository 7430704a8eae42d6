// ROW values in expressions: the constructor ROW(e1, ...), a ROW element of an array or map as a
// whole value, casts between ROW types and `=` / `<>` of rows.
//
// A ROW-typed bound expression is either a ROW column (its validity slot; the fields follow in
// slots of their own) or a call ROW(present, field, ...) typed with the row's type: `present`
// is a BOOLEAN (TRUE: the row is not NULL) and each field an expression of the field's type, a
// nested ROW again a ROW-typed expression. Where a row is stored it becomes slots (RowSlots:
// ROW(present) for the validity, then the fields); inside a collection it becomes the bytes of
// a ROW element (EncodeRow, runtime/expr/collection_value.h); a ROW element read back becomes a
// ROW call over $ROW_FIELD (DecodeRow).

#include <fmt/format.h>

#include "compiler/binder/binder.h"
#include "runtime/expr/collection_value.h"

namespace sluice::compiler::binder {

using functions::FunctionId;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::Value;
using types::LogicalType;
using types::TypeId;

namespace {

bool IsRowCall(const ExprPtr& expression) {
  return expression->kind == ExprKind::kCall && expression->function == FunctionId::kRow &&
         expression->type.id() == TypeId::kRow &&
         expression->arguments.size() == expression->type.fields().size() + 1;
}

/// The types of the slots a value of `type` takes: the ROW itself (validity), then its fields'.
void AppendSlotTypes(const LogicalType& type, std::vector<LogicalType>* out) {
  out->push_back(type);
  if (type.id() != TypeId::kRow) return;
  for (const auto& field : type.fields()) AppendSlotTypes(field.type, out);
}

}  // namespace

ExprPtr RowValue(ExprPtr present, const LogicalType& type, std::vector<ExprPtr> fields) {
  std::vector<ExprPtr> arguments{std::move(present)};
  for (auto& field : fields) arguments.push_back(std::move(field));
  return Expr::Call(FunctionId::kRow, type, std::move(arguments));
}

ExprPtr NullRow(const LogicalType& type) {
  std::vector<ExprPtr> fields;
  for (const auto& field : type.fields()) {
    fields.push_back(field.type.id() == TypeId::kRow ? NullRow(field.type)
                                                     : Expr::Literal(Value::Null(field.type)));
  }
  return RowValue(Expr::Literal(Value::Boolean(false)), type, std::move(fields));
}

ExprPtr AsRowValue(const ExprPtr& row) {
  if (IsRowCall(row) || row->kind != ExprKind::kColumn) return row;
  const LogicalType& type = row->type;
  std::vector<ExprPtr> fields;
  int32_t slot = row->column_index + 1;
  for (const auto& field : type.fields()) {
    fields.push_back(Expr::Column(slot, field.type));
    slot += SlotCount(field.type);
  }
  return RowValue(Expr::Call(FunctionId::kIsNotNull, LogicalType::Boolean(), {row}), type,
                  std::move(fields));
}

bool IsSlotRow(const ExprPtr& row) {
  return row->type.id() == TypeId::kRow && (row->kind == ExprKind::kColumn || IsRowCall(row));
}

std::vector<ExprPtr> RowSlots(const ExprPtr& row) {
  std::vector<ExprPtr> slots;
  if (row->kind == ExprKind::kColumn) {
    std::vector<LogicalType> types;
    AppendSlotTypes(row->type, &types);
    for (size_t k = 0; k < types.size(); ++k) {
      slots.push_back(Expr::Column(row->column_index + static_cast<int32_t>(k), types[k]));
    }
    return slots;
  }
  SLUICE_CHECK(IsRowCall(row), "RowSlots of {}", row->ToString());
  slots.push_back(Expr::Call(FunctionId::kRow, row->type, {row->arguments[0]}));
  for (size_t i = 1; i < row->arguments.size(); ++i) {
    const ExprPtr& field = row->arguments[i];
    if (field->type.id() == TypeId::kRow) {
      for (auto& slot : RowSlots(field)) slots.push_back(std::move(slot));
    } else {
      slots.push_back(field);
    }
  }
  return slots;
}

bool RowHoldsWideDecimal(const LogicalType& type) {
  if (type.id() != TypeId::kRow) return type.IsWideDecimal();
  for (const types::RowField& field : type.fields()) {
    if (RowHoldsWideDecimal(field.type)) return true;
  }
  return false;
}

ExprPtr EncodeRow(const ExprPtr& row) {
  ExprPtr value = AsRowValue(row);
  SLUICE_CHECK(IsRowCall(value), "EncodeRow of {}", row->ToString());
  std::vector<ExprPtr> arguments{TypeDescriptorLiteral(value->type), value->arguments[0]};
  for (size_t i = 1; i < value->arguments.size(); ++i) {
    const ExprPtr& field = value->arguments[i];
    arguments.push_back(field->type.id() == TypeId::kRow ? EncodeRow(field) : field);
  }
  return Expr::Call(FunctionId::kRowEncode, LogicalType::Varchar(), std::move(arguments));
}

ExprPtr DecodeRow(const ExprPtr& encoding, const LogicalType& type) {
  std::vector<ExprPtr> fields;
  const auto& row_fields = type.fields();
  for (size_t i = 0; i < row_fields.size(); ++i) {
    const LogicalType& field_type = row_fields[i].type;
    bool nested = field_type.id() == TypeId::kRow;
    ExprPtr field = Expr::Call(FunctionId::kRowField, nested ? LogicalType::Varchar() : field_type,
                               {TypeDescriptorLiteral(field_type), encoding,
                                Expr::Literal(Value::Bigint(static_cast<int64_t>(i)))});
    fields.push_back(nested ? DecodeRow(field, field_type) : field);
  }
  return RowValue(Expr::Call(FunctionId::kIsNotNull, LogicalType::Boolean(), {encoding}), type,
                  std::move(fields));
}

bool RowCastable(const LogicalType& from, const LogicalType& to, RowCast kind) {
  if (from.id() == TypeId::kNull) return true;
  if (from.id() != TypeId::kRow || to.id() != TypeId::kRow) {
    if (from.id() == TypeId::kRow || to.id() == TypeId::kRow) return false;
    switch (kind) {
      case RowCast::kImplicit: return types::IsImplicitlyCastable(from, to);
      case RowCast::kAssignment:
        return types::IsImplicitlyCastable(from, to) || (from.IsNumeric() && to.IsNumeric());
      case RowCast::kExplicit: return types::IsExplicitlyCastable(from, to);
    }
    return false;
  }
  if (from.fields().size() != to.fields().size()) return false;
  for (size_t i = 0; i < from.fields().size(); ++i) {
    if (!RowCastable(from.fields()[i].type, to.fields()[i].type, kind)) return false;
  }
  return true;
}

bool CommonValueType(const LogicalType& left, const LogicalType& right, LogicalType* out) {
  if (left.id() != TypeId::kRow || right.id() != TypeId::kRow) {
    if ((left.id() == TypeId::kRow && right.id() != TypeId::kNull) ||
        (right.id() == TypeId::kRow && left.id() != TypeId::kNull)) {
      return false;
    }
    return types::CommonSupertype(left, right, out);
  }
  if (left == right) {
    *out = left;
    return true;
  }
  if (left.fields().size() != right.fields().size()) return false;
  std::vector<types::RowField> fields;
  for (size_t i = 0; i < left.fields().size(); ++i) {
    LogicalType field;
    if (!CommonValueType(left.fields()[i].type, right.fields()[i].type, &field)) return false;
    fields.push_back(types::RowField{left.fields()[i].name, field});
  }
  *out = LogicalType::Row(std::move(fields));
  return true;
}

ExprPtr Binder::CastRow(ExprPtr expression, const LogicalType& type) const {
  if (expression->type.id() == TypeId::kNull) return NullRow(type);
  ExprPtr value = AsRowValue(expression);
  SLUICE_CHECK(IsRowCall(value) && value->type.fields().size() == type.fields().size(),
               "CastRow of {} to {}", expression->ToString(), type.ToString());
  std::vector<ExprPtr> fields;
  for (size_t i = 0; i < type.fields().size(); ++i) {
    fields.push_back(CastTo(value->arguments[i + 1], type.fields()[i].type));
  }
  return RowValue(value->arguments[0], type, std::move(fields));
}

ExprPtr Binder::BindRowConstructor(const ast::FunctionCallExpression& call,
                                   std::vector<ExprPtr> arguments) {
  if (arguments.empty()) {
    Error(base::ErrorCode::kBind, "ROW() needs at least one field: ROW(value1, value2, ...)",
          call.span);
    return nullptr;
  }
  // Flink names the fields of a constructed row EXPR$0, EXPR$1, ...
  std::vector<types::RowField> fields;
  for (size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i]->type.id() == TypeId::kNull) {
      Error(
          base::ErrorCode::kBind,
          fmt::format("ROW(...): field {} is an untyped NULL; CAST it to the field's type", i + 1),
          call.arguments[i]->span);
      return nullptr;
    }
    if (arguments[i]->type.id() == TypeId::kRow && !IsSlotRow(arguments[i])) {
      Error(base::ErrorCode::kPlan,
            fmt::format("ROW(...): field {} is a ROW that cannot be nested here", i + 1),
            call.arguments[i]->span);
      return nullptr;
    }
    fields.push_back(types::RowField{fmt::format("EXPR${}", i), arguments[i]->type});
  }
  return RowValue(Expr::Literal(Value::Boolean(true)), LogicalType::Row(std::move(fields)),
                  std::move(arguments));
}

ExprPtr Binder::CompareRows(const std::string& name, ExprPtr left, ExprPtr right,
                            base::SourceSpan span) {
  LogicalType common;
  if ((name != "=" && name != "<>") || !CommonValueType(left->type, right->type, &common) ||
      !IsSlotRow(left) || !IsSlotRow(right)) {
    Error(base::ErrorCode::kBind,
          fmt::format("operator {} cannot be applied to {} and {} (rows compare with = and <> "
                      "only, field by field)",
                      name, left->type.ToString(), right->type.ToString()),
          span);
    return nullptr;
  }
  return Expr::Call(name == "=" ? FunctionId::kEqual : FunctionId::kNotEqual,
                    LogicalType::Boolean(),
                    {EncodeRow(CastTo(left, common)), EncodeRow(CastTo(right, common))});
}

}  // namespace sluice::compiler::binder
