#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/data_type.h"
#include "compiler/ast/expression.h"
#include "compiler/ast/identifier.h"
#include "compiler/ast/node.h"
#include "compiler/ast/query.h"

namespace sluice::ast {

enum class StatementKind {
  kQuery,
  kInsert,
  kCreateTable,
  kCreateView,
  kCreateFunction,
  kSet,
  kReset,
  kExplain,
  kExplainUpgrade,
  kShow,
  kDescribe,
  kStopJob,
  kDrop,
  kCreateCatalog,
  kUse,
};

/// One statement of a script. `BEGIN STATEMENT SET; ... END;` is flattened by the parser into
/// the statements it wraps.
class Statement : public Node<StatementKind> {
 protected:
  using Node::Node;
};
using StatementPtr = std::unique_ptr<Statement>;

/// A bare query (for EXPLAIN, the REPL and tests).
struct QueryStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kQuery;
  explicit QueryStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QueryPtr query;
};

/// `INSERT INTO target [(cols)] query`; `INSERT INTO t VALUES (...)` has a ValuesQuery.
struct InsertStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kInsert;
  explicit InsertStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QualifiedName target;
  std::vector<Hint> hints;  // INSERT INTO t /*+ OPTIONS(...) */
  bool overwrite = false;
  std::vector<Identifier> columns;  // empty: all columns in order
  QueryPtr query;
};

/// `METADATA [FROM 'key'] [VIRTUAL]` after a column's type: the connector's metadata `key`
/// (Kafka's `offset`, `timestamp`, …), read-only when VIRTUAL.
struct MetadataClause {
  std::optional<std::string> key;  // FROM 'key', unquoted; none: the column's name
  base::SourceSpan key_span;       // of the FROM string, when there is one
  bool is_virtual = false;
  base::SourceSpan span;  // from METADATA to VIRTUAL (or to the key, or METADATA alone)
};

/// A physical column (`type` set, `computed` null), a metadata column (`type` and `metadata`
/// set) or a computed column `name AS expr` (`computed` set, no type).
struct ColumnDefinition {
  Identifier name;
  std::optional<DataType> type;
  ExpressionPtr computed;
  std::optional<MetadataClause> metadata;
  bool primary_key = false;  // `col TYPE PRIMARY KEY NOT ENFORCED`
  std::string comment;
  base::SourceSpan span;

  bool IsComputed() const { return computed != nullptr; }
  bool IsMetadata() const { return metadata.has_value(); }
};

/// `WATERMARK FOR column AS expression`.
struct WatermarkDefinition {
  Identifier column;
  ExpressionPtr expression;
  base::SourceSpan span;
};

/// One `'key' = 'value'` of a WITH (...) list; key and value unquoted.
struct TableOption {
  std::string key;
  std::string value;
  base::SourceSpan key_span;
  base::SourceSpan value_span;
};

/// One option of `LIKE source (...)`: how a feature of the source table is merged.
struct LikeOption {
  enum class Strategy { kIncluding, kExcluding, kOverwriting };
  enum class Feature {
    kAll,
    kConstraints,
    kPartitions,
    kGenerated,
    kOptions,
    kWatermarks,
    kMetadata
  };
  Strategy strategy = Strategy::kIncluding;
  Feature feature = Feature::kAll;
  base::SourceSpan span;
};

/// `LIKE source [(options)]` of a CREATE TABLE (Flink's CREATE TABLE ... LIKE).
struct LikeClause {
  QualifiedName source;
  std::vector<LikeOption> options;
  base::SourceSpan span;
};

/// The SQL spelling of a LIKE option's strategy and feature: `INCLUDING`, `ALL`.
const char* LikeStrategyName(LikeOption::Strategy strategy);
const char* LikeFeatureName(LikeOption::Feature feature);

