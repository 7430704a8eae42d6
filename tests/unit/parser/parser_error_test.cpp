#include <gtest/gtest.h>

#include "tests/unit/parser/parser_test_util.h"

namespace sluice::parser {
namespace {

using testing::ErrorsToString;

struct ErrorCase {
  const char* text;
  const char* errors;  // `line:col: message` lines
};

class ParserErrorMessageTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ParserErrorMessageTest, ReportsPositionAndMessage) {
  ParseResult result = ParseScript(GetParam().text);
  EXPECT_EQ(ErrorsToString(result), GetParam().errors) << GetParam().text;
  for (const base::Diagnostic& error : result.errors) {
    EXPECT_EQ(error.code, base::ErrorCode::kSyntax);
    EXPECT_TRUE(error.span.IsKnown());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Messages, ParserErrorMessageTest,
    ::testing::Values(
        ErrorCase{"SELECT a FORM t", "1:10: unexpected 'FORM' (did you mean FROM?)\n"},
        ErrorCase{"SELECT a FROM t WHRE x > 1", "1:17: unexpected 'WHRE' (did you mean WHERE?)\n"},
        ErrorCase{"INSERT INTO t SELEC * FROM x",
                  "1:15: unexpected 'SELEC' (did you mean SELECT?)\n"},
        // '(a' may go on as a row (a, b) or end with ')'.
        ErrorCase{"SELECT (a FROM t", "1:11: unexpected 'FROM': expected ',' or ')'\n"},
        ErrorCase{
            "SELECT a FROM",
            "1:14: unexpected end of input: expected LATERAL, TABLE, UNNEST, '(' or identifier\n"},
        ErrorCase{"SELECT a FROM t\n  WHERE x >", "2:12: unexpected end of input\n"},
        ErrorCase{"SELECT a FROM t WHERE;", "1:22: unexpected ';'\n"},
        ErrorCase{"SELECT 'abc", "1:8: unterminated string literal\n"},
        ErrorCase{"SELECT `abc", "1:8: unterminated quoted identifier\n"},
        ErrorCase{"SELECT 1 /* open", "1:10: unterminated comment\n"},
        ErrorCase{"SELECT a # b FROM t", "1:10: unexpected character '#'\n"},
        ErrorCase{"CREATE TABLE t (a INT WITH ('x' = 'y')",
                  "1:23: unexpected 'WITH': expected ',' or ')'\n"},
        ErrorCase{"CREATE TABLE t (a VARCHAR(99999999999))",
                  "1:27: number out of range: 99999999999\n"},
        ErrorCase{"FROM t |> FOO x", "1:11: unexpected 'FOO'\n"},
        ErrorCase{"SELECT a /*+ UID('x') */ FROM t",
                  "1:10: unexpected hint: hints go right after SELECT, a pipe operator keyword or "
                  "a table name\n"},
        ErrorCase{"SELECT /*+ UID('x' */ a FROM t", "1:20: malformed hint: missing ')'\n"},
        ErrorCase{"SELECT CAST(a AS) FROM t",
                  "1:17: unexpected ')': expected INTERVAL, ROW or identifier\n"},
        ErrorCase{"SELECT a FROM t GROUP x", "1:23: missing BY before 'x'\n"},
        ErrorCase{"SELECT CASE WHEN a THEN 1 FROM t",
                  "1:27: unexpected 'FROM': expected ELSE, END or WHEN\n"},
        ErrorCase{"END;", "1:1: END without BEGIN STATEMENT SET\n"},
        ErrorCase{"BEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;",
                  "1:1: BEGIN STATEMENT SET has no matching END\n"},
        ErrorCase{"SELECT a FROM t WHERE x IN ()", "1:29: unexpected ')'\n"},
        ErrorCase{"CREATE TABLE t (a INT METADATA FROM)", "1:36: missing string before ')'\n"},
        ErrorCase{"CREATE TABLE t (a INT METADATA VIRTUAL FROM 'k')",
                  "1:40: unexpected 'FROM': expected ',' or ')'\n"},
        ErrorCase{"CREATE TABLE t (a METADATA FROM 'k')",
                  "1:28: unexpected 'FROM': expected ',' or ')'\n"}));

TEST(ParserErrorTest, CollectsOneErrorPerStatementAndKeepsTheGoodOnes) {
  ParseResult result = ParseScript(
      "CREATE TABLE t (a INT) WITH ('connector' = 'values');\n"
      "SELECT a FORM t;\n"
      "INSERT INTO s SELECT a FROM t;\n"
      "INSERT INTO s SELECT a +* 2 FROM t;\n"
      "-- a comment; with a semicolon\n"
      "SELECT 'it''s;' FROM t WHERE;\n"
      "SHOW TABLES");
  EXPECT_EQ(ErrorsToString(result),
            "2:10: unexpected 'FORM' (did you mean FROM?)\n"
            "4:25: unexpected '*'\n"
            "6:29: unexpected ';'\n");
  ASSERT_EQ(result.statements.size(), 3u);
  EXPECT_TRUE(result.statements[0]->Is<ast::CreateTableStatement>());
  EXPECT_TRUE(result.statements[1]->Is<ast::InsertStatement>());
  EXPECT_TRUE(result.statements[2]->Is<ast::ShowStatement>());
}

TEST(ParserErrorTest, RendersWithCaret) {
  std::string text = "SELECT auction\nFROM bid\nWHERE price >> 10";
  ParseResult result = ParseScript(text);
  EXPECT_EQ(base::RenderDiagnostics(result.errors, "q.pipe", text),
            "q.pipe:3:14: error: unexpected '>'\n"
            "  WHERE price >> 10\n"
            "               ^\n");
}

TEST(ParserErrorTest, DeepNestingIsRefusedNotCrashed) {
  ParseResult parens =
      ParseScript("SELECT " + std::string(10000, '(') + "1" + std::string(10000, ')'));
  ASSERT_EQ(parens.errors.size(), 1u);
  EXPECT_EQ(parens.errors[0].message, "expression nested too deeply (more than 200 levels)");
  EXPECT_EQ(parens.errors[0].span.column, 8 + 200);

  std::string nots = "SELECT ";
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  EXPECT_FALSE(ParseScript(nots + "TRUE").ok());

  std::string cases = "SELECT ";
  for (int i = 0; i < 5000; ++i) cases += "CASE WHEN a THEN ";
  EXPECT_FALSE(ParseScript(cases + "1").ok());

  // 150 levels are fine.
  ParseResult fine = ParseScript("SELECT " + std::string(150, '(') + "1" + std::string(150, ')'));
  EXPECT_TRUE(fine.ok()) << ErrorsToString(fine);
}

TEST(ParserErrorTest, LongFlatChainsDoNotOverflowTheStack) {
  std::string sum = "SELECT 1";
  for (int i = 0; i < 2000; ++i) sum += " + 1";
  std::string ands = " FROM t WHERE a";
  for (int i = 0; i < 2000; ++i) ands += " AND a";
  std::string unions = "";
  for (int i = 0; i < 500; ++i) unions += " UNION ALL SELECT 1";
  ParseResult result = ParseScript(sum + ands + unions);
  EXPECT_TRUE(result.ok()) << ErrorsToString(result);
  ASSERT_EQ(result.statements.size(), 1u);
  EXPECT_FALSE(result.statements[0]->ToString().empty());

  std::string too_long = "SELECT 1";
  for (int i = 0; i < 6000; ++i) too_long += " + 1";
  ParseResult refused = ParseScript(too_long);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].message, "statement too complex (more than 5000 operators)");
}

}  // namespace
}  // namespace sluice::parser
