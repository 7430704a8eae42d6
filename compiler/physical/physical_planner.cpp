#include "compiler/physical/physical_planner.h"

#include <fmt/format.h>

#include <cstdlib>
#include <functional>

#include "compiler/optimizer/optimizer.h"
#include "runtime/connectors/connector.h"

namespace sluice::compiler::physical {

using logical::LogicalKind;
using logical::LogicalNode;
using runtime::plan::ChainSpec;
using runtime::plan::Expr;
using runtime::plan::ExprKind;
using runtime::plan::ExprPtr;
using runtime::plan::PlanEdge;
using runtime::plan::PlanGraph;
using runtime::plan::PlanNode;
using types::LogicalType;
using types::TypeId;

namespace {

bool IsIdentity(const ChainSpec& chain) {
  if (chain.filter || chain.projections.size() != chain.input_types.size()) return false;
  for (size_t i = 0; i < chain.projections.size(); ++i) {
    const ExprPtr& projection = chain.projections[i];
    if (projection->kind != ExprKind::kColumn ||
        projection->column_index != static_cast<int32_t>(i)) {
      return false;
    }
  }
  return true;
}

/// Whether INSERT may write a value of type `from` into a column of type `to`.
bool IsAssignable(const LogicalType& from, const LogicalType& to) {
  if (from == to || from.id() == TypeId::kNull) return true;
  if (from.IsNumeric() && to.IsNumeric()) return true;  // assignment casts between numbers
  return types::IsImplicitlyCastable(from, to);
}

std::vector<std::string> SlotNames(const types::Schema& schema) {
  std::vector<std::string> names;
  for (const auto& slot : types::FlattenSchema(schema)) names.push_back(slot.path);
  return names;
}

/// Points a connector's error at the option it names, or at the table's use.
base::Status Locate(const base::Status& status, const TableSpans* spans) {
  if (status.ok() || spans == nullptr) return status;
  base::SourceSpan span = spans->use;
  for (const auto& [key, option_span] : spans->options) {
    if (status.message().find("'" + key + "'") != std::string::npos) {
      span = option_span;
      break;
    }
  }
  return base::Status::Error(status.code(), status.message(), span);
}

class Planner {
 public:
  Planner(const PhysicalOptions& options, const std::map<std::string, TableSpans>& spans)
      : options_(options), spans_(spans) {
    plan_.job_name = options.job_name;
    plan_.max_parallelism = options.max_parallelism;
    plan_.options = options.options;
  }

