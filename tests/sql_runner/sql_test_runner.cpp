// Runs the golden SQL tests in tests/sql/**/*.test (format: tests/sql/README.md).
// Each query runs twice, with the JIT and with the interpreter, and both must match.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include "catalog/base/diagnostic.h"
#include "compiler/codegen/jit_accumulator_compiler.h"
#include "compiler/codegen/jit_chain_compiler.h"
#include "compiler/physical/job_compiler.h"
#include "runtime/connectors/collect_connector.h"
#include "runtime/connectors/kafka/fake_kafka.h"
#include "runtime/scheduler/job.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

struct Block {
  std::string kind;                // "statement ok", "statement error", "query", "kafka"
  std::vector<std::string> flags;  // rowsort, parallelism=N
  std::string sql;
  std::vector<std::string> expected;
  int line = 0;
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}

std::string Trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r");
  size_t end = text.find_last_not_of(" \t\r");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

std::vector<Block> ParseTestFile(const std::string& text) {
  std::vector<Block> blocks;
  auto lines = SplitLines(text);
  size_t i = 0;
  while (i < lines.size()) {
    std::string line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') {
      ++i;
      continue;
    }
    Block block;
    block.line = static_cast<int>(i + 1);
    std::stringstream header(line);
    std::string word;
    header >> word;
    if (word == "statement") {
      header >> word;
      block.kind = "statement " + word;
    } else {
      block.kind = word;
    }
    while (header >> word) block.flags.push_back(word);
    ++i;
    while (i < lines.size() && !Trim(lines[i]).empty() && Trim(lines[i]) != "----") {
      block.sql += lines[i] + "\n";
      ++i;
    }
    if (i < lines.size() && Trim(lines[i]) == "----") {
      ++i;
      while (i < lines.size() && !Trim(lines[i]).empty()) block.expected.push_back(lines[i++]);
    }
    blocks.push_back(std::move(block));
  }
  return blocks;
}

/// Renders errors with positions relative to the statement, not the whole script.
std::string RenderRelative(const base::Status& status, const std::string& script,
                           size_t statement_offset, const std::string& statement) {
  int32_t prefix_lines = static_cast<int32_t>(
      std::count(script.begin(), script.begin() + static_cast<long>(statement_offset), '\n'));
  std::vector<base::Diagnostic> shifted;
  for (base::Diagnostic diagnostic : status.diagnostics()) {
    if (diagnostic.span.IsKnown() &&
        diagnostic.span.offset >= static_cast<int32_t>(statement_offset)) {
      diagnostic.span.offset -= static_cast<int32_t>(statement_offset);
      diagnostic.span.line -= prefix_lines;
    }
    shifted.push_back(diagnostic);
  }
  return base::RenderDiagnostics(shifted, "", statement);
}

class SqlTest : public testing::TestWithParam<std::string> {};

/// Applies a changelog: +I/+U add a row, -U/-D take one out; what remains, as +I rows.
std::vector<std::string> Materialize(const std::vector<std::string>& changelog) {
  std::multiset<std::string> rows;
  for (const std::string& entry : changelog) {
    std::string row = entry.substr(2);
    if (entry[0] == '+') {
      rows.insert(row);
    } else {
      auto found = rows.find(row);
      EXPECT_NE(found, rows.end()) << "retraction of a row that is not there: " << entry;
      if (found != rows.end()) rows.erase(found);
    }
  }
  std::vector<std::string> out;
  for (const std::string& row : rows) out.push_back("+I" + row);
  return out;
}

