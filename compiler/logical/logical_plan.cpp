#include "compiler/logical/logical_plan.h"

namespace sluice::compiler::logical {

const char* LogicalKindName(LogicalKind kind) {
  switch (kind) {
    case LogicalKind::kScan: return "Scan";
    case LogicalKind::kFilter: return "Filter";
    case LogicalKind::kProject: return "Project";
    case LogicalKind::kSink: return "Sink";
  }
  return "?";
}

std::vector<types::LogicalType> SlotTypes(const types::Schema& schema) {
  std::vector<types::LogicalType> out;
  for (const auto& slot : types::FlattenSchema(schema)) out.push_back(slot.type);
  return out;
}

size_t LogicalNode::SlotCount() const {
  return types::FlattenSchema(schema).size();
}

namespace {

std::vector<std::string> SlotNames(const types::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(schema)) names.push_back(slot.path);
  return names;
}

}  // namespace

std::string LogicalNode::ToString(int depth) const {
  std::string out(depth * 2, ' ');
  out += LogicalKindName(kind);
  std::vector<std::string> input_names =
      inputs.empty() ? std::vector<std::string>{} : SlotNames(inputs[0]->schema);
  switch (kind) {
    case LogicalKind::kScan:
    case LogicalKind::kSink: out += "(" + table->descriptor.name + ")"; break;
    case LogicalKind::kFilter: out += "(" + predicate->ToString(&input_names) + ")"; break;
    case LogicalKind::kProject: {
      out += "(";
      auto output_names = SlotNames(schema);
      for (size_t i = 0; i < projections.size(); ++i) {
        if (i > 0) out += ", ";
        out += projections[i]->ToString(&input_names);
        if (i < output_names.size() && projections[i]->kind != runtime::plan::ExprKind::kColumn) {
          out += " AS " + output_names[i];
        }
      }
      out += ")";
      break;
    }
  }
  out += "\n";
  for (const auto& input : inputs) out += input->ToString(depth + 1);
  return out;
}

}  // namespace sluice::compiler::logical