  base::Status PlanInsert(const logical::InsertPlan& insert) {
    const LogicalNode& sink = *insert.root;
    // Walk down to the scan; this plans are single-input chains.
    std::vector<const LogicalNode*> chain;
    const LogicalNode* current = sink.inputs[0].get();
    while (current->kind != LogicalKind::kScan) {
      chain.push_back(current);
      if (current->inputs.size() != 1) {
        return base::Status::Error(base::ErrorCode::kPlan, "multi-input plans are not supported");
      }
      current = current->inputs[0].get();
    }
    SLUICE_ASSIGN_OR_RETURN(int32_t source, SourceFor(*current));

    // Fuse filters and projections, bottom-up, into one chain over the source's slots.
    ChainSpec fused;
    fused.input_types = logical::SlotTypes(current->schema);
    std::vector<ExprPtr> projections;
    for (size_t i = 0; i < fused.input_types.size(); ++i) {
      projections.push_back(Expr::Column(static_cast<int32_t>(i), fused.input_types[i]));
    }
    std::vector<std::string> descriptions;
    std::vector<std::string> input_names = SlotNames(current->schema);
    for (auto node = chain.rbegin(); node != chain.rend(); ++node) {
      if ((*node)->kind == LogicalKind::kFilter) {
        ExprPtr predicate = optimizer::Substitute((*node)->predicate, projections);
        fused.filter = fused.filter ? Expr::Call(functions::FunctionId::kAnd,
                                                 LogicalType::Boolean(), {fused.filter, predicate})
                                    : predicate;
      } else if ((*node)->kind == LogicalKind::kProject) {
        std::vector<ExprPtr> next;
        for (const ExprPtr& projection : (*node)->projections) {
          next.push_back(optimizer::Substitute(projection, projections));
        }
        projections = std::move(next);
      } else {
        return base::Status::Error(
            base::ErrorCode::kPlan,
            std::string("cannot plan a ") + logical::LogicalKindName((*node)->kind) + " node yet");
      }
    }

    // Cast to the sink's declared column types.
    const auto& sink_table = sink.table->descriptor;
    const TableSpans* sink_spans = FindSpans(sink_table.name);
    types::Schema query_schema = chain.empty() ? current->schema : chain.front()->schema;
    if (query_schema.columns.size() != sink_table.schema.columns.size()) {
      return base::Status::Error(
          base::ErrorCode::kBind,
          fmt::format("INSERT INTO {} expects {} columns {} but the query produces {} {}",
                      sink_table.name, sink_table.schema.columns.size(),
                      sink_table.schema.ToString(), query_schema.columns.size(),
                      query_schema.ToString()),
          sink_spans ? sink_spans->use : base::SourceSpan{});
    }
    std::vector<ExprPtr> cast_projections;
    size_t slot = 0;
    for (size_t i = 0; i < sink_table.schema.columns.size(); ++i) {
      const LogicalType& want = sink_table.schema.columns[i].type;
      const LogicalType& have = query_schema.columns[i].type;
      if (!IsAssignable(have, want)) {
        return base::Status::Error(
            base::ErrorCode::kBind,
            fmt::format("INSERT INTO {}: column '{}' is {}, but the query gives {} for it",
                        sink_table.name, sink_table.schema.columns[i].name, want.ToString(),
                        have.ToString()),
            sink_spans ? sink_spans->use : base::SourceSpan{});
      }
      if (want.id() == TypeId::kRow) {
        int32_t count = static_cast<int32_t>(
            types::FlattenSchema(types::Schema{{sink_table.schema.columns[i]}}).size());
        for (int32_t k = 0; k < count; ++k) cast_projections.push_back(projections[slot + k]);
        slot += count;
        continue;
      }
      ExprPtr value = projections[slot++];
      if (value->type != want) {
        value = value->kind == ExprKind::kLiteral && value->literal.is_null
                    ? Expr::Literal(runtime::plan::Value::Null(want))
                    : Expr::Cast(value, want);
      }
      cast_projections.push_back(value);
    }
    fused.projections = std::move(cast_projections);

    int32_t upstream = source;
    if (!IsIdentity(fused)) {
      PlanNode calc;
      calc.id = static_cast<int32_t>(plan_.nodes.size());
      calc.uid = insert.target + "/calc";
      calc.kind = runtime::plan::OperatorKind::kCalc;
      calc.parallelism = options_.parallelism;
      calc.output_schema = sink_table.schema;
      calc.description = DescribeChain(fused, input_names, SlotNames(sink_table.schema));
      calc.chain = fused;
      plan_.nodes.push_back(calc);
      plan_.edges.push_back(
          PlanEdge{upstream, calc.id, 0, runtime::plan::ExchangeKind::kForward, {}});
      upstream = calc.id;
    }

    // 'sink.parallelism' is Sluice's, not the connector's.
    runtime::connectors::TableDescriptor sink_descriptor = sink_table;
    int32_t sink_parallelism = options_.parallelism;
    if (auto found = sink_descriptor.options.find("sink.parallelism");
        found != sink_descriptor.options.end()) {
      char* end = nullptr;
      long value = std::strtol(found->second.c_str(), &end, 10);
      if (found->second.empty() || *end != '\0' || value < 1 || value > 1024) {
        return Locate(base::Status::Error(base::ErrorCode::kOption,
                                          fmt::format("invalid value '{}' for option "
                                                      "'sink.parallelism' of table '{}': expected "
                                                      "a whole number from 1 to 1024",
                                                      found->second, sink_table.name)),
                      sink_spans);
      }
      sink_parallelism = static_cast<int32_t>(value);
      sink_descriptor.options.erase(found);
    }
    const runtime::connectors::Connector* connector = FindConnector(sink_descriptor, sink_spans);
    if (connector == nullptr) return last_error_;
    if (!connector->SupportsSink()) {
      return Locate(
          base::Status::Error(base::ErrorCode::kOption, "connector '" + connector->name() +
                                                            "' cannot be written (table '" +
                                                            sink_table.name + "')"),
          sink_spans);
    }
    SLUICE_RETURN_IF_ERROR(
        Locate(connector->Validate(sink_descriptor, /*as_source=*/false), sink_spans));
    for (const PlanNode& node : plan_.nodes) {
      if (node.uid == "sink/" + sink_table.name) {
        return base::Status::Error(base::ErrorCode::kPlan,
                                   "table '" + sink_table.name +
                                       "' is the target of two INSERT statements; write each "
                                       "result to its own table",
                                   sink_spans ? sink_spans->use : base::SourceSpan{});
      }
    }
    PlanNode sink_node;
    sink_node.id = static_cast<int32_t>(plan_.nodes.size());
    sink_node.uid = "sink/" + sink_table.name;
    sink_node.kind = runtime::plan::OperatorKind::kSink;
    sink_node.parallelism = sink_parallelism;
    sink_node.output_schema = sink_table.schema;
    sink_node.table = sink_descriptor;
    sink_node.description = sink_table.name + " (" + sink_table.options.at("connector") + ")";
    runtime::plan::ExchangeKind exchange = sink_parallelism == plan_.nodes[upstream].parallelism
                                               ? runtime::plan::ExchangeKind::kForward
                                               : runtime::plan::ExchangeKind::kRebalance;
    plan_.nodes.push_back(sink_node);
    plan_.edges.push_back(PlanEdge{upstream, sink_node.id, 0, exchange, {}});
    return base::Status::Ok();
  }