std::vector<std::string> RunQuery(const std::string& script, bool jit, int32_t parallelism,
                                  std::string* error) {
  compiler::CompileOptions options;
  options.file_name = "test.pipe";
  options.collect_selects = true;
  options.collect_prefix = jit ? "jit-" : "interpreter-";
  options.overrides["parallelism.default"] = std::to_string(parallelism);
  auto compiled = compiler::CompileScript(script, options);
  if (!compiled.ok()) {
    *error = base::RenderDiagnostics(compiled.status().diagnostics(), "", script);
    return {};
  }
  std::mutex mutex;
  std::vector<std::string> rows;
  for (const std::string& name : compiled->collect_names) {
    runtime::connectors::CollectConnector::Register(name, [&](int32_t, const std::string& row) {
      std::lock_guard<std::mutex> lock(mutex);
      rows.push_back(row);
    });
  }
  std::unique_ptr<runtime::expr::ChainCompiler> chain_compiler;
  std::unique_ptr<runtime::operators::aggregate::AccumulatorCompiler> accumulator_compiler;
  if (jit) {
    auto created = compiler::codegen::MakeJitChainCompiler();
    if (!created.ok()) {
      *error = created.status().ToString();
      return {};
    }
    chain_compiler = std::move(created).value();
    auto accumulators = compiler::codegen::MakeJitAccumulatorCompiler();
    if (!accumulators.ok()) {
      *error = accumulators.status().ToString();
      return {};
    }
    accumulator_compiler = std::move(accumulators).value();
  }
  runtime::scheduler::JobOptions job_options;
  job_options.chain_compiler = chain_compiler.get();
  job_options.accumulator_compiler = accumulator_compiler.get();
  auto job = runtime::scheduler::Job::Create(compiled->plan, job_options);
  base::Status status = job.ok() ? (*job)->Run() : job.status();
  for (const std::string& name : compiled->collect_names) {
    runtime::connectors::CollectConnector::Unregister(name);
  }
  if (!status.ok()) *error = status.ToString();
  return rows;
}

/// The cluster `kafka` blocks fill, reachable as 'properties.bootstrap.servers' = 'golden'.
constexpr const char* kKafkaCluster = "golden";

/// A `kafka TOPIC [partitions=N] [partition=P]` block: each line `KEY | VALUE` is a record
/// appended to partition P (default 0) of TOPIC (made with N partitions, default 1, when it
/// does not exist); `NULL` is a null key or value (a tombstone).
void ProduceKafkaRecords(const Block& block, runtime::connectors::kafka::FakeKafka* cluster) {
  namespace kafka = runtime::connectors::kafka;
  std::string topic;
  int32_t partitions = 1;
  int32_t partition = 0;
  for (const std::string& flag : block.flags) {
    if (flag.rfind("partitions=", 0) == 0) {
      partitions = std::stoi(flag.substr(11));
    } else if (flag.rfind("partition=", 0) == 0) {
      partition = std::stoi(flag.substr(10));
    } else if (topic.empty()) {
      topic = flag;
    } else {
      FAIL() << "unknown kafka block flag: " << flag;
    }
  }
  ASSERT_FALSE(topic.empty()) << "a kafka block names its topic";
  cluster->CreateTopic(topic, partitions);
  kafka::ClientConfig config;
  config.properties["bootstrap.servers"] = kKafkaCluster;
  auto producer = kafka::KafkaClients().NewProducer(config, "");
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (const std::string& line : SplitLines(block.sql)) {
    if (Trim(line).empty()) continue;
    size_t bar = line.find(" | ");
    ASSERT_NE(bar, std::string::npos) << "a kafka record is `KEY | VALUE`: " << line;
    kafka::ProducedRecord record;
    record.topic = topic;
    record.partition = partition;
    std::string key = Trim(line.substr(0, bar));
    std::string value = Trim(line.substr(bar + 3));
    if (key != "NULL") record.key = key;
    if (value != "NULL") record.value = value;
    base::Status produced = (*producer)->Produce(record);
    ASSERT_TRUE(produced.ok()) << produced.ToString();
  }
  base::Status flushed = (*producer)->Flush();
  ASSERT_TRUE(flushed.ok()) << flushed.ToString();
}

