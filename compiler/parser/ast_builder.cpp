#include "compiler/parser/ast_builder.h"

#include <cctype>
#include <charconv>

namespace sluice::parser {

using P = grammar::SluiceParser;

base::SourceSpan AstBuilder::Span(antlr4::ParserRuleContext* context) const {
  antlr4::Token* start = context->getStart();
  antlr4::Token* stop = context->getStop();
  if (start == nullptr) return {};
  size_t stop_index = stop != nullptr ? stop->getStopIndex() : start->getStartIndex() - 1;
  if (stop != nullptr && stop->getType() == antlr4::Token::EOF)
    stop_index = stop->getStartIndex() - 1;
  return source_.Span(start->getStartIndex(), stop_index);
}

base::SourceSpan AstBuilder::Span(antlr4::Token* token) const {
  return source_.Span(token->getStartIndex(), token->getStopIndex());
}

std::string AstBuilder::Text(antlr4::Token* token) const {
  return source_.Slice(token->getStartIndex(), token->getStopIndex());
}

std::string AstBuilder::Unquote(antlr4::tree::TerminalNode* node) const {
  std::string text = Text(node);
  if (text.size() < 2) return "";
  char quote = text.front();
  std::string out;
  out.reserve(text.size() - 2);
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    out += text[i];
    if (text[i] == quote && text[i + 1] == quote) ++i;
  }
  return out;
}

ast::Identifier AstBuilder::BuildIdentifier(P::IdentifierContext* context) const {
  ast::Identifier identifier;
  identifier.span = Span(context);
  if (context->QUOTED_IDENTIFIER() != nullptr) {
    identifier.name = Unquote(context->QUOTED_IDENTIFIER());
    identifier.quoted = true;
  } else {
    identifier.name = Text(context->getStart());
  }
  return identifier;
}

ast::QualifiedName AstBuilder::BuildQualifiedName(P::QualifiedNameContext* context) const {
  ast::QualifiedName name;
  name.span = Span(context);
  for (P::IdentifierContext* part : context->identifier())
    name.parts.push_back(BuildIdentifier(part));
  return name;
}

std::vector<ast::Identifier> AstBuilder::BuildColumnList(P::ColumnListContext* context) const {
  std::vector<ast::Identifier> columns;
  if (context == nullptr) return columns;
  for (P::IdentifierContext* column : context->identifier())
    columns.push_back(BuildIdentifier(column));
  return columns;
}

int64_t AstBuilder::ParseInteger(antlr4::tree::TerminalNode* node, int64_t max_value) {
  std::string text = Text(node);
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max_value) {
    AddError("number out of range: " + text, Span(node));
    return 0;
  }
  return value;
}

void AstBuilder::AddError(const std::string& message, base::SourceSpan span) {
  errors_->push_back(base::Diagnostic{base::ErrorCode::kSyntax, message, span, {}});
}

