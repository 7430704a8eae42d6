#include "compiler/binder/match_pattern.h"

#include <algorithm>

#include "catalog/types/schema.h"

namespace sluice::compiler::binder {

using runtime::plan::MatchInstruction;
using runtime::plan::MatchInstructionKind;

void CollectPatternVariables(const ast::PatternTerm& term,
                             std::vector<ast::Identifier>* variables) {
  if (term.kind == ast::PatternTerm::Kind::kVariable) {
    for (const ast::Identifier& known : *variables) {
      if (types::IdentifierEquals(known.name, term.variable.name)) return;
    }
    variables->push_back(term.variable);
    return;
  }
  for (const ast::PatternTerm& child : term.children) CollectPatternVariables(child, variables);
}

bool PatternIsNullable(const ast::PatternTerm& term) {
  if (term.min == 0) return true;
  switch (term.kind) {
    case ast::PatternTerm::Kind::kVariable: return false;
    case ast::PatternTerm::Kind::kConcatenation:
      return std::all_of(term.children.begin(), term.children.end(), PatternIsNullable);
    case ast::PatternTerm::Kind::kAlternation:
      return std::any_of(term.children.begin(), term.children.end(), PatternIsNullable);
  }
  return false;
}

const ast::PatternTerm* GreedyQuantifierAtEnd(const ast::PatternTerm& term) {
  if (term.quantified && !term.reluctant && term.min != term.max) return &term;
  switch (term.kind) {
    case ast::PatternTerm::Kind::kVariable: return nullptr;
    case ast::PatternTerm::Kind::kConcatenation:
      for (auto it = term.children.rbegin(); it != term.children.rend(); ++it) {
        if (const ast::PatternTerm* found = GreedyQuantifierAtEnd(*it)) return found;
        if (!PatternIsNullable(*it)) return nullptr;
      }
      return nullptr;
    case ast::PatternTerm::Kind::kAlternation:
      for (const ast::PatternTerm& child : term.children) {
        if (const ast::PatternTerm* found = GreedyQuantifierAtEnd(child)) return found;
      }
      return nullptr;
  }
  return nullptr;
}

namespace {

// Emits the program of a pattern: a Thompson construction with each bounded repetition
// expanded into a copy of its term.
class ProgramBuilder {
 public:
  explicit ProgramBuilder(const std::vector<ast::Identifier>& variables) : variables_(variables) {}

  std::vector<MatchInstruction> Build(const ast::PatternTerm& pattern) {
    Compile(pattern);
    Emit(MatchInstruction{MatchInstructionKind::kMatch, -1, -1, -1, false});
    return std::move(program_);
  }
  bool too_large() const { return program_.size() > kMaxPatternInstructions; }

 private:
  int32_t Emit(MatchInstruction instruction) {
    program_.push_back(instruction);
    return static_cast<int32_t>(program_.size() - 1);
  }
  int32_t Here() const { return static_cast<int32_t>(program_.size()); }

  void Compile(const ast::PatternTerm& term) {
    if (too_large()) return;
    for (int64_t i = 0; i < term.min; ++i) CompileOnce(term);
    if (term.max == term.min) return;
    const bool greedy = !term.reluctant;
    if (term.max < 0) {
      // loop: split(body, exit) … body … jump loop
      int32_t split = Emit({MatchInstructionKind::kSplit, -1, -1, -1, greedy});
      CompileOnce(term);
      Emit({MatchInstructionKind::kJump, -1, split, -1, false});
      Patch(split, Here());
      return;
    }
    std::vector<int32_t> splits;
    for (int64_t i = term.min; i < term.max && !too_large(); ++i) {
      splits.push_back(Emit({MatchInstructionKind::kSplit, -1, -1, -1, greedy}));
      CompileOnce(term);
    }
    for (int32_t split : splits) Patch(split, Here());
  }

  // A split at `split` whose body starts right after it and whose exit is `exit`.
  void Patch(int32_t split, int32_t exit) {
    MatchInstruction& instruction = program_[split];
    if (instruction.exclusive) {  // greedy: the body first
      instruction.next = split + 1;
      instruction.alternative = exit;
    } else {  // reluctant: the exit first
      instruction.next = exit;
      instruction.alternative = split + 1;
    }
  }

  void CompileOnce(const ast::PatternTerm& term) {
    if (too_large()) return;
    switch (term.kind) {
      case ast::PatternTerm::Kind::kVariable: {
        int32_t variable = 0;
        for (size_t i = 0; i < variables_.size(); ++i) {
          if (types::IdentifierEquals(variables_[i].name, term.variable.name)) {
            variable = static_cast<int32_t>(i);
          }
        }
        int32_t at = Here();
        Emit({MatchInstructionKind::kVariable, variable, at + 1, -1, false});
        return;
      }
      case ast::PatternTerm::Kind::kConcatenation:
        for (const ast::PatternTerm& child : term.children) Compile(child);
        return;
      case ast::PatternTerm::Kind::kAlternation: {
        std::vector<int32_t> jumps;
        for (size_t i = 0; i < term.children.size(); ++i) {
          int32_t split = -1;
          if (i + 1 < term.children.size()) {
            split = Emit({MatchInstructionKind::kSplit, -1, -1, -1, false});
            program_[split].next = split + 1;
          }
          Compile(term.children[i]);
          if (i + 1 < term.children.size()) {
            jumps.push_back(Emit({MatchInstructionKind::kJump, -1, -1, -1, false}));
            program_[split].alternative = Here();
          }
        }
        for (int32_t jump : jumps) program_[jump].next = Here();
        return;
      }
    }
  }

  const std::vector<ast::Identifier>& variables_;
  std::vector<MatchInstruction> program_;
};

}  // namespace

std::optional<std::vector<MatchInstruction>> CompilePattern(
    const ast::PatternTerm& pattern, const std::vector<ast::Identifier>& variables) {
  ProgramBuilder builder(variables);
  std::vector<MatchInstruction> program = builder.Build(pattern);
  if (builder.too_large()) return std::nullopt;
  return program;
}

std::string NormalizedPattern(const ast::PatternTerm& pattern) {
  std::string text = pattern.ToString();
  if (text.empty() || text.front() != '(' || pattern.quantified) text = "(" + text + ")";
  return text;
}

}  // namespace sluice::compiler::binder