  PlanGraph Finish() { return std::move(plan_); }

 private:
  const TableSpans* FindSpans(const std::string& table) const {
    auto found = spans_.find(table);
    return found == spans_.end() ? nullptr : &found->second;
  }

  const runtime::connectors::Connector* FindConnector(
      const runtime::connectors::TableDescriptor& table, const TableSpans* spans) {
    const std::string& name = table.options.at("connector");
    const runtime::connectors::Connector* connector = runtime::connectors::FindConnector(name);
    if (connector == nullptr) {
      std::string known;
      for (const std::string& candidate : runtime::connectors::ConnectorNames()) {
        known += (known.empty() ? "" : ", ") + candidate;
      }
      last_error_ = Locate(base::Status::Error(base::ErrorCode::kOption,
                                               fmt::format("unknown connector '{}' (table '{}'); "
                                                           "known connectors: {}",
                                                           name, table.name, known)),
                           spans);
      if (spans != nullptr && spans->options.count("connector")) {
        last_error_ = base::Status::Error(base::ErrorCode::kOption, last_error_.message(),
                                          spans->options.at("connector"));
      }
    }
    return connector;
  }

  base::Result<int32_t> SourceFor(const LogicalNode& scan) {
    const std::string& name = scan.table->descriptor.name;
    auto found = sources_.find(name);
    if (found != sources_.end()) {
      PlanNode& node = plan_.nodes[found->second];
      // Two INSERTs pruned different computed columns: compute the union of what they need.
      if (scan.table->computed_columns && node.computed_columns) {
        auto& mine = node.computed_columns->projections;
        const auto& theirs = scan.table->computed_columns->projections;
        for (size_t i = 0; i < mine.size(); ++i) {
          if (mine[i]->kind == ExprKind::kLiteral && mine[i]->literal.is_null) mine[i] = theirs[i];
        }
      }
      return found->second;
    }
    const TableSpans* spans = FindSpans(name);
    const auto& descriptor = scan.table->descriptor;
    const runtime::connectors::Connector* connector = FindConnector(descriptor, spans);
    if (connector == nullptr) return last_error_;
    if (!connector->SupportsSource()) {
      return Locate(base::Status::Error(base::ErrorCode::kOption,
                                        "connector '" + connector->name() +
                                            "' cannot be read (table '" + name + "')"),
                    spans);
    }
    SLUICE_RETURN_IF_ERROR(Locate(connector->Validate(descriptor, /*as_source=*/true), spans));
    PlanNode node;
    node.id = static_cast<int32_t>(plan_.nodes.size());
    node.uid = "source/" + name;
    node.kind = runtime::plan::OperatorKind::kSource;
    node.parallelism = options_.parallelism;
    node.output_schema = scan.table->full_schema;
    node.table = descriptor;
    node.computed_columns = scan.table->computed_columns;
    node.watermark = scan.table->watermark;
    node.description = name + " (" + descriptor.options.at("connector") + ")";
    if (node.watermark) {
      auto names = SlotNames(node.output_schema);
      node.description += ", watermark " + names[node.watermark->rowtime_slot] + " AS " +
                          node.watermark->expression->ToString(&names);
    }
    plan_.nodes.push_back(node);
    sources_[name] = node.id;
    return node.id;
  }