ast::StatementPtr AstBuilder::BuildStatement(P::StatementContext* context) {
  base::SourceSpan span = Span(context);
  if (auto* query = dynamic_cast<P::QueryStatementContext*>(context)) {
    auto statement = std::make_unique<ast::QueryStatement>(span);
    statement->query = BuildQuery(query->query());
    return statement;
  }
  if (auto* insert = dynamic_cast<P::InsertStatementContext*>(context)) {
    auto statement = std::make_unique<ast::InsertStatement>(span);
    statement->target = BuildQualifiedName(insert->qualifiedName());
    statement->overwrite = insert->OVERWRITE() != nullptr;
    statement->hints = BuildHints(insert->HINT());
    statement->columns = BuildColumnList(insert->columnList());
    statement->query = BuildQuery(insert->query());
    return statement;
  }
  if (auto* create = dynamic_cast<P::CreateTableStatementContext*>(context)) {
    return BuildCreateTable(create);
  }
  if (auto* create = dynamic_cast<P::CreateViewStatementContext*>(context)) {
    auto statement = std::make_unique<ast::CreateViewStatement>(span);
    statement->name = BuildQualifiedName(create->qualifiedName());
    statement->temporary = create->TEMPORARY() != nullptr;
    statement->if_not_exists = create->EXISTS() != nullptr;
    statement->columns = BuildColumnList(create->columnList());
    statement->query = BuildQuery(create->query());
    return statement;
  }
  if (auto* create = dynamic_cast<P::CreateFunctionStatementContext*>(context)) {
    auto statement = std::make_unique<ast::CreateFunctionStatement>(span);
    statement->name = BuildQualifiedName(create->qualifiedName());
    statement->temporary = create->TEMPORARY() != nullptr;
    statement->system = create->SYSTEM() != nullptr;
    statement->if_not_exists = create->EXISTS() != nullptr;
    statement->implementation = Unquote(create->STRING());
    statement->implementation_span = Span(create->STRING());
    if (create->identifier() != nullptr)
      statement->language = BuildIdentifier(create->identifier());
    return statement;
  }
  if (auto* set = dynamic_cast<P::SetStatementContext*>(context)) {
    auto statement = std::make_unique<ast::SetStatement>(span);
    if (set->STRING().size() == 2) {
      statement->key = Unquote(set->STRING(0));
      statement->value = Unquote(set->STRING(1));
      statement->key_span = Span(set->STRING(0));
      statement->value_span = Span(set->STRING(1));
    }
    return statement;
  }
  if (auto* drop = dynamic_cast<P::DropStatementContext*>(context)) {
    auto statement = std::make_unique<ast::DropStatement>(span);
    statement->object = drop->dropKind->getType() == P::TABLE ? ast::DropStatement::Object::kTable
                        : drop->dropKind->getType() == P::VIEW
                            ? ast::DropStatement::Object::kView
                            : ast::DropStatement::Object::kFunction;
    statement->if_exists = drop->EXISTS() != nullptr;
    statement->name = BuildQualifiedName(drop->qualifiedName());
    return statement;
  }
  if (auto* create = dynamic_cast<P::CreateCatalogStatementContext*>(context)) {
    auto statement = std::make_unique<ast::CreateCatalogStatement>(span);
    statement->catalog = create->createKind->getType() == P::CATALOG;
    statement->if_not_exists = create->EXISTS() != nullptr;
    statement->name = BuildQualifiedName(create->qualifiedName());
    return statement;
  }
  if (auto* use = dynamic_cast<P::UseStatementContext*>(context)) {
    auto statement = std::make_unique<ast::UseStatement>(span);
    statement->catalog = use->CATALOG() != nullptr;
    statement->name = BuildQualifiedName(use->qualifiedName());
    return statement;
  }
  if (auto* reset = dynamic_cast<P::ResetStatementContext*>(context)) {
    auto statement = std::make_unique<ast::ResetStatement>(span);
    if (reset->STRING() != nullptr) statement->key = Unquote(reset->STRING());
    return statement;
  }
  if (auto* upgrade = dynamic_cast<P::ExplainUpgradeStatementContext*>(context)) {
    auto statement = std::make_unique<ast::ExplainUpgradeStatement>(span);
    statement->directory = Unquote(upgrade->STRING());
    statement->directory_span = Span(upgrade->STRING()->getSymbol());
    return statement;
  }
  if (auto* explain = dynamic_cast<P::ExplainStatementContext*>(context)) {
    auto statement = std::make_unique<ast::ExplainStatement>(span);
    statement->statement = BuildStatement(explain->statement());
    if (statement->statement == nullptr) return nullptr;
    return statement;
  }
  if (auto* show = dynamic_cast<P::ShowStatementContext*>(context)) {
    auto statement = std::make_unique<ast::ShowStatement>(span);
    if (show->FUNCTIONS() != nullptr) statement->object = ast::ShowObject::kFunctions;
    if (show->VIEWS() != nullptr) statement->object = ast::ShowObject::kViews;
    if (show->JOBS() != nullptr) statement->object = ast::ShowObject::kJobs;
    return statement;
  }
  if (auto* describe = dynamic_cast<P::DescribeStatementContext*>(context)) {
    auto statement = std::make_unique<ast::DescribeStatement>(span);
    statement->name = BuildQualifiedName(describe->qualifiedName());
    return statement;
  }
  if (auto* stop = dynamic_cast<P::StopJobStatementContext*>(context)) {
    auto statement = std::make_unique<ast::StopJobStatement>(span);
    statement->job_name = Unquote(stop->STRING());
    statement->with_savepoint = stop->SAVEPOINT() != nullptr;
    statement->drain = stop->DRAIN() != nullptr;
    return statement;
  }
  // BEGIN STATEMENT SET / END are handled by the driver; inside EXPLAIN they mean nothing.
  AddError("EXPLAIN needs a statement", span);
  return nullptr;
}

