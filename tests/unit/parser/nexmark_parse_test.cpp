#include <gtest/gtest.h>

#include "tests/unit/parser/parser_test_util.h"

namespace sluice::parser {
namespace {

using testing::ErrorsToString;
using testing::ReadTestData;

class NexmarkParseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NexmarkParseTest, ParsesWithoutErrors) {
  std::string text = ReadTestData("nexmark/" + GetParam() + ".sql");
  ASSERT_FALSE(text.empty());
  ParseResult result = ParseScript(text);
  EXPECT_TRUE(result.ok()) << ErrorsToString(result);
  EXPECT_FALSE(result.statements.empty());
  // The rendering parses again to the same rendering.
  std::string rendered;
  for (const ast::StatementPtr& statement : result.statements)
    rendered += statement->ToString() + ";\n";
  ParseResult again = ParseScript(rendered);
  EXPECT_TRUE(again.ok()) << rendered << "\n" << ErrorsToString(again);
  std::string rendered_again;
  for (const ast::StatementPtr& statement : again.statements)
    rendered_again += statement->ToString() + ";\n";
  EXPECT_EQ(rendered, rendered_again);
}

INSTANTIATE_TEST_SUITE_P(Nexmark, NexmarkParseTest,
                         ::testing::Values("ddl", "views", "q0", "q1", "q2", "q3", "q4", "q5", "q6",
                                           "q7", "q8", "q9", "q10", "q11", "q12", "q13", "q14",
                                           "q15", "q16", "q17", "q18", "q19", "q20", "q21", "q22"));

}  // namespace
}  // namespace sluice::parser
