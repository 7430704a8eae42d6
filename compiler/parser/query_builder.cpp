// Builds queries, FROM items and pipe operators.
#include "compiler/parser/ast_builder.h"

namespace sluice::parser {

using P = grammar::SluiceParser;

namespace {

base::SourceSpan Cover(const base::SourceSpan& first, const base::SourceSpan& last) {
  base::SourceSpan span = first;
  span.length = last.offset + last.length - first.offset;
  return span;
}

}  // namespace

void AstBuilder::BuildLimit(P::LimitClauseContext* context, ast::ExpressionPtr* limit,
                            ast::ExpressionPtr* offset) {
  if (context->limit != nullptr) *limit = BuildExpression(context->limit);
  if (context->offset != nullptr) *offset = BuildExpression(context->offset);
  P::FetchClauseContext* fetch = context->fetchClause();
  if (fetch == nullptr) return;
  if (fetch->fetchCount != nullptr) {
    *limit = BuildExpression(fetch->fetchCount);
    return;
  }
  auto one = std::make_unique<ast::LiteralExpression>(Span(fetch));
  one->literal_kind = ast::LiteralKind::kInteger;
  one->value = "1";
  *limit = std::move(one);
}

ast::QueryPtr AstBuilder::BuildQuery(P::QueryContext* context) {
  ast::QueryPtr query = BuildQueryTerm(context->queryTerm());
  if (context->orderByClause() != nullptr || context->limitClause() != nullptr) {
    if (!query->order_by.empty() || query->limit != nullptr) {
      AddError("ORDER BY or LIMIT given twice; use a subquery", Span(context));
    }
    query->order_by = BuildOrderBy(context->orderByClause());
    if (P::LimitClauseContext* limit = context->limitClause()) {
      BuildLimit(limit, &query->limit, &query->offset);
      query->span = Cover(query->span, Span(limit));
    } else {
      query->span = Cover(query->span, Span(context->orderByClause()));
    }
  }
  if (!context->pipeOperator().empty()) {
    auto pipe = std::make_unique<ast::PipeQuery>(Span(context));
    pipe->input = std::move(query);
    for (P::PipeOperatorContext* op : context->pipeOperator()) {
      pipe->operators.push_back(BuildPipeOperator(op->pipeOperation()));
    }
    query = std::move(pipe);
  }
  if (P::WithClauseContext* with = context->withClause()) {
    std::vector<ast::CommonTableExpression> ctes;
    for (P::CommonTableExpressionContext* cte_context : with->commonTableExpression()) {
      ast::CommonTableExpression cte;
      cte.name = BuildIdentifier(cte_context->identifier());
      cte.columns = BuildColumnList(cte_context->columnList());
      cte.query = BuildQuery(cte_context->query());
      cte.span = Span(cte_context);
      ctes.push_back(std::move(cte));
    }
    for (ast::CommonTableExpression& inner : query->with) ctes.push_back(std::move(inner));
    query->with = std::move(ctes);
  }
  query->span = Span(context);
  return query;
}

ast::QueryPtr AstBuilder::BuildQueryTerm(P::QueryTermContext* context) {
  std::vector<P::SetOperationTermContext*> spine;
  P::QueryTermContext* current = context;
  while (auto* set_term = dynamic_cast<P::SetOperationTermContext*>(current)) {
    spine.push_back(set_term);
    current = set_term->left;
  }
  ast::QueryPtr result =
      BuildQueryPrimary(dynamic_cast<P::PrimaryTermContext*>(current)->queryPrimary());
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    auto set_operation = std::make_unique<ast::SetOperationQuery>(Span(*it));
    switch ((*it)->op->getType()) {
      case P::INTERSECT: set_operation->operation = ast::SetOperation::kIntersect; break;
      case P::EXCEPT: set_operation->operation = ast::SetOperation::kExcept; break;
      default: set_operation->operation = ast::SetOperation::kUnion; break;
    }
    set_operation->all =
        (*it)->setQuantifier() != nullptr && (*it)->setQuantifier()->ALL() != nullptr;
    set_operation->left = std::move(result);
    set_operation->right = BuildQueryTerm((*it)->right);
    result = std::move(set_operation);
  }
  return result;
}