ast::StatementPtr AstBuilder::BuildCreateTable(P::CreateTableStatementContext* context) {
  auto statement = std::make_unique<ast::CreateTableStatement>(Span(context));
  statement->name = BuildQualifiedName(context->qualifiedName());
  statement->temporary = context->TEMPORARY() != nullptr;
  statement->if_not_exists = context->EXISTS() != nullptr;
  for (P::TableElementContext* element : context->tableElement()) {
    if (auto* column = dynamic_cast<P::ColumnDefinitionContext*>(element)) {
      ast::ColumnDefinition definition;
      definition.name = BuildIdentifier(column->identifier());
      definition.type = BuildDataType(column->dataType());
      definition.primary_key = column->PRIMARY() != nullptr;
      if (column->STRING() != nullptr) definition.comment = Unquote(column->STRING());
      definition.span = Span(column);
      statement->columns.push_back(std::move(definition));
    } else if (auto* column = dynamic_cast<P::MetadataColumnContext*>(element)) {
      ast::ColumnDefinition definition;
      definition.name = BuildIdentifier(column->identifier());
      definition.type = BuildDataType(column->dataType());
      ast::MetadataClause metadata;
      if (column->key != nullptr) {
        metadata.key = Unquote(column->STRING(0));
        metadata.key_span = Span(column->key);
      }
      metadata.is_virtual = column->VIRTUAL() != nullptr;
      antlr4::Token* last = column->METADATA()->getSymbol();
      if (column->key != nullptr) last = column->key;
      if (column->VIRTUAL() != nullptr) last = column->VIRTUAL()->getSymbol();
      metadata.span =
          source_.Span(column->METADATA()->getSymbol()->getStartIndex(), last->getStopIndex());
      definition.metadata = std::move(metadata);
      if (column->comment != nullptr) definition.comment = Unquote(column->STRING().back());
      definition.span = Span(column);
      statement->columns.push_back(std::move(definition));
    } else if (auto* computed = dynamic_cast<P::ComputedColumnContext*>(element)) {
      ast::ColumnDefinition definition;
      definition.name = BuildIdentifier(computed->identifier());
      definition.computed = BuildExpression(computed->expression());
      if (computed->STRING() != nullptr) definition.comment = Unquote(computed->STRING());
      definition.span = Span(computed);
      statement->columns.push_back(std::move(definition));
    } else if (auto* watermark = dynamic_cast<P::WatermarkDefinitionContext*>(element)) {
      ast::WatermarkDefinition definition;
      definition.column = BuildIdentifier(watermark->identifier());
      definition.expression = BuildExpression(watermark->expression());
      definition.span = Span(watermark);
      statement->watermarks.push_back(std::move(definition));
    } else if (auto* key = dynamic_cast<P::PrimaryKeyConstraintContext*>(element)) {
      if (!statement->primary_key.empty()) AddError("duplicate PRIMARY KEY", Span(key));
      statement->primary_key = BuildColumnList(key->columnList());
      statement->primary_key_span = Span(key);
    }
  }
  if (context->STRING() != nullptr) statement->comment = Unquote(context->STRING());
  statement->partitioned_by = BuildColumnList(context->columnList());
  if (context->properties() != nullptr) {
    for (P::PropertyContext* property : context->properties()->property()) {
      ast::TableOption option;
      option.key = Unquote(property->STRING(0));
      option.value = Unquote(property->STRING(1));
      option.key_span = Span(property->STRING(0));
      option.value_span = Span(property->STRING(1));
      statement->options.push_back(std::move(option));
    }
  }
  if (P::LikeClauseContext* like = context->likeClause()) {
    ast::LikeClause clause;
    clause.source = BuildQualifiedName(like->qualifiedName());
    clause.span = Span(like);
    for (P::LikeOptionContext* option : like->likeOption()) {
      ast::LikeOption built;
      built.span = Span(option);
      switch (option->strategy->getType()) {
        case P::INCLUDING: built.strategy = ast::LikeOption::Strategy::kIncluding; break;
        case P::EXCLUDING: built.strategy = ast::LikeOption::Strategy::kExcluding; break;
        default: built.strategy = ast::LikeOption::Strategy::kOverwriting; break;
      }
      switch (option->feature->getType()) {
        case P::ALL: built.feature = ast::LikeOption::Feature::kAll; break;
        case P::CONSTRAINTS: built.feature = ast::LikeOption::Feature::kConstraints; break;
        case P::PARTITIONS: built.feature = ast::LikeOption::Feature::kPartitions; break;
        case P::GENERATED: built.feature = ast::LikeOption::Feature::kGenerated; break;
        case P::OPTIONS: built.feature = ast::LikeOption::Feature::kOptions; break;
        case P::WATERMARKS: built.feature = ast::LikeOption::Feature::kWatermarks; break;
        default: built.feature = ast::LikeOption::Feature::kMetadata; break;
      }
      clause.options.push_back(built);
    }
    statement->like = std::move(clause);
  }
  if (context->query() != nullptr) statement->as_query = BuildQuery(context->query());
  return statement;
}

namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