/// `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (columns, WATERMARK ..., PRIMARY KEY ...)
/// [PARTITIONED BY (...)] WITH (...)`. Columns keep their written order, computed and metadata
/// ones included.
struct CreateTableStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kCreateTable;
  explicit CreateTableStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
  bool temporary = false;
  bool if_not_exists = false;
  std::vector<ColumnDefinition> columns;
  std::vector<WatermarkDefinition> watermarks;  // Flink allows one; the binder checks
  std::vector<Identifier> primary_key;          // PRIMARY KEY (...) NOT ENFORCED
  base::SourceSpan primary_key_span;
  std::vector<Identifier> partitioned_by;
  std::vector<TableOption> options;
  std::string comment;
  std::optional<LikeClause> like;  // CREATE TABLE ... LIKE source
  QueryPtr as_query;               // CREATE TABLE ... AS query; may be null
};

/// `CREATE [TEMPORARY] VIEW [IF NOT EXISTS] name [(cols)] AS query`.
struct CreateViewStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kCreateView;
  explicit CreateViewStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
  bool temporary = false;
  bool if_not_exists = false;
  std::vector<Identifier> columns;
  QueryPtr query;
};

/// `CREATE [TEMPORARY] [SYSTEM] FUNCTION name AS 'path.so:symbol' [LANGUAGE lang]`.
struct CreateFunctionStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kCreateFunction;
  explicit CreateFunctionStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
  bool temporary = false;
  bool system = false;
  bool if_not_exists = false;
  std::string implementation;  // unquoted
  base::SourceSpan implementation_span;
  std::optional<Identifier> language;
};

/// `SET 'key' = 'value'`, or a bare `SET` (list all); key and value unquoted.
struct SetStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kSet;
  explicit SetStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  std::optional<std::string> key;
  std::optional<std::string> value;
  base::SourceSpan key_span;
  base::SourceSpan value_span;
};

/// `DROP [TEMPORARY] [SYSTEM] {TABLE | VIEW | FUNCTION} [IF EXISTS] name`.
struct DropStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kDrop;
  enum class Object { kTable, kView, kFunction };
  explicit DropStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  Object object = Object::kTable;
  bool if_exists = false;
  QualifiedName name;
};

/// `CREATE {CATALOG | DATABASE} [IF NOT EXISTS] name [COMMENT '...'] [WITH (...)]`.
struct CreateCatalogStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kCreateCatalog;
  explicit CreateCatalogStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  bool catalog = false;  // CATALOG, else DATABASE
  bool if_not_exists = false;
  QualifiedName name;
};

/// `USE CATALOG name` / `USE [catalog.]database`.
struct UseStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kUse;
  explicit UseStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  bool catalog = false;
  QualifiedName name;
};

/// `RESET ['key']`.
struct ResetStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kReset;
  explicit ResetStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  std::optional<std::string> key;
};

/// `EXPLAIN [PLAN FOR] statement`.
struct ExplainStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kExplain;
  explicit ExplainStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  StatementPtr statement;
};

/// `EXPLAIN UPGRADE FROM 'snapshot-dir'`: what `sluice check` says of this script's job
/// against the snapshot's.
struct ExplainUpgradeStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kExplainUpgrade;
  explicit ExplainUpgradeStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  std::string directory;
  base::SourceSpan directory_span;
};

enum class ShowObject { kTables, kFunctions, kViews, kJobs };

/// `SHOW TABLES | FUNCTIONS | VIEWS | JOBS`.
struct ShowStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kShow;
  explicit ShowStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  ShowObject object = ShowObject::kTables;
};

/// `DESCRIBE name` (also `DESC name`).
struct DescribeStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kDescribe;
  explicit DescribeStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  QualifiedName name;
};

/// `STOP JOB 'name' [WITH SAVEPOINT] [WITH DRAIN]`.
struct StopJobStatement final : Statement {
  static constexpr StatementKind kKind = StatementKind::kStopJob;
  explicit StopJobStatement(base::SourceSpan span) : Statement(kKind, span) {}
  std::string ToString() const override;

  std::string job_name;
  bool with_savepoint = false;
  bool drain = false;
};

}  // namespace sluice::ast
