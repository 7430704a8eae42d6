// CREATE FUNCTION end to end where golden tests cannot look: a failing UDF fails the job on
// both paths (JIT and interpreter) with its message, UDFs run only on the rows generated
// code would evaluate, libraries are found by the documented search, and plans carry UDFs.
#include "runtime/expr/user_function.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>

#include "catalog/base/diagnostic.h"
#include "compiler/codegen/jit_chain_compiler.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/scheduler/job.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTable = R"(
CREATE FUNCTION checked AS 'libsluice_udf_tests.so:checked';
CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'values');
INSERT INTO numbers VALUES (1), (-1), (2), (NULL);
CREATE TABLE sink (a BIGINT) WITH ('connector' = 'blackhole');
)";

base::Result<compiler::CompiledScript> Compile(const std::string& text,
                                               const std::string& file_name = "test.pipe") {
  compiler::CompileOptions options;
  options.file_name = file_name;
  return compiler::CompileScript(text, options);
}

std::string Errors(const base::Status& status, const std::string& text) {
  return base::RenderDiagnostics(status.diagnostics(), "test.pipe", text);
}

/// Creates and runs a job of `plan`; returns the first error.
base::Status RunPlan(const runtime::plan::PlanGraph& plan, bool jit) {
  std::unique_ptr<runtime::expr::ChainCompiler> chain_compiler;
  if (jit) {
    auto created = compiler::codegen::MakeJitChainCompiler();
    if (!created.ok()) return created.status();
    chain_compiler = std::move(created).value();
  }
  runtime::scheduler::JobOptions options;
  options.chain_compiler = chain_compiler.get();
  auto job = runtime::scheduler::Job::Create(plan, options);
  if (!job.ok()) return job.status();
  return (*job)->Run();
}

/// Runs an INSERT over `numbers` into `sink`; returns the job's status.
base::Status RunInsert(const std::string& select, bool jit) {
  std::string text = std::string(kTable) + "INSERT INTO sink " + select + ";";
  auto compiled = Compile(text);
  if (!compiled.ok()) return compiled.status();
  return RunPlan(compiled->plan, jit);
}

TEST(UserFunctionTest, FailingCallFailsTheJobNamingTheFunction) {
  for (bool jit : {true, false}) {
    base::Status status = RunInsert("SELECT checked(n) FROM numbers", jit);
    ASSERT_FALSE(status.ok()) << (jit ? "jit" : "interpreter");
    EXPECT_NE(status.ToString().find(
                  "user-defined function 'checked' failed: negative input (error code 3)"),
              std::string::npos)
        << status.ToString();
  }
}

TEST(UserFunctionTest, CalledOnlyWhereGeneratedCodeEvaluates) {
  // -1 reaches checked() in none of these, on either path.
  for (const char* select :
       {"SELECT checked(n) FROM numbers WHERE n >= 0",
        "SELECT CASE WHEN n < 0 THEN 0 ELSE checked(n) END FROM numbers",
        "SELECT CASE WHEN n < 0 THEN 0 WHEN checked(n) > 1 THEN 1 ELSE 2 END FROM numbers",
        "SELECT COALESCE(n, checked(-5)) FROM numbers WHERE n IS NOT NULL"}) {
    for (bool jit : {true, false}) {
      base::Status status = RunInsert(select, jit);
      EXPECT_TRUE(status.ok()) << select << (jit ? " (jit): " : " (interpreter): ")
                               << status.ToString();
    }
  }
}

TEST(UserFunctionTest, FileThatIsNotASharedLibrary) {
  std::string text = std::string("CREATE FUNCTION f AS '") + __FILE__ + ":f';";
  auto compiled = Compile(text);
  ASSERT_FALSE(compiled.ok());
  std::string errors = Errors(compiled.status(), text);
  EXPECT_NE(errors.find("test.pipe:1:22: error: cannot use '"), std::string::npos) << errors;
  EXPECT_NE(errors.find("as function f: cannot load the library: "), std::string::npos) << errors;
}

TEST(UserFunctionTest, LibrarySearchOrder) {
  // A copy under a new name in a scratch directory: found next to the script or through
  // SLUICE_UDF_PATH, not otherwise.
  fs::path executable = fs::read_symlink("/proc/self/exe");
  fs::path directory = fs::temp_directory_path() / ("sluice-udf-test-" + std::to_string(getpid()));
  fs::create_directories(directory);
  fs::copy_file(executable.parent_path() / "libsluice_udf_examples.so", directory / "libcopied.so",
                fs::copy_options::overwrite_existing);
  std::string text = "CREATE FUNCTION f AS 'libcopied.so:count_char';";
  unsetenv("SLUICE_UDF_PATH");
  EXPECT_FALSE(Compile(text).ok());
  EXPECT_TRUE(Compile(text, (directory / "job.pipe").string()).ok());
  setenv("SLUICE_UDF_PATH", ("/nonexistent:" + directory.string()).c_str(), 1);
  EXPECT_TRUE(Compile(text).ok());
  unsetenv("SLUICE_UDF_PATH");
  fs::remove_all(directory);
}

