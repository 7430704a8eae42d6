// Feeds thousands of mutated scripts through the whole compiler (parse, bind, optimize, plan):
// each must compile or fail with diagnostics, never crash, and every diagnostic with a span
// must point inside the text.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "catalog/base/diagnostic.h"
#include "compiler/physical/job_compiler.h"

namespace sluice::compiler {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SeedScripts() {
  std::vector<std::string> seeds;
  for (const char* name : {"q0.pipe", "q1.pipe", "q2.pipe", "q2_pipe.pipe"}) {
    std::ifstream in(fs::path(SLUICE_SOURCE_DIR) / "examples" / "nexmark" / name);
    std::stringstream text;
    text << in.rdbuf();
    seeds.push_back(text.str());
  }
  seeds.push_back(R"(CREATE TABLE t (a INT, b VARCHAR, c DOUBLE, ts TIMESTAMP(3),
  r ROW<x BIGINT, y ROW<z VARCHAR>>, d AS a * 2, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '5');
CREATE VIEW v AS SELECT a, b, r.y.z AS z, d FROM t WHERE a > 0 AND b LIKE 'x%';
CREATE TABLE o (a INT, s VARCHAR, e DECIMAL(10, 2)) WITH ('connector' = 'print');
INSERT INTO o FROM v |> EXTEND CAST(d AS DECIMAL(10, 2)) AS e |> SELECT a, UPPER(z) || b, e;
EXPLAIN INSERT INTO o SELECT a, CASE WHEN a IS NULL THEN 'n' ELSE b END, 1.5 FROM t;)");
  return seeds;
}

TEST(CompileFuzzTest, MutatedScriptsCompileOrFailCleanly) {
  std::vector<std::string> seeds = SeedScripts();
  std::mt19937 random(20261122);
  const std::string alphabet = "aZ09 ,;()'`|>*+-/=<.\n_%\"?";
  const char* fragments[] = {" SELECT ",    " FROM ", " WHERE ",        " |> ",
                             " CAST(",      " AS ",   " ROW<",          " NULL ",
                             " CASE WHEN ", " END ",  " INTERVAL '1' ", " 99999999999999999999 ",
                             " 1e400 ",     " '' ",   " `x` ",          " UID"};
  int compiled = 0;
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = seeds[random() % seeds.size()];
    int mutations = 1 + static_cast<int>(random() % 5);
    for (int m = 0; m < mutations && !text.empty(); ++m) {
      size_t position = random() % text.size();
      switch (random() % 5) {
        case 0: text[position] = alphabet[random() % alphabet.size()]; break;
        case 1: text.erase(position, 1 + random() % 40); break;
        case 2:
          text.insert(position, text.substr(random() % text.size(), 1 + random() % 60));
          break;
        case 3: text.insert(position, fragments[random() % std::size(fragments)]); break;
        case 4: text.resize(position); break;
      }
    }
    CompileOptions options;
    options.file_name = "fuzz.pipe";
    auto result = CompileScript(text, options);
    if (result.ok()) {
      ++compiled;
      continue;
    }
    ++rejected;
    ASSERT_FALSE(result.status().diagnostics().empty()) << text;
    for (const base::Diagnostic& diagnostic : result.status().diagnostics()) {
      ASSERT_FALSE(diagnostic.message.empty()) << text;
      if (!diagnostic.span.IsKnown()) continue;
      ASSERT_LE(diagnostic.span.offset, static_cast<int32_t>(text.size())) << text;
      ASSERT_GE(diagnostic.span.line, 1) << text;
    }
    // Rendering must cope with every span the compiler produced.
    base::RenderDiagnostics(result.status().diagnostics(), "fuzz.pipe", text);
  }
  EXPECT_GT(rejected, 1000);
  EXPECT_GT(compiled, 10);
}

}  // namespace
}  // namespace sluice::compiler