TEST_P(SqlTest, MatchesGolden) {
  const fs::path path = GetParam();
  runtime::connectors::kafka::FakeKafkaClients kafka_clients;
  runtime::connectors::kafka::FakeKafka& kafka = kafka_clients.AddCluster(kKafkaCluster);
  runtime::connectors::kafka::ScopedKafkaClients installed(&kafka_clients);
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string prefix;
  for (const Block& block : ParseTestFile(buffer.str())) {
    SCOPED_TRACE(path.filename().string() + ":" + std::to_string(block.line));
    // Blocks are statements of one script; close each with ';' unless the test did.
    std::string sql = block.sql;
    std::string trimmed = Trim(sql);
    if (!trimmed.empty() && trimmed.back() != ';') sql = trimmed + ";\n";
    std::string script = prefix + sql;
    if (block.kind == "statement ok" || block.kind == "statement error") {
      compiler::CompileOptions options;
      options.file_name = "test.pipe";
      options.collect_selects = true;
      auto compiled = compiler::CompileScript(script, options);
      if (block.kind == "statement ok") {
        ASSERT_TRUE(compiled.ok())
            << base::RenderDiagnostics(compiled.status().diagnostics(), "", script);
        prefix = script;
      } else {
        ASSERT_FALSE(compiled.ok()) << "expected an error for:\n" << block.sql;
        std::string rendered = RenderRelative(compiled.status(), script, prefix.size(), sql);
        // Each expected line must appear, in order, among the rendered lines: a test may
        // list only the error lines, or the source line and caret too.
        auto actual = SplitLines(rendered);
        size_t position = 0;
        for (const std::string& expected : block.expected) {
          while (position < actual.size() && Trim(actual[position]) != Trim(expected)) ++position;
          ASSERT_LT(position, actual.size()) << "expected line not found: " << expected << "\nin:\n"
                                             << rendered;
          ++position;
        }
      }
      continue;
    }
    if (block.kind == "kafka") {
      ProduceKafkaRecords(block, &kafka);
      continue;
    }
    ASSERT_EQ(block.kind, "query") << "unknown block kind";
    if (std::find(block.flags.begin(), block.flags.end(), "error") != block.flags.end()) {
      // The job compiles but fails while running: each expected line is part of its error.
      for (bool jit : {true, false}) {
        SCOPED_TRACE(jit ? "jit" : "interpreter");
        std::string error;
        RunQuery(script, jit, 1, &error);
        ASSERT_FALSE(error.empty()) << "expected the job to fail:\n" << block.sql;
        for (const std::string& expected : block.expected) {
          EXPECT_NE(error.find(Trim(expected)), std::string::npos)
              << "expected in the error: " << Trim(expected) << "\nin:\n"
              << error;
        }
      }
      continue;
    }
    bool rowsort =
        std::find(block.flags.begin(), block.flags.end(), "rowsort") != block.flags.end();
    bool materialize =
        std::find(block.flags.begin(), block.flags.end(), "materialize") != block.flags.end();
    rowsort |= materialize;
    std::vector<int32_t> parallelisms = {1};
    for (const std::string& flag : block.flags) {
      if (flag.rfind("parallelism=", 0) == 0) parallelisms = {std::stoi(flag.substr(12))};
    }
    std::vector<std::string> expected;
    for (const std::string& line : block.expected) expected.push_back(Trim(line));
    if (rowsort) std::sort(expected.begin(), expected.end());
    for (int32_t parallelism : parallelisms) {
      for (bool jit : {true, false}) {
        SCOPED_TRACE(jit ? "jit" : "interpreter");
        std::string error;
        auto rows = RunQuery(script, jit, parallelism, &error);
        ASSERT_TRUE(error.empty()) << error;
        if (materialize) rows = Materialize(rows);
        if (rowsort) std::sort(rows.begin(), rows.end());
        EXPECT_EQ(rows, expected);
      }
    }
  }
}

std::vector<std::string> FindTests() {
  std::vector<std::string> files;
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  fs::path directory = fs::path(root ? root : SLUICE_SOURCE_DIR_DEFAULT) / "tests" / "sql";
  if (!fs::exists(directory)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.path().extension() == ".test") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  fs::path path(info.param);
  std::string name = path.parent_path().filename().string() + "_" + path.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Golden, SqlTest, testing::ValuesIn(FindTests()), TestName);

}  // namespace
}  // namespace sluice