ast::QueryPtr AstBuilder::BuildQueryPrimary(P::QueryPrimaryContext* context) {
  if (auto* select = dynamic_cast<P::SelectPrimaryContext*>(context)) {
    return BuildSelect(select->selectClause());
  }
  if (auto* from = dynamic_cast<P::FromPrimaryContext*>(context)) {
    auto query = std::make_unique<ast::FromQuery>(Span(from));
    query->from = BuildFrom(from->fromClause());
    return query;
  }
  if (auto* values = dynamic_cast<P::ValuesPrimaryContext*>(context)) {
    auto query = std::make_unique<ast::ValuesQuery>(Span(values));
    for (P::RowValueContext* row : values->rowValue()) {
      std::vector<ast::ExpressionPtr> expressions;
      for (P::ExpressionContext* value : row->expression())
        expressions.push_back(BuildExpression(value));
      query->rows.push_back(std::move(expressions));
    }
    return query;
  }
  auto* nested = dynamic_cast<P::NestedQueryPrimaryContext*>(context);
  return BuildQuery(nested->query());
}

ast::QueryPtr AstBuilder::BuildSelect(P::SelectClauseContext* context) {
  auto select = std::make_unique<ast::SelectQuery>(Span(context));
  select->hints = BuildHints(context->HINT());
  select->distinct =
      context->setQuantifier() != nullptr && context->setQuantifier()->DISTINCT() != nullptr;
  select->items = BuildSelectItems(context->selectItem());
  if (context->fromClause() != nullptr) select->from = BuildFrom(context->fromClause());
  if (context->where != nullptr) select->where = BuildExpression(context->where);
  if (context->groupItems() != nullptr) {
    for (P::GroupItemContext* key : context->groupItems()->groupItem()) {
      select->group_by.push_back(BuildGroupItem(key));
    }
  }
  if (context->having != nullptr) select->having = BuildExpression(context->having);
  for (P::NamedWindowContext* window : context->namedWindow()) {
    select->windows.push_back(ast::NamedWindow{BuildIdentifier(window->identifier()),
                                               BuildWindow(window->windowSpecification()),
                                               Span(window)});
  }
  return select;
}

ast::ExpressionPtr AstBuilder::BuildGroupItem(P::GroupItemContext* context) {
  if (auto* item = dynamic_cast<P::ExpressionGroupItemContext*>(context)) {
    return BuildExpression(item->expression());
  }
  auto grouping = std::make_unique<ast::GroupingSetsExpression>(Span(context));
  auto build_list = [&](const std::vector<P::ExpressionContext*>& expressions) {
    std::vector<ast::ExpressionPtr> list;
    for (P::ExpressionContext* expression : expressions)
      list.push_back(BuildExpression(expression));
    return list;
  };
  if (auto* sets = dynamic_cast<P::GroupingSetsItemContext*>(context)) {
    for (P::GroupingSetContext* set : sets->groupingSet()) {
      if (auto* list = dynamic_cast<P::ListGroupingSetContext*>(set)) {
        grouping->elements.push_back(build_list(list->expression()));
        continue;
      }
      P::GroupItemContext* item = dynamic_cast<P::NestedGroupingSetContext*>(set)->groupItem();
      grouping->elements.emplace_back();
      // `()` inside GROUPING SETS is the empty set, not a set holding the empty set.
      if (dynamic_cast<P::EmptyGroupItemContext*>(item) != nullptr) continue;
      grouping->elements.back().push_back(BuildGroupItem(item));
    }
    return grouping;
  }
  if (auto* rollup = dynamic_cast<P::RollupCubeItemContext*>(context)) {
    grouping->grouping_kind = rollup->kind->getType() == P::ROLLUP ? ast::GroupingKind::kRollup
                                                                   : ast::GroupingKind::kCube;
    for (P::GroupingElementContext* element : rollup->groupingElement()) {
      if (auto* composite = dynamic_cast<P::CompositeGroupingElementContext*>(element)) {
        grouping->elements.push_back(build_list(composite->expression()));
      } else {
        std::vector<ast::ExpressionPtr> single;
        single.push_back(
            BuildExpression(dynamic_cast<P::SingleGroupingElementContext*>(element)->expression()));
        grouping->elements.push_back(std::move(single));
      }
    }
    return grouping;
  }
  grouping->elements.emplace_back();  // GROUP BY (): one empty set
  return grouping;
}