/// The first UDF reference found in `plan`'s chains; null when there is none.
const runtime::expr::UserFunction* FirstUserFunction(const runtime::plan::PlanGraph& plan) {
  std::function<const runtime::expr::UserFunction*(const runtime::plan::ExprPtr&)> find =
      [&](const runtime::plan::ExprPtr& expression) -> const runtime::expr::UserFunction* {
    if (expression == nullptr) return nullptr;
    if (expression->user_function != nullptr) return expression->user_function.get();
    for (const auto& argument : expression->arguments) {
      if (const auto* found = find(argument)) return found;
    }
    return nullptr;
  };
  for (const auto& node : plan.nodes) {
    if (!node.chain) continue;
    for (const auto& projection : node.chain->projections) {
      if (const auto* found = find(projection)) return found;
    }
  }
  return nullptr;
}

TEST(UserFunctionTest, PlanJsonNamesTheLibraryAndLinksItWhenTheJobIsBuilt) {
  std::string text =
      std::string(kTable) + "INSERT INTO sink SELECT checked(n) FROM numbers WHERE n >= 0;";
  auto compiled = Compile(text);
  ASSERT_TRUE(compiled.ok()) << Errors(compiled.status(), text);
  std::string json = runtime::plan::PlanToJson(compiled->plan);
  EXPECT_NE(json.find("\"symbol\": \"checked\""), std::string::npos) << json;
  auto restored = runtime::plan::PlanFromJson(json);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(runtime::plan::PlanToJson(*restored), json);
  // Read back, the plan names the function and loads nothing...
  const runtime::expr::UserFunction* reference = FirstUserFunction(*restored);
  ASSERT_NE(reference, nullptr);
  EXPECT_FALSE(reference->linked());
  EXPECT_EQ(reference->Signature(), "checked(BIGINT) RETURNS BIGINT");
  // ...and it runs: the chain links the library when it is built, on both paths.
  for (bool jit : {true, false}) {
    base::Status status = RunPlan(*restored, jit);
    EXPECT_TRUE(status.ok()) << (jit ? "jit: " : "interpreter: ") << status.ToString();
  }
  // A runtime may link the whole plan up front instead.
  runtime::plan::PlanGraph linked = *restored;
  ASSERT_TRUE(runtime::expr::LinkUserFunctions(&linked).ok());
  ASSERT_NE(FirstUserFunction(linked), nullptr);
  EXPECT_TRUE(FirstUserFunction(linked)->linked());
  EXPECT_FALSE(FirstUserFunction(*restored)->linked()) << "linking copies, never mutates";

  std::string library =
      (fs::read_symlink("/proc/self/exe").parent_path() / "libsluice_udf_tests.so")
          .lexically_normal()
          .string();
  std::string moved = json;
  moved.replace(moved.find(library), library.size(), "/nonexistent/libsluice_udf_tests.so");
  // A plan whose library is gone still reads (a savepoint of it can be inspected and checked)...
  auto missing = runtime::plan::PlanFromJson(moved);
  ASSERT_TRUE(missing.ok()) << missing.status().ToString();
  // ...and fails when a job of it is built, naming the function and the library.
  runtime::plan::PlanGraph unlinkable = *missing;
  EXPECT_FALSE(runtime::expr::LinkUserFunctions(&unlinkable).ok());
  for (bool jit : {true, false}) {
    base::Status status = RunPlan(*missing, jit);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.ToString().find("user-defined function 'checked' "
                                     "(/nonexistent/libsluice_udf_tests.so:checked)"),
              std::string::npos)
        << status.ToString();
  }
}

TEST(UserFunctionTest, LinkingChecksTheSignatureThePlanNames) {
  std::string library =
      (fs::read_symlink("/proc/self/exe").parent_path() / "libsluice_udf_tests.so")
          .lexically_normal()
          .string();
  // The plan says checked(VARCHAR) RETURNS BIGINT; the library's checked takes a BIGINT.
  auto reference = runtime::expr::UserFunctionReference(
      "checked", library, "checked", {types::LogicalType::Varchar()}, types::LogicalType::Bigint());
  auto linked = runtime::expr::LinkUserFunction(reference);
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.status().message().find("is now checked(BIGINT) RETURNS BIGINT, which differs "
                                           "from the plan's checked(VARCHAR) RETURNS BIGINT"),
            std::string::npos)
      << linked.status().message();
  auto right = runtime::expr::UserFunctionReference(
      "checked", library, "checked", {types::LogicalType::Bigint()}, types::LogicalType::Bigint());
  auto ok = runtime::expr::LinkUserFunction(right);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE((*ok)->linked());
  EXPECT_TRUE((*ok)->SameReference(*right));
}

TEST(UserFunctionTest, LoadingTwiceGivesTheSameFunction) {
  std::string library =
      (fs::read_symlink("/proc/self/exe").parent_path() / "libsluice_udf_examples.so").string();
  auto first = runtime::expr::LoadUserFunction("count_char", library, "count_char");
  auto second = runtime::expr::LoadUserFunction("count_char", library, "count_char");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*first)->Signature(), "count_char(VARCHAR, VARCHAR) RETURNS BIGINT");
}

}  // namespace
}  // namespace sluice
