#include "runtime/operators/operator_factory.h"

#include "runtime/operators/calc_operator.h"
#include "runtime/operators/changelog_normalize_operator.h"
#include "runtime/operators/expand_operator.h"
#include "runtime/operators/group_aggregate_operator.h"
#include "runtime/operators/interval_join_operator.h"
#include "runtime/operators/join_operator.h"
#include "runtime/operators/lookup_join_operator.h"
#include "runtime/operators/match_recognize_operator.h"
#include "runtime/operators/over_aggregate_operator.h"
#include "runtime/operators/set_operation_operator.h"
#include "runtime/operators/sink_operator.h"
#include "runtime/operators/table_source_operator.h"
#include "runtime/operators/temporal_join_operator.h"
#include "runtime/operators/time_sort_operator.h"
#include "runtime/operators/top_n_operator.h"
#include "runtime/operators/union_operator.h"
#include "runtime/operators/unnest_operator.h"
#include "runtime/operators/window_aggregate_operator.h"
#include "runtime/operators/window_join_operator.h"
#include "runtime/operators/window_rank_operator.h"
#include "runtime/operators/window_table_function_operator.h"

namespace sluice::runtime::operators {

base::Result<std::unique_ptr<SourceOperator>> CreateSourceOperator(const plan::PlanNode& node) {
  if (node.kind != plan::OperatorKind::kSource || !node.table) {
    return base::Status::Error(base::ErrorCode::kData,
                               "plan node '" + node.uid + "' is not a table source");
  }
  return std::unique_ptr<SourceOperator>(new TableSourceOperator());
}

base::Result<std::unique_ptr<Operator>> CreateOperator(const plan::PlanNode& node) {
  switch (node.kind) {
    case plan::OperatorKind::kCalc:
      if (!node.chain) break;
      return std::unique_ptr<Operator>(new CalcOperator());
    case plan::OperatorKind::kSink:
      if (!node.table) break;
      return std::unique_ptr<Operator>(new SinkOperator());
    case plan::OperatorKind::kUnion: return std::unique_ptr<Operator>(new UnionOperator());
    case plan::OperatorKind::kWindowAggregate:
      if (!node.aggregate || !node.aggregate->window) break;
      return std::unique_ptr<Operator>(new WindowAggregateOperator());
    case plan::OperatorKind::kGroupAggregate:
      if (!node.aggregate) break;
      return std::unique_ptr<Operator>(new GroupAggregateOperator());
    case plan::OperatorKind::kJoin:
      if (!node.join) break;
      return std::unique_ptr<Operator>(new JoinOperator());
    case plan::OperatorKind::kTopN:
      if (!node.top_n) break;
      return std::unique_ptr<Operator>(new TopNOperator());
    case plan::OperatorKind::kLookupJoin:
      if (!node.lookup_join) break;
      return std::unique_ptr<Operator>(new LookupJoinOperator());
    case plan::OperatorKind::kIntervalJoin:
      if (!node.join || !node.interval_join) break;
      return std::unique_ptr<Operator>(new IntervalJoinOperator());
    case plan::OperatorKind::kMatchRecognize:
      if (!node.match_recognize) break;
      return std::unique_ptr<Operator>(new MatchRecognizeOperator());
    case plan::OperatorKind::kTimeSort:
      if (!node.time_sort) break;
      return std::unique_ptr<Operator>(new TimeSortOperator());
    case plan::OperatorKind::kTemporalJoin:
      if (!node.join || !node.temporal_join) break;
      return std::unique_ptr<Operator>(new TemporalJoinOperator());
    case plan::OperatorKind::kWindowJoin:
      if (!node.join || !node.window_join) break;
      return std::unique_ptr<Operator>(new WindowJoinOperator());
    case plan::OperatorKind::kOverAggregate:
      if (!node.over_aggregate) break;
      return std::unique_ptr<Operator>(new OverAggregateOperator());
    case plan::OperatorKind::kChangelogNormalize:
      if (!node.normalize) break;
      return std::unique_ptr<Operator>(new ChangelogNormalizeOperator());
    case plan::OperatorKind::kSetOperation:
      if (!node.set_operation) break;
      return std::unique_ptr<Operator>(new SetOperationOperator());
    case plan::OperatorKind::kWindowTableFunction:
      if (!node.window_table_function) break;
      return std::unique_ptr<Operator>(new WindowTableFunctionOperator());
    case plan::OperatorKind::kWindowRank:
      if (!node.top_n || node.top_n->window_end_slot < 0) break;
      return std::unique_ptr<Operator>(new WindowRankOperator());
    case plan::OperatorKind::kExpand:
      if (!node.expand) break;
      return std::unique_ptr<Operator>(new ExpandOperator());
    case plan::OperatorKind::kUnnest:
      if (!node.unnest) break;
      return std::unique_ptr<Operator>(new UnnestOperator());
    case plan::OperatorKind::kSource: break;
  }
  return base::Status::Error(base::ErrorCode::kData, "plan node '" + node.uid + "' of kind '" +
                                                         plan::OperatorKindName(node.kind) +
                                                         "' is malformed");
}

}  // namespace sluice::runtime::operators