ast::SelectItem AstBuilder::BuildSelectItem(P::SelectItemContext* context) {
  ast::SelectItem item;
  item.span = Span(context);
  if (auto* star = dynamic_cast<P::StarItemContext*>(context)) {
    item.expression = std::make_unique<ast::StarExpression>(Span(star));
  } else if (auto* qualified = dynamic_cast<P::QualifiedStarItemContext*>(context)) {
    auto expression = std::make_unique<ast::StarExpression>(Span(qualified));
    expression->qualifier = BuildQualifiedName(qualified->qualifiedName()).parts;
    item.expression = std::move(expression);
  } else {
    auto* expression = dynamic_cast<P::ExpressionItemContext*>(context);
    item.expression = BuildExpression(expression->expression());
    if (expression->identifier() != nullptr) item.alias = BuildIdentifier(expression->identifier());
  }
  return item;
}

std::vector<ast::SelectItem> AstBuilder::BuildSelectItems(
    const std::vector<P::SelectItemContext*>& items) {
  std::vector<ast::SelectItem> result;
  for (P::SelectItemContext* item : items) result.push_back(BuildSelectItem(item));
  return result;
}

std::vector<ast::OrderItem> AstBuilder::BuildOrderBy(P::OrderByClauseContext* context) {
  std::vector<ast::OrderItem> items;
  if (context == nullptr) return items;
  for (P::OrderItemContext* item : context->orderItem()) items.push_back(BuildOrderItem(item));
  return items;
}

ast::OrderItem AstBuilder::BuildOrderItem(P::OrderItemContext* context) {
  ast::OrderItem item;
  item.span = Span(context);
  item.expression = BuildExpression(context->expression());
  item.descending = context->DESC() != nullptr;
  if (context->FIRST() != nullptr) item.nulls = ast::NullOrder::kFirst;
  if (context->LAST() != nullptr) item.nulls = ast::NullOrder::kLast;
  return item;
}

ast::TableRefPtr AstBuilder::BuildFrom(P::FromClauseContext* context) {
  std::vector<P::RelationContext*> relations = context->relation();
  ast::TableRefPtr result = BuildRelation(relations[0]);
  for (size_t i = 1; i < relations.size(); ++i) {
    auto join = std::make_unique<ast::JoinRef>(Cover(result->span, Span(relations[i])));
    join->join_type = ast::JoinType::kCross;
    join->comma = true;
    join->left = std::move(result);
    join->right = BuildRelation(relations[i]);
    result = std::move(join);
  }
  return result;
}

ast::JoinType AstBuilder::BuildJoinType(P::JoinTypeContext* context) {
  if (context->LEFT() != nullptr) return ast::JoinType::kLeft;
  if (context->RIGHT() != nullptr) return ast::JoinType::kRight;
  if (context->FULL() != nullptr) return ast::JoinType::kFull;
  return ast::JoinType::kInner;
}

ast::TableRefPtr AstBuilder::BuildRelation(P::RelationContext* context) {
  std::vector<P::RelationContext*> spine;
  P::RelationContext* current = context;
  while (dynamic_cast<P::PrimaryRelationContext*>(current) == nullptr) {
    spine.push_back(current);
    if (auto* join = dynamic_cast<P::JoinRelationContext*>(current)) {
      current = join->left;
    } else {
      current = dynamic_cast<P::CrossJoinRelationContext*>(current)->left;
    }
  }
  ast::TableRefPtr result =
      BuildRelationPrimary(dynamic_cast<P::PrimaryRelationContext*>(current)->relationPrimary());
  for (auto it = spine.rbegin(); it != spine.rend(); ++it) {
    auto join = std::make_unique<ast::JoinRef>(Span(*it));
    join->left = std::move(result);
    if (auto* regular = dynamic_cast<P::JoinRelationContext*>(*it)) {
      join->join_type = BuildJoinType(regular->joinType());
      join->right = BuildRelationPrimary(regular->right);
      if (P::JoinCriteriaContext* criteria = regular->joinCriteria()) {
        if (criteria->expression() != nullptr)
          join->condition = BuildExpression(criteria->expression());
        join->using_columns = BuildColumnList(criteria->columnList());
      }
    } else {
      join->join_type = ast::JoinType::kCross;
      join->right = BuildRelationPrimary(dynamic_cast<P::CrossJoinRelationContext*>(*it)->right);
    }
    result = std::move(join);
  }
  return result;
}

void AstBuilder::BuildTableAlias(P::TableAliasContext* context, ast::TableRef* table) {
  if (context == nullptr) return;
  table->alias = BuildIdentifier(context->identifier());
  table->column_aliases = BuildColumnList(context->columnList());
}