  static std::string DescribeChain(const ChainSpec& chain, const std::vector<std::string>& input,
                                   const std::vector<std::string>& output) {
    std::string out;
    if (chain.filter) out += "WHERE " + chain.filter->ToString(&input) + " ";
    out += "SELECT ";
    for (size_t i = 0; i < chain.projections.size(); ++i) {
      if (i > 0) out += ", ";
      std::string text = chain.projections[i]->ToString(&input);
      out += text;
      if (i < output.size() && text != output[i]) out += " AS " + output[i];
    }
    return out;
  }

  const PhysicalOptions& options_;
  const std::map<std::string, TableSpans>& spans_;
  PlanGraph plan_;
  std::map<std::string, int32_t> sources_;
  base::Status last_error_;
};

}  // namespace

base::Result<PlanGraph> PlanJob(const std::vector<logical::InsertPlan>& inserts,
                                const PhysicalOptions& options,
                                const std::map<std::string, TableSpans>& spans) {
  Planner planner(options, spans);
  std::vector<base::Diagnostic> errors;
  for (const logical::InsertPlan& insert : inserts) {
    base::Status status = planner.PlanInsert(insert);
    for (const auto& diagnostic : status.diagnostics()) errors.push_back(diagnostic);
  }
  if (!errors.empty()) return base::Status::FromDiagnostics(std::move(errors));
  PlanGraph plan = planner.Finish();
  // Sources were added when first read, so sinks of earlier INSERTs may precede later
  // sources; the runtime wants edges to point forward, so order sources first.
  std::vector<int32_t> order;
  for (const PlanNode& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSource) order.push_back(node.id);
  }
  for (const PlanNode& node : plan.nodes) {
    if (node.kind != runtime::plan::OperatorKind::kSource) order.push_back(node.id);
  }
  std::vector<int32_t> new_id(plan.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) new_id[order[i]] = static_cast<int32_t>(i);
  std::vector<PlanNode> nodes;
  for (int32_t old : order) {
    nodes.push_back(plan.nodes[old]);
    nodes.back().id = new_id[old];
  }
  plan.nodes = std::move(nodes);
  for (PlanEdge& edge : plan.edges) {
    edge.source_node = new_id[edge.source_node];
    edge.target_node = new_id[edge.target_node];
  }
  return plan;
}

std::string ExplainText(const PlanGraph& plan) {
  std::string out = fmt::format("== Physical plan: job '{}' ==\n", plan.job_name);
  std::function<void(int32_t, int)> render = [&](int32_t id, int depth) {
    const PlanNode& node = plan.nodes[id];
    out +=
        fmt::format("{}{} [{}, parallelism {}] {}\n", std::string(depth * 2, ' '), node.uid,
                    runtime::plan::OperatorKindName(node.kind), node.parallelism, node.description);
    for (const PlanEdge* edge : plan.InputsOf(id)) {
      if (edge->exchange != runtime::plan::ExchangeKind::kForward) {
        out += fmt::format("{}  <- {}\n", std::string(depth * 2, ' '),
                           runtime::plan::ExchangeKindName(edge->exchange));
      }
      render(edge->source_node, depth + 1);
    }
  };
  for (const PlanNode& node : plan.nodes) {
    if (node.kind == runtime::plan::OperatorKind::kSink) render(node.id, 0);
  }
  return out;
}

std::string ExplainDot(const PlanGraph& plan) {
  auto escape = [](std::string text) {
    std::string out;
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  std::string out = "digraph \"" + escape(plan.job_name) + "\" {\n  rankdir=LR;\n";
  for (const PlanNode& node : plan.nodes) {
    out += fmt::format("  n{} [shape=box, label=\"{}\\n{}\\nparallelism {}\"];\n", node.id,
                       escape(node.uid), escape(node.description), node.parallelism);
  }
  for (const PlanEdge& edge : plan.edges) {
    out += fmt::format("  n{} -> n{} [label=\"{}\"];\n", edge.source_node, edge.target_node,
                       runtime::plan::ExchangeKindName(edge.exchange));
  }
  return out + "}\n";
}

}  // namespace sluice::compiler::physical
