#include <gtest/gtest.h>

#include "tests/unit/parser/parser_test_util.h"

namespace sluice::parser {
namespace {

using testing::ErrorsToString;
using testing::ParseOne;

const ast::Query& QueryOf(const ParseResult& result, size_t index = 0) {
  const ast::Statement& statement = *result.statements.at(index);
  if (statement.Is<ast::InsertStatement>()) return *statement.Cast<ast::InsertStatement>().query;
  if (statement.Is<ast::CreateViewStatement>())
    return *statement.Cast<ast::CreateViewStatement>().query;
  return *statement.Cast<ast::QueryStatement>().query;
}

std::string Expr(const std::string& expression) {
  std::string rendered = ParseOne("SELECT " + expression);
  EXPECT_EQ(rendered.rfind("SELECT ", 0), 0u);
  return rendered.substr(7);
}

TEST(ParserTest, OperatorPrecedence) {
  EXPECT_EQ(Expr("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
  EXPECT_EQ(Expr("a OR b AND NOT c"), "(a OR (b AND (NOT c)))");
  EXPECT_EQ(Expr("NOT a = b"), "(NOT (a = b))");
  EXPECT_EQ(Expr("-a * b"), "((-a) * b)");
  EXPECT_EQ(Expr("a || b || 'c'"), "((a || b) || 'c')");
  EXPECT_EQ(Expr("x BETWEEN 1 AND 2 AND y"), "((x BETWEEN 1 AND 2) AND y)");
  EXPECT_EQ(Expr("x NOT BETWEEN a - 1 AND b + 1"), "(x NOT BETWEEN (a - 1) AND (b + 1))");
  EXPECT_EQ(Expr("a <> b OR a != b"), "((a <> b) OR (a <> b))");
  EXPECT_EQ(Expr("x % 123 = 0"), "((x % 123) = 0)");
}

TEST(ParserTest, Predicates) {
  EXPECT_EQ(Expr("x IS NOT NULL"), "(x IS NOT NULL)");
  EXPECT_EQ(Expr("x IS TRUE"), "(x IS TRUE)");
  EXPECT_EQ(Expr("x NOT IN (1, 2)"), "(x NOT IN (1, 2))");
  EXPECT_EQ(Expr("x IN (SELECT id FROM t)"), "(x IN (SELECT id FROM t))");
  EXPECT_EQ(Expr("s NOT LIKE 'a%' ESCAPE '!'"), "(s NOT LIKE 'a%' ESCAPE '!')");
  EXPECT_EQ(Expr("EXISTS (SELECT 1)"), "EXISTS (SELECT 1)");
  EXPECT_EQ(Expr("a IS DISTINCT FROM b"), "(a IS DISTINCT FROM b)");
}

TEST(ParserTest, SpecialForms) {
  EXPECT_EQ(Expr("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"),
            "CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END");
  EXPECT_EQ(Expr("CASE x WHEN 1 THEN 'a' END"), "CASE x WHEN 1 THEN 'a' END");
  EXPECT_EQ(Expr("CAST(x AS DECIMAL(10, 2))"), "CAST(x AS DECIMAL(10, 2))");
  EXPECT_EQ(Expr("TRY_CAST(x AS VARCHAR NOT NULL)"), "TRY_CAST(x AS VARCHAR NOT NULL)");
  EXPECT_EQ(Expr("CAST(x AS DOUBLE PRECISION)"), "CAST(x AS DOUBLE)");
  EXPECT_EQ(Expr("EXTRACT(HOUR FROM ts)"), "EXTRACT(HOUR FROM ts)");
  EXPECT_EQ(Expr("SUBSTRING(s FROM 1 FOR 2)"), "SUBSTRING(s, 1, 2)");
  EXPECT_EQ(Expr("SUBSTRING(s, 1, 2)"), "SUBSTRING(s, 1, 2)");
  EXPECT_EQ(Expr("TRIM(s)"), "TRIM(s)");
  EXPECT_EQ(Expr("TRIM(LEADING 'x' FROM s)"), "LTRIM(s, 'x')");
  EXPECT_EQ(Expr("POSITION('a' IN s)"), "POSITION('a', s)");
  EXPECT_EQ(Expr("COUNT(*)"), "COUNT(*)");
  EXPECT_EQ(Expr("count(DISTINCT bidder) FILTER (WHERE price < 10)"),
            "count(DISTINCT bidder) FILTER (WHERE (price < 10))");
  EXPECT_EQ(Expr("ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST)"),
            "ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC NULLS LAST)");
  EXPECT_EQ(Expr("AVG(p) OVER (ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)"),
            "AVG(p) OVER (ORDER BY ts ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)");
  EXPECT_EQ(Expr("(SELECT MAX(x) FROM t)"), "(SELECT MAX(x) FROM t)");
  EXPECT_EQ(Expr("HOUR(`dateTime`)"), "HOUR(`dateTime`)");
  EXPECT_EQ(Expr("LEFT(s, 2)"), "LEFT(s, 2)");
  EXPECT_EQ(Expr("m['k'].f"), "(m['k']).f");
}

TEST(ParserTest, LiteralsKeepTheirSpelling) {
  ParseResult result = ParseScript(
      "SELECT 42, 0.908, 1e3, 'it''s', TRUE, NULL, TIMESTAMP '2024-01-01 00:00:00', "
      "DATE '2024-01-01', INTERVAL '10' SECOND(2), INTERVAL '1' DAY TO HOUR, .5");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& select = QueryOf(result).Cast<ast::SelectQuery>();
  auto literal = [&](size_t i) -> const ast::LiteralExpression& {
    return select.items.at(i).expression->Cast<ast::LiteralExpression>();
  };
  EXPECT_EQ(literal(0).literal_kind, ast::LiteralKind::kInteger);
  EXPECT_EQ(literal(0).value, "42");
  EXPECT_EQ(literal(1).literal_kind, ast::LiteralKind::kDecimal);
  EXPECT_EQ(literal(1).value, "0.908");
  EXPECT_EQ(literal(2).literal_kind, ast::LiteralKind::kApproximate);
  EXPECT_EQ(literal(3).literal_kind, ast::LiteralKind::kString);
  EXPECT_EQ(literal(3).value, "it's");
  EXPECT_EQ(literal(4).literal_kind, ast::LiteralKind::kBoolean);
  EXPECT_TRUE(literal(4).boolean_value);
  EXPECT_EQ(literal(5).literal_kind, ast::LiteralKind::kNull);
  EXPECT_EQ(literal(6).literal_kind, ast::LiteralKind::kTimestamp);
  EXPECT_EQ(literal(6).value, "2024-01-01 00:00:00");
  EXPECT_EQ(literal(7).literal_kind, ast::LiteralKind::kDate);
  EXPECT_EQ(literal(8).literal_kind, ast::LiteralKind::kInterval);
  EXPECT_EQ(literal(8).value, "10");
  EXPECT_EQ(literal(8).interval.start, ast::TimeUnit::kSecond);
  EXPECT_EQ(literal(8).interval.start_precision, 2);
  EXPECT_EQ(literal(9).interval.start, ast::TimeUnit::kDay);
  EXPECT_EQ(literal(9).interval.end, ast::TimeUnit::kHour);
  EXPECT_EQ(literal(10).literal_kind, ast::LiteralKind::kDecimal);
}

TEST(ParserTest, NamesCarrySpans) {
  ParseResult result = ParseScript("SELECT B.bid.price,\n  `dateTime` FROM bid AS B");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& select = QueryOf(result).Cast<ast::SelectQuery>();
  const auto& column = select.items[0].expression->Cast<ast::ColumnRefExpression>();
  ASSERT_EQ(column.parts.size(), 3u);
  EXPECT_EQ(column.parts[2].name, "price");
  EXPECT_EQ(column.parts[2].span.line, 1);
  EXPECT_EQ(column.parts[2].span.column, 14);
  EXPECT_EQ(column.parts[2].span.length, 5);
  EXPECT_EQ(column.span.column, 8);
  EXPECT_EQ(column.span.length, 11);
  const auto& quoted = select.items[1].expression->Cast<ast::ColumnRefExpression>();
  EXPECT_EQ(quoted.parts[0].name, "dateTime");
  EXPECT_TRUE(quoted.parts[0].quoted);
  EXPECT_EQ(quoted.parts[0].span.line, 2);
  EXPECT_EQ(quoted.parts[0].span.column, 3);
  EXPECT_EQ(quoted.parts[0].span.length, 10);
  const auto& table = select.from->Cast<ast::BaseTableRef>();
  EXPECT_EQ(table.name.ToString(), "bid");
  EXPECT_EQ(table.alias->name, "B");
}

TEST(ParserTest, SpansCountBytesAfterMultibyteCharacters) {
  ParseResult result = ParseScript("SELECT 'héllo', x FROM t");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& select = QueryOf(result).Cast<ast::SelectQuery>();
  EXPECT_EQ(select.items[0].expression->Cast<ast::LiteralExpression>().value, "héllo");
  EXPECT_EQ(select.items[1].expression->span.offset, 17);
  EXPECT_EQ(select.items[1].expression->span.column, 18);
}

TEST(ParserTest, KeywordsAsIdentifiers) {
  EXPECT_EQ(ParseOne("SELECT id, name, state, date, value, timestamp, day, hour, key, final, "
                     "window_start, num, `minute` FROM t"),
            "SELECT id, name, state, date, value, timestamp, day, hour, key, final, window_start, "
            "num, `minute` FROM t");
  EXPECT_EQ(ParseOne("select A.Id from T a where A.x = 1"),
            "SELECT A.Id FROM T AS a WHERE (A.x = 1)");
}

TEST(ParserTest, CreateTableKeepsColumnsWatermarkAndOptions) {
  ParseResult result = ParseScript(R"sql(
    CREATE TABLE IF NOT EXISTS clicks (
      user_id BIGINT NOT NULL,
      url VARCHAR(100),
      price DECIMAL(23, 3),
      payload ROW<id BIGINT, inner_row ROW(a INT, b STRING)>,
      ts TIMESTAMP(3),
      ts_ltz TIMESTAMP_LTZ(3),
      gap INTERVAL DAY TO SECOND,
      doubled AS price * 2,
      WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
      PRIMARY KEY (user_id) NOT ENFORCED
    ) PARTITIONED BY (url) WITH ('connector' = 'values', 'rows' = '10'))sql");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& table = result.statements[0]->Cast<ast::CreateTableStatement>();
  EXPECT_TRUE(table.if_not_exists);
  ASSERT_EQ(table.columns.size(), 8u);
  EXPECT_EQ(table.columns[0].type->name, "BIGINT");
  EXPECT_TRUE(table.columns[0].type->not_null);
  EXPECT_EQ(table.columns[1].type->parameters, std::vector<int64_t>{100});
  EXPECT_EQ(table.columns[2].type->parameters, (std::vector<int64_t>{23, 3}));
  EXPECT_EQ(table.columns[3].type->name, "ROW");
  ASSERT_EQ(table.columns[3].type->fields.size(), 2u);
  EXPECT_EQ(table.columns[3].type->fields[1].type.fields[1].type.name, "STRING");
  EXPECT_EQ(table.columns[5].type->name, "TIMESTAMP_LTZ");
  EXPECT_EQ(table.columns[6].type->ToString(), "INTERVAL DAY TO SECOND");
  EXPECT_TRUE(table.columns[7].IsComputed());
  EXPECT_EQ(table.columns[7].computed->ToString(), "(price * 2)");
  ASSERT_EQ(table.watermarks.size(), 1u);
  EXPECT_EQ(table.watermarks[0].column.name, "ts");
  EXPECT_EQ(table.watermarks[0].expression->ToString(), "(ts - INTERVAL '5' SECOND)");
  ASSERT_EQ(table.primary_key.size(), 1u);
  EXPECT_EQ(table.partitioned_by[0].name, "url");
  ASSERT_EQ(table.options.size(), 2u);
  EXPECT_EQ(table.options[0].key, "connector");
  EXPECT_EQ(table.options[0].value, "values");
}

TEST(ParserTest, MetadataColumnsKeepTheirKeyAndVirtual) {
  ParseResult result = ParseScript(R"sql(
    CREATE TABLE orders (
      id BIGINT,
      `offset` BIGINT METADATA VIRTUAL,
      ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
      part INT METADATA FROM 'partition' VIRTUAL COMMENT 'read-only',
      WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
    ) WITH ('connector' = 'kafka'))sql");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& table = result.statements[0]->Cast<ast::CreateTableStatement>();
  ASSERT_EQ(table.columns.size(), 4u);
  EXPECT_FALSE(table.columns[0].IsMetadata());
  ASSERT_TRUE(table.columns[1].IsMetadata());
  EXPECT_EQ(table.columns[1].type->name, "BIGINT");
  EXPECT_FALSE(table.columns[1].metadata->key.has_value());
  EXPECT_TRUE(table.columns[1].metadata->is_virtual);
  ASSERT_TRUE(table.columns[2].IsMetadata());
  EXPECT_EQ(table.columns[2].metadata->key, std::optional<std::string>("timestamp"));
  EXPECT_FALSE(table.columns[2].metadata->is_virtual);
  // The key's span is the string; the clause's runs from METADATA to the last word of it.
  EXPECT_EQ(table.columns[2].metadata->key_span.line, 5);
  EXPECT_EQ(table.columns[2].metadata->key_span.column, 41);
  EXPECT_EQ(table.columns[2].metadata->key_span.length, 11);
  EXPECT_EQ(table.columns[2].metadata->span.column, 27);
  EXPECT_EQ(table.columns[2].metadata->span.length, 25);
  EXPECT_EQ(table.columns[3].metadata->key, std::optional<std::string>("partition"));
  EXPECT_TRUE(table.columns[3].metadata->is_virtual);
  EXPECT_EQ(table.columns[3].metadata->span.length, 33);
  EXPECT_EQ(table.columns[3].comment, "read-only");
  EXPECT_EQ(table.ToString(),
            "CREATE TABLE orders (id BIGINT, `offset` BIGINT METADATA VIRTUAL, ts TIMESTAMP_LTZ(3) "
            "METADATA FROM 'timestamp', part INT METADATA FROM 'partition' VIRTUAL COMMENT "
            "'read-only', WATERMARK FOR ts AS (ts - INTERVAL '5' SECOND)) WITH ('connector' = "
            "'kafka')");
}

TEST(ParserTest, MetadataAndVirtualAreStillIdentifiers) {
  EXPECT_EQ(
      ParseOne("SELECT metadata, virtual FROM metadata AS virtual WHERE virtual.metadata > 1"),
      "SELECT metadata, virtual FROM metadata AS virtual WHERE (virtual.metadata > 1)");
  EXPECT_EQ(ParseOne("SELECT a AS metadata, b virtual FROM t"),
            "SELECT a AS metadata, b AS virtual FROM t");
  // As column names, and a metadata column called `virtual` that is VIRTUAL.
  EXPECT_EQ(ParseOne("CREATE TABLE t (metadata BIGINT, virtual INT METADATA VIRTUAL, "
                     "v AS metadata + virtual) WITH ('connector' = 'kafka')"),
            "CREATE TABLE t (metadata BIGINT, virtual INT METADATA VIRTUAL, v AS (metadata + "
            "virtual)) WITH ('connector' = 'kafka')");
  EXPECT_EQ(ParseOne("CREATE TABLE t (metadata TIMESTAMP(3) METADATA FROM 'timestamp', "
                     "WATERMARK FOR metadata AS metadata) WITH ('connector' = 'kafka')"),
            "CREATE TABLE t (metadata TIMESTAMP(3) METADATA FROM 'timestamp', WATERMARK FOR "
            "metadata AS metadata) WITH ('connector' = 'kafka')");
  EXPECT_EQ(ParseOne("INSERT INTO t (metadata, virtual) SELECT 1, 2"),
            "INSERT INTO t (metadata, virtual) SELECT 1, 2");
}

TEST(ParserTest, OtherStatements) {
  ParseResult result = ParseScript(R"sql(
    SET 'parallelism.default' = '4';
    RESET 'parallelism.default';
    RESET;
    CREATE FUNCTION count_char AS 'udfs.so:count_char';
    CREATE TEMPORARY VIEW v (a, b) AS SELECT x, y FROM t;
    INSERT INTO t VALUES (1, 'a', TIMESTAMP '2024-01-01 00:00:00'), (2, 'b', NULL);
    INSERT INTO t (a, b) SELECT 1, 2;
    EXPLAIN PLAN FOR SELECT * FROM t;
    SHOW TABLES; SHOW FUNCTIONS; SHOW JOBS;
    DESCRIBE t;
    STOP JOB 'nightly' WITH SAVEPOINT;
    VALUES (1), (2);
    WITH a AS (SELECT 1 AS x), b AS (SELECT 2 AS x) SELECT * FROM a UNION ALL SELECT * FROM b
      ORDER BY x LIMIT 5;
  )sql");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  std::vector<std::string> rendered;
  for (const auto& statement : result.statements) rendered.push_back(statement->ToString());
  std::vector<std::string> expected = {
      "SET 'parallelism.default' = '4'",
      "RESET 'parallelism.default'",
      "RESET",
      "CREATE FUNCTION count_char AS 'udfs.so:count_char'",
      "CREATE TEMPORARY VIEW v (a, b) AS SELECT x, y FROM t",
      "INSERT INTO t VALUES (1, 'a', TIMESTAMP '2024-01-01 00:00:00'), (2, 'b', NULL)",
      "INSERT INTO t (a, b) SELECT 1, 2",
      "EXPLAIN SELECT * FROM t",
      "SHOW TABLES",
      "SHOW FUNCTIONS",
      "SHOW JOBS",
      "DESCRIBE t",
      "STOP JOB 'nightly' WITH SAVEPOINT",
      "VALUES (1), (2)",
      "WITH a AS (SELECT 1 AS x), b AS (SELECT 2 AS x) (SELECT * FROM a) UNION ALL (SELECT * FROM "
      "b) "
      "ORDER BY x LIMIT 5",
  };
  EXPECT_EQ(rendered, expected);
  EXPECT_TRUE(QueryOf(result, 5).Is<ast::ValuesQuery>());
  EXPECT_EQ(result.statements[3]->Cast<ast::CreateFunctionStatement>().implementation,
            "udfs.so:count_char");
}

TEST(ParserTest, StatementSetIsFlattened) {
  ParseResult result = ParseScript(
      "BEGIN STATEMENT SET;\nINSERT INTO a SELECT * FROM t;\nINSERT INTO b SELECT * FROM t;\nEND;");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  ASSERT_EQ(result.statements.size(), 2u);
  EXPECT_TRUE(result.statements[0]->Is<ast::InsertStatement>());
  EXPECT_TRUE(result.statements[1]->Is<ast::InsertStatement>());
}

TEST(ParserTest, JoinsAndTableFunctions) {
  EXPECT_EQ(ParseOne("SELECT * FROM a LEFT OUTER JOIN b ON a.id = b.id JOIN c USING (id), d"),
            "SELECT * FROM ((a LEFT JOIN b ON (a.id = b.id)) JOIN c USING (id)), d");
  EXPECT_EQ(ParseOne("SELECT * FROM bid B JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S "
                     "ON B.k = S.k"),
            "SELECT * FROM (bid AS B JOIN side_input FOR SYSTEM_TIME AS OF B.p_time AS S ON "
            "(B.k = S.k))");
  EXPECT_EQ(ParseOne("SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE bid, "
                     "DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND)) GROUP BY window_start"),
            "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), "
            "INTERVAL '10' SECOND)) GROUP BY window_start");
  EXPECT_EQ(ParseOne("SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, "
                     "DESCRIPTOR(ts), INTERVAL '5' MINUTE))"),
            "SELECT * FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(ts), "
            "INTERVAL '5' MINUTE))");
  EXPECT_EQ(ParseOne("SELECT * FROM TABLE(CUMULATE(DATA => TABLE bid, TIMECOL => DESCRIPTOR(ts), "
                     "STEP => INTERVAL '1' MINUTE, SIZE => INTERVAL '1' HOUR))"),
            "SELECT * FROM TABLE(CUMULATE(DATA => TABLE bid, TIMECOL => DESCRIPTOR(ts), STEP => "
            "INTERVAL '1' MINUTE, SIZE => INTERVAL '1' HOUR))");
  EXPECT_EQ(ParseOne("SELECT * FROM t, LATERAL TABLE(split(t.s)) AS x(word)"),
            "SELECT * FROM t, LATERAL TABLE(split(t.s)) AS x(word)");
  EXPECT_EQ(ParseOne("SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE), COUNT(*) FROM t "
                     "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE) HAVING COUNT(*) > 1"),
            "SELECT TUMBLE_START(ts, INTERVAL '1' MINUTE), COUNT(*) FROM t GROUP BY TUMBLE(ts, "
            "INTERVAL '1' MINUTE) HAVING (COUNT(*) > 1)");
}

TEST(ParserTest, PipeSyntaxFromDesign) {
  ParseResult result = ParseScript(R"sql(
    INSERT INTO hot_items
    FROM bid
    |> WHERE price > 100
    |> CALL HOP(DESCRIPTOR(date_time), INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    |> AGGREGATE /*+ UID('hot_items') */ COUNT(*) AS num GROUP BY auction, window_start, window_end;
  )sql");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& pipe = QueryOf(result).Cast<ast::PipeQuery>();
  ASSERT_TRUE(pipe.input->Is<ast::FromQuery>());
  ASSERT_EQ(pipe.operators.size(), 3u);
  EXPECT_TRUE(pipe.operators[0]->Is<ast::PipeWhere>());
  const auto& call = pipe.operators[1]->Cast<ast::PipeCall>();
  EXPECT_EQ(call.call->name.ToString(), "HOP");
  EXPECT_TRUE(call.call->arguments[0]->Is<ast::DescriptorExpression>());
  const auto& aggregate = pipe.operators[2]->Cast<ast::PipeAggregate>();
  ASSERT_EQ(aggregate.hints.size(), 1u);
  EXPECT_EQ(aggregate.hints[0].name.name, "UID");
  EXPECT_EQ(aggregate.hints[0].arguments, std::vector<std::string>{"hot_items"});
  ASSERT_EQ(aggregate.aggregates.size(), 1u);
  EXPECT_EQ(aggregate.aggregates[0].alias->name, "num");
  ASSERT_EQ(aggregate.group_by.size(), 3u);
  EXPECT_EQ(aggregate.group_by[2].expression->ToString(), "window_end");
}

TEST(ParserTest, AllPipeOperators) {
  EXPECT_EQ(
      ParseOne("FROM bid AS B |> WHERE B.price > 1 |> SELECT auction, price |> EXTEND price * 2 "
               "AS double_price |> SET price = price + 1 |> DROP double_price |> RENAME price AS p "
               "|> AS x |> LEFT JOIN auction AS A ON x.auction = A.id |> AGGREGATE COUNT(*) AS c, "
               "MAX(p) GROUP BY auction |> UNION ALL (FROM other), (SELECT 1, 2, 3) "
               "|> ORDER BY c DESC LIMIT 10 |> LIMIT 5 OFFSET 1"),
      "FROM bid AS B |> WHERE (B.price > 1) |> SELECT auction, price |> EXTEND (price * 2) AS "
      "double_price |> SET price = (price + 1) |> DROP double_price |> RENAME price AS p |> AS x "
      "|> LEFT JOIN auction AS A ON (x.auction = A.id) |> AGGREGATE COUNT(*) AS c, MAX(p) GROUP "
      "BY auction |> UNION ALL (FROM other), (SELECT 1, 2, 3) |> ORDER BY c DESC LIMIT 10 |> "
      "LIMIT 5 OFFSET 1");
  // A SELECT query may continue with pipe operators; pipes work in subqueries and views.
  EXPECT_EQ(ParseOne("SELECT * FROM bid |> WHERE price > 1"),
            "SELECT * FROM bid |> WHERE (price > 1)");
  EXPECT_EQ(ParseOne("CREATE VIEW v AS FROM bid |> SELECT auction"),
            "CREATE VIEW v AS FROM bid |> SELECT auction");
  EXPECT_EQ(ParseOne("SELECT * FROM (FROM bid |> WHERE price > 1) AS b"),
            "SELECT * FROM (FROM bid |> WHERE (price > 1)) AS b");
}

TEST(ParserTest, HintsAreKept) {
  ParseResult result = ParseScript(
      "SELECT /*+ UID('hot_items'), STATE_TTL('b' = '1h') */ a /* a comment */ FROM t "
      "/*+ OPTIONS('k'='v') */");
  ASSERT_TRUE(result.ok()) << ErrorsToString(result);
  const auto& select = QueryOf(result).Cast<ast::SelectQuery>();
  ASSERT_EQ(select.hints.size(), 2u);
  EXPECT_EQ(select.hints[0].name.name, "UID");
  EXPECT_EQ(select.hints[0].name.span.column, 12);
  EXPECT_EQ(select.hints[1].arguments, (std::vector<std::string>{"b", "1h"}));
  const auto& table = select.from->Cast<ast::BaseTableRef>();
  ASSERT_EQ(table.hints.size(), 1u);
  EXPECT_EQ(table.hints[0].name.name, "OPTIONS");
  EXPECT_EQ(
      select.ToString(),
      "SELECT /*+ UID('hot_items'), STATE_TTL('b', '1h') */ a FROM t /*+ OPTIONS('k', 'v') */");
}

TEST(ParserTest, SelectAndPipeSpellingsDifferOnlyInShape) {
  ParseResult select = ParseScript("SELECT auction, price FROM bid WHERE price > 100");
  ParseResult pipe = ParseScript("FROM bid |> WHERE price > 100 |> SELECT auction, price");
  ASSERT_TRUE(select.ok() && pipe.ok());
  EXPECT_TRUE(QueryOf(select).Is<ast::SelectQuery>());
  EXPECT_TRUE(QueryOf(pipe).Is<ast::PipeQuery>());
}

}  // namespace
}  // namespace sluice::parser