ast::TableRefPtr AstBuilder::BuildRelationPrimary(P::RelationPrimaryContext* context) {
  if (auto* table = dynamic_cast<P::TableRelationContext*>(context)) {
    auto ref = std::make_unique<ast::BaseTableRef>(Span(table));
    ref->name = BuildQualifiedName(table->qualifiedName());
    ref->hints = BuildHints(table->HINT());
    if (table->valueExpression() != nullptr)
      ref->system_time = BuildValue(table->valueExpression());
    if (table->matchRecognize() != nullptr) {
      ast::TableRefPtr match = BuildMatchRecognize(table->matchRecognize(), std::move(ref));
      BuildTableAlias(table->tableAlias(), match.get());
      return match;
    }
    BuildTableAlias(table->tableAlias(), ref.get());
    return ref;
  }
  if (auto* subquery = dynamic_cast<P::SubqueryRelationContext*>(context)) {
    auto ref = std::make_unique<ast::SubqueryRef>(Span(subquery));
    ref->lateral = subquery->LATERAL() != nullptr;
    ref->query = BuildQuery(subquery->query());
    if (subquery->matchRecognize() != nullptr) {
      ast::TableRefPtr match = BuildMatchRecognize(subquery->matchRecognize(), std::move(ref));
      BuildTableAlias(subquery->tableAlias(), match.get());
      return match;
    }
    BuildTableAlias(subquery->tableAlias(), ref.get());
    return ref;
  }
  if (auto* unnest = dynamic_cast<P::UnnestRelationContext*>(context)) {
    auto ref = std::make_unique<ast::TableFunctionRef>(Span(unnest));
    ref->unnest = true;
    ref->with_ordinality = unnest->ORDINALITY() != nullptr;
    ref->call = std::make_unique<ast::FunctionCallExpression>(Span(unnest));
    ref->call->name.parts.push_back(ast::Identifier{"UNNEST", false, Span(unnest->UNNEST())});
    ref->call->name.span = Span(unnest->UNNEST());
    ref->call->arguments.push_back(BuildExpression(unnest->expression()));
    BuildTableAlias(unnest->tableAlias(), ref.get());
    return ref;
  }
  if (auto* function = dynamic_cast<P::TableFunctionRelationContext*>(context)) {
    auto ref = std::make_unique<ast::TableFunctionRef>(Span(function));
    ref->lateral = function->LATERAL() != nullptr;
    ref->call = BuildFunctionCall(function->functionCall());
    BuildTableAlias(function->tableAlias(), ref.get());
    return ref;
  }
  auto* parenthesized = dynamic_cast<P::ParenthesizedRelationContext*>(context);
  return BuildRelation(parenthesized->relation());
}

