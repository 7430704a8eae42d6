// Feeds random and mutated scripts to the parser: it must never crash, hang or throw, every
// error must point inside the text, and every parsed statement must render and re-parse.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "tests/unit/parser/parser_test_util.h"

namespace sluice::parser {
namespace {

using testing::ErrorsToString;
using testing::ReadTestData;

const char* const kFragments[] = {
    "SELECT ",
    "FROM ",
    "WHERE ",
    "GROUP BY ",
    "ORDER BY ",
    "LIMIT ",
    "|> ",
    "AGGREGATE ",
    "CALL ",
    "EXTEND ",
    "JOIN ",
    "ON ",
    "AS ",
    "(",
    ")",
    ",",
    ";",
    "'",
    "`",
    "*",
    "+",
    "-",
    "/*",
    "*/",
    "/*+ UID('x') */",
    "--",
    "\n",
    "CASE ",
    "WHEN ",
    "THEN ",
    "END ",
    "INTERVAL ",
    "'10' SECOND ",
    "TABLE(",
    "TUMBLE(",
    "DESCRIPTOR(",
    "ROW<",
    ">",
    "<",
    "=",
    "AND ",
    "OR ",
    "NOT ",
    "NULL ",
    "1",
    "0.5",
    "1e3",
    "a",
    "b.c",
    "CREATE TABLE ",
    "INSERT INTO ",
    "VALUES ",
    "WITH ",
    "EXPLAIN ",
    "BEGIN STATEMENT SET",
    "OVER (",
    "PARTITION BY ",
    "CAST(",
    "x ",
    "\xC3\xA9",
    "\xFF",
    "\x00",
    "\t",
    "=>",
    "[",
    "]",
    ".",
    "||",
    "BETWEEN ",
    "IN ",
    "IS ",
};

std::vector<std::string> Corpus() {
  std::vector<std::string> corpus;
  for (const char* name :
       {"ddl", "views", "q0",  "q1",  "q3",  "q4",  "q5",  "q6",  "q7",  "q8", "q9",
        "q10", "q11",   "q12", "q13", "q14", "q15", "q16", "q18", "q19", "q21"}) {
    corpus.push_back(ReadTestData(std::string("nexmark/") + name + ".sql"));
  }
  corpus.push_back(
      "INSERT INTO hot_items FROM bid |> WHERE price > 100 |> CALL HOP(DESCRIPTOR(date_time), "
      "INTERVAL '2' SECOND, INTERVAL '10' SECOND) |> AGGREGATE /*+ UID('hot_items') */ COUNT(*) "
      "AS num GROUP BY auction, window_start, window_end;");
  corpus.push_back(
      "FROM bid AS B |> LEFT JOIN auction AS A ON B.auction = A.id |> EXTEND price * 2 AS p2 "
      "|> SET p2 = p2 + 1 |> DROP extra |> RENAME p2 AS p |> ORDER BY p DESC LIMIT 10;");
  return corpus;
}

// Splits roughly into words and punctuation so mutations can delete or repeat whole tokens.
std::vector<std::string> RoughTokens(const std::string& text) {
  std::vector<std::string> tokens;
  std::string current;
  for (char c : text) {
    bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (!word || std::isspace(static_cast<unsigned char>(c))) {
      if (!current.empty()) tokens.push_back(current);
      current.clear();
      tokens.push_back(std::string(1, c));
    } else {
      current += c;
    }
  }
  if (!current.empty()) tokens.push_back(current);
  return tokens;
}

std::string Mutate(const std::string& original, std::mt19937& random) {
  std::string text = original;
  auto pick = [&](size_t bound) {
    return bound == 0 ? 0 : std::uniform_int_distribution<size_t>(0, bound - 1)(random);
  };
  switch (pick(8)) {
    case 0: {  // byte flips
      size_t flips = 1 + pick(6);
      for (size_t i = 0; i < flips && !text.empty(); ++i)
        text[pick(text.size())] = static_cast<char>(pick(256));
      break;
    }
    case 1:  // truncation
      text.resize(pick(text.size() + 1));
      break;
    case 2:
    case 3: {  // delete, duplicate or swap tokens
      std::vector<std::string> tokens = RoughTokens(text);
      size_t edits = 1 + pick(4);
      for (size_t i = 0; i < edits && !tokens.empty(); ++i) {
        size_t at = pick(tokens.size());
        switch (pick(3)) {
          case 0: tokens.erase(tokens.begin() + at); break;
          case 1: tokens.insert(tokens.begin() + at, tokens[at]); break;
          default: std::swap(tokens[at], tokens[pick(tokens.size())]); break;
        }
      }
      text.clear();
      for (const std::string& token : tokens) text += token;
      break;
    }
    case 4: {  // insert SQL fragments
      size_t inserts = 1 + pick(5);
      for (size_t i = 0; i < inserts; ++i) {
        const char* fragment = kFragments[pick(std::size(kFragments))];
        std::string piece = fragment[0] == '\0' ? std::string(1, '\0') : std::string(fragment);
        text.insert(pick(text.size() + 1), piece);
      }
      break;
    }
    case 5: {  // deep nesting
      const char* openers[] = {"(", "CASE WHEN a THEN ", "NOT ", "-", "ROW<a ", "EXPLAIN ", "["};
      std::string opener = openers[pick(std::size(openers))];
      size_t count = pick(2) == 0 ? 10000 : 150 + pick(100);
      std::string nest;
      for (size_t i = 0; i < count; ++i) nest += opener;
      text.insert(pick(text.size() + 1), nest);
      break;
    }
    case 6: {  // a script made of random fragments
      text.clear();
      size_t length = pick(60);
      for (size_t i = 0; i < length; ++i) text += kFragments[pick(std::size(kFragments))];
      break;
    }
    default: {  // random bytes
      text.assign(pick(200), '\0');
      for (char& c : text) c = static_cast<char>(pick(256));
      break;
    }
  }
  return text;
}

void CheckInvariants(const std::string& text, const ParseResult& result) {
  for (const base::Diagnostic& error : result.errors) {
    ASSERT_EQ(error.code, base::ErrorCode::kSyntax) << text;
    ASSERT_FALSE(error.message.empty());
    ASSERT_TRUE(error.span.IsKnown()) << error.message;
    ASSERT_LE(error.span.offset + error.span.length, static_cast<int32_t>(text.size())) << text;
    ASSERT_GE(error.span.line, 1);
    ASSERT_GE(error.span.column, 1);
  }
  for (const ast::StatementPtr& statement : result.statements) {
    std::string rendered = statement->ToString();
    ParseResult again = ParseScript(rendered);
    bool only_depth = !again.errors.empty() &&
                      again.errors[0].message.rfind("expression nested too deeply", 0) == 0;
    ASSERT_TRUE(again.ok() || only_depth)
        << "rendering does not re-parse\noriginal: " << text << "\nrendered: " << rendered << "\n"
        << ErrorsToString(again);
  }
  // Rendering must also work on all inputs (no crash on odd byte sequences).
  (void)base::RenderDiagnostics(result.errors, "fuzz.pipe", text);
}

// The bound on one parse. Under AddressSanitizer (build-asan/) the parser runs several times
// slower; the normal build keeps the tight bound.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kSlowestSeconds = 5.0;
#else
constexpr double kSlowestSeconds = 1.0;
#endif

TEST(ParserFuzzTest, MutatedAndRandomScriptsNeverCrash) {
  std::vector<std::string> corpus = Corpus();
  std::mt19937 random(20240601);
  constexpr int kCases = 3000;
  auto started = std::chrono::steady_clock::now();
  double slowest = 0;
  std::string slowest_text;
  for (int i = 0; i < kCases; ++i) {
    const std::string& seed = corpus[i % corpus.size()];
    std::string text = Mutate(seed, random);
    if (i % 7 == 0) text = Mutate(text, random);  // stack two mutations now and then
    auto before = std::chrono::steady_clock::now();
    ParseResult result = ParseScript(text);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
    if (seconds > slowest) {
      slowest = seconds;
      slowest_text = text;
    }
    CheckInvariants(text, result);
    if (::testing::Test::HasFatalFailure()) return;
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(slowest, kSlowestSeconds) << "slowest input:\n" << slowest_text;
  std::cout << kCases << " cases in " << total << " s, slowest " << slowest << " s\n";
}

}  // namespace
}  // namespace sluice::parser
