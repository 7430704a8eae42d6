#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/table_ref.h"
#include "runtime/plan/plan_graph.h"

namespace sluice::compiler::binder {

/// The most instructions a MATCH_RECOGNIZE pattern may expand to (bounded quantifiers repeat
/// their term).
inline constexpr size_t kMaxPatternInstructions = 10000;

/// Appends the variables of `term` not yet in `variables`, in order of first appearance.
void CollectPatternVariables(const ast::PatternTerm& term, std::vector<ast::Identifier>* variables);
/// Tells whether `term` can match no row at all.
bool PatternIsNullable(const ast::PatternTerm& term);
/// The greedy quantifier a match could end with (Flink refuses those: it would emit the match
/// before knowing how many rows the quantifier takes), or null.
const ast::PatternTerm* GreedyQuantifierAtEnd(const ast::PatternTerm& term);
/// Compiles `pattern` into a Pike VM program over `variables` (greedy splits exclusive,
/// reluctant ones exit first); nullopt past kMaxPatternInstructions.
std::optional<std::vector<runtime::plan::MatchInstruction>> CompilePattern(
    const ast::PatternTerm& pattern, const std::vector<ast::Identifier>& variables);
/// The pattern as written, normalized and parenthesized: `(A B+? C)`.
std::string NormalizedPattern(const ast::PatternTerm& pattern);

}  // namespace sluice::compiler::binder