ast::PipeOperatorPtr AstBuilder::BuildPipeOperator(P::PipeOperationContext* context) {
  base::SourceSpan span = Span(context);
  if (auto* where = dynamic_cast<P::PipeWhereContext*>(context)) {
    auto op = std::make_unique<ast::PipeWhere>(span);
    op->hints = BuildHints(where->HINT());
    op->condition = BuildExpression(where->expression());
    return op;
  }
  if (auto* select = dynamic_cast<P::PipeSelectContext*>(context)) {
    auto op = std::make_unique<ast::PipeSelect>(span);
    op->hints = BuildHints(select->HINT());
    op->distinct =
        select->setQuantifier() != nullptr && select->setQuantifier()->DISTINCT() != nullptr;
    op->items = BuildSelectItems(select->selectItem());
    return op;
  }
  if (auto* extend = dynamic_cast<P::PipeExtendContext*>(context)) {
    auto op = std::make_unique<ast::PipeExtend>(span);
    op->hints = BuildHints(extend->HINT());
    op->items = BuildSelectItems(extend->selectItem());
    return op;
  }
  if (auto* set = dynamic_cast<P::PipeSetContext*>(context)) {
    auto op = std::make_unique<ast::PipeSet>(span);
    op->hints = BuildHints(set->HINT());
    for (P::PipeAssignmentContext* assignment : set->pipeAssignment()) {
      op->assignments.push_back(ast::PipeAssignment{BuildIdentifier(assignment->identifier()),
                                                    BuildExpression(assignment->expression()),
                                                    Span(assignment)});
    }
    return op;
  }
  if (auto* drop = dynamic_cast<P::PipeDropContext*>(context)) {
    auto op = std::make_unique<ast::PipeDrop>(span);
    op->hints = BuildHints(drop->HINT());
    for (P::IdentifierContext* column : drop->identifier())
      op->columns.push_back(BuildIdentifier(column));
    return op;
  }
  if (auto* rename = dynamic_cast<P::PipeRenameContext*>(context)) {
    auto op = std::make_unique<ast::PipeRename>(span);
    op->hints = BuildHints(rename->HINT());
    for (P::PipeRenamingContext* renaming : rename->pipeRenaming()) {
      op->renamings.push_back(ast::PipeRenaming{BuildIdentifier(renaming->identifier(0)),
                                                BuildIdentifier(renaming->identifier(1)),
                                                Span(renaming)});
    }
    return op;
  }
  if (auto* as = dynamic_cast<P::PipeAsContext*>(context)) {
    auto op = std::make_unique<ast::PipeAs>(span);
    op->alias = BuildIdentifier(as->identifier());
    return op;
  }
  if (auto* aggregate = dynamic_cast<P::PipeAggregateContext*>(context)) {
    auto op = std::make_unique<ast::PipeAggregate>(span);
    op->hints = BuildHints(aggregate->HINT());
    // Items before GROUP BY are aggregates, the ones after it are keys.
    size_t group_index =
        aggregate->GROUP() != nullptr ? aggregate->GROUP()->getSymbol()->getTokenIndex() : SIZE_MAX;
    for (P::SelectItemContext* item : aggregate->selectItem()) {
      if (item->getStart()->getTokenIndex() > group_index) {
        op->group_by.push_back(BuildSelectItem(item));
      } else {
        op->aggregates.push_back(BuildSelectItem(item));
      }
    }
    return op;
  }
  if (auto* join = dynamic_cast<P::PipeJoinContext*>(context)) {
    auto op = std::make_unique<ast::PipeJoin>(span);
    op->hints = BuildHints(join->HINT());
    op->join_type = BuildJoinType(join->joinType());
    op->right = BuildRelationPrimary(join->relationPrimary());
    if (P::JoinCriteriaContext* criteria = join->joinCriteria()) {
      if (criteria->expression() != nullptr)
        op->condition = BuildExpression(criteria->expression());
      op->using_columns = BuildColumnList(criteria->columnList());
    }
    return op;
  }
  if (auto* cross = dynamic_cast<P::PipeCrossJoinContext*>(context)) {
    auto op = std::make_unique<ast::PipeJoin>(span);
    op->hints = BuildHints(cross->HINT());
    op->join_type = ast::JoinType::kCross;
    op->right = BuildRelationPrimary(cross->relationPrimary());
    return op;
  }
  if (auto* call = dynamic_cast<P::PipeCallContext*>(context)) {
    auto op = std::make_unique<ast::PipeCall>(span);
    op->hints = BuildHints(call->HINT());
    op->call = BuildFunctionCall(call->functionCall());
    if (call->tableAlias() != nullptr) {
      op->alias = BuildIdentifier(call->tableAlias()->identifier());
      if (call->tableAlias()->columnList() != nullptr) {
        AddError("column aliases are not supported after CALL",
                 Span(call->tableAlias()->columnList()));
      }
    }
    return op;
  }
  if (auto* union_op = dynamic_cast<P::PipeUnionContext*>(context)) {
    auto op = std::make_unique<ast::PipeUnion>(span);
    op->hints = BuildHints(union_op->HINT());
    op->all = union_op->setQuantifier() != nullptr && union_op->setQuantifier()->ALL() != nullptr;
    for (P::QueryContext* query : union_op->query()) op->queries.push_back(BuildQuery(query));
    return op;
  }
  if (auto* order = dynamic_cast<P::PipeOrderByContext*>(context)) {
    auto op = std::make_unique<ast::PipeOrderBy>(span);
    op->hints = BuildHints(order->HINT());
    for (P::OrderItemContext* item : order->orderItem())
      op->order_by.push_back(BuildOrderItem(item));
    if (P::LimitClauseContext* limit = order->limitClause()) {
      BuildLimit(limit, &op->limit, &op->offset);
    }
    return op;
  }
  auto* limit = dynamic_cast<P::PipeLimitContext*>(context);
  auto op = std::make_unique<ast::PipeLimit>(span);
  op->hints = BuildHints(limit->HINT());
  op->limit = BuildExpression(limit->limit);
  if (limit->offset != nullptr) op->offset = BuildExpression(limit->offset);
  return op;
}

}  // namespace sluice::parser