ast::DataType AstBuilder::BuildDataType(P::DataTypeContext* context) {
  P::BaseDataTypeContext* base_type = context->baseDataType();
  ast::DataType type;
  type.span = Span(context);
  type.not_null = context->NOT() != nullptr;
  auto add_fields = [this, &type](const std::vector<P::RowFieldContext*>& fields) {
    for (P::RowFieldContext* field : fields) {
      ast::DataTypeField data_field;
      data_field.name = BuildIdentifier(field->identifier());
      data_field.type = BuildDataType(field->dataType());
      if (field->STRING() != nullptr) data_field.comment = Unquote(field->STRING());
      type.fields.push_back(std::move(data_field));
    }
  };
  if (auto* row = dynamic_cast<P::RowAngleTypeContext*>(base_type)) {
    type.name = "ROW";
    add_fields(row->rowField());
  } else if (auto* row = dynamic_cast<P::RowParenTypeContext*>(base_type)) {
    type.name = "ROW";
    add_fields(row->rowField());
  } else if (auto* interval = dynamic_cast<P::IntervalTypeContext*>(base_type)) {
    type.name = "INTERVAL";
    if (interval->intervalQualifier() != nullptr) {
      type.interval = BuildIntervalQualifier(interval->intervalQualifier());
    }
  } else if (auto* generic = dynamic_cast<P::GenericTypeContext*>(base_type)) {
    type.name = Upper(BuildIdentifier(generic->identifier()).name);
    for (P::DataTypeContext* argument : generic->dataType()) {
      type.type_arguments.push_back(BuildDataType(argument));
    }
  } else if (auto* named = dynamic_cast<P::NamedTypeContext*>(base_type)) {
    type.name = Upper(BuildIdentifier(named->identifier()).name);
    for (antlr4::tree::TerminalNode* parameter : named->INTEGER_VALUE()) {
      type.parameters.push_back(ParseInteger(parameter, INT32_MAX));
    }
    P::TimeZoneSuffixContext* zone = named->timeZoneSuffix();
    if (zone != nullptr && zone->WITH_LOCAL_TIME_ZONE() != nullptr) {
      if (type.name == "TIMESTAMP") {
        type.name = "TIMESTAMP_LTZ";
      } else {
        type.name += " WITH LOCAL TIME ZONE";  // refused by the binder as an unknown type
      }
    }
  }
  return type;
}

std::vector<ast::Hint> AstBuilder::BuildHints(antlr4::tree::TerminalNode* node) {
  std::vector<ast::Hint> hints;
  if (node == nullptr) return hints;
  // The hint text is `/*+ NAME('arg', word, 1), NAME2 */`; scan it by hand: it is too small a
  // language to deserve grammar rules, and a bad hint should not hide the rest of the query.
  const std::string text = Text(node);
  const int32_t base_offset = Span(node).offset;
  const size_t end = text.size() - 2;  // before "*/"
  size_t pos = 3;                      // after "/*+"
  auto skip_space = [&] {
    while (pos < end && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  };
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           (static_cast<unsigned char>(c) >= 0x80);
  };
  auto fail = [&](const std::string& message) {
    AddError(message, source_.ByteSpan(base_offset + static_cast<int32_t>(std::min(pos, end)), 1));
    hints.clear();
  };
  // Reads a quoted string or a bare word at `pos`.
  auto read_argument = [&](std::string* out) -> bool {
    if (pos < end && text[pos] == '\'') {
      ++pos;
      while (pos < end) {
        if (text[pos] == '\'') {
          if (pos + 1 < end && text[pos + 1] == '\'') {
            *out += '\'';
            pos += 2;
            continue;
          }
          ++pos;
          return true;
        }
        *out += text[pos++];
      }
      return false;
    }
    size_t start = pos;
    while (pos < end && is_word(text[pos])) ++pos;
    *out = text.substr(start, pos - start);
    return pos > start;
  };
  skip_space();
  while (pos < end) {
    ast::Hint hint;
    size_t name_start = pos;
    while (pos < end && is_word(text[pos])) ++pos;
    if (pos == name_start) {
      fail("malformed hint: expected a hint name");
      return hints;
    }
    hint.name.name = text.substr(name_start, pos - name_start);
    hint.name.span = source_.ByteSpan(base_offset + static_cast<int32_t>(name_start),
                                      static_cast<int32_t>(pos - name_start));
    skip_space();
    if (pos < end && text[pos] == '(') {
      ++pos;
      skip_space();
      while (pos < end && text[pos] != ')') {
        std::string argument;
        if (!read_argument(&argument)) {
          fail("malformed hint: expected a quoted string or a word");
          return hints;
        }
        hint.arguments.push_back(std::move(argument));
        skip_space();
        if (pos < end && (text[pos] == ',' || text[pos] == '=')) {
          ++pos;
          skip_space();
        } else if (pos < end && text[pos] != ')') {
          fail("malformed hint: expected ',' or ')'");
          return hints;
        }
      }
      if (pos >= end) {
        fail("malformed hint: missing ')'");
        return hints;
      }
      ++pos;
    }
    hint.span = source_.ByteSpan(base_offset + static_cast<int32_t>(name_start),
                                 static_cast<int32_t>(pos - name_start));
    hints.push_back(std::move(hint));
    skip_space();
    if (pos < end && text[pos] == ',') {
      ++pos;
      skip_space();
    }
  }
  return hints;
}

}  // namespace sluice::parser
