#include "runtime/connectors/filesystem_transactions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/filesystem_connector.h"
#include "runtime/connectors/print_connector.h"

namespace sluice::runtime::connectors {
namespace {

namespace fs = std::filesystem;
using types::LogicalType;

using types::SlotTypes;

types::Schema NumberSchema() {
  return types::Schema{{{"n", LogicalType::Bigint()}, {"text", LogicalType::Varchar()}}};
}

/// Rows `+I[i, row<i>]` for i in [first, first + count).
TableDescriptor Numbers(int first, int count) {
  TableDescriptor table;
  table.name = "numbers";
  table.schema = NumberSchema();
  table.options = {{"connector", "values"}, {"rows-per-batch", "64"}};
  for (int i = first; i < first + count; ++i) {
    table.inline_rows.push_back({std::to_string(i), "row" + std::to_string(i)});
  }
  return table;
}

std::vector<std::string> Printed(int first, int count) {
  std::vector<std::string> rows;
  for (int i = first; i < first + count; ++i) {
    rows.push_back("+I[" + std::to_string(i) + ", row" + std::to_string(i) + "]");
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// A values table of bids partitioned by `dt` and `hm` (the last two columns).
TableDescriptor Bids(const std::vector<std::vector<std::optional<std::string>>>& rows) {
  TableDescriptor table;
  table.name = "bids";
  table.schema = types::Schema{{{"auction", LogicalType::Bigint()},
                                {"dt", LogicalType::Varchar()},
                                {"hm", LogicalType::Varchar()}}};
  table.options = {{"connector", "values"}};
  table.inline_rows = rows;
  return table;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

void WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

/// Lists every file under `directory`, relative and sorted, hidden ones included.
std::vector<std::string> FileTree(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (entry.is_regular_file()) names.push_back(fs::relative(entry.path(), directory).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class FilesystemTransactionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "sluice-fs-txn-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  TableDescriptor Sink(const fs::path& path, types::Schema schema = NumberSchema()) {
    TableDescriptor table;
    table.name = "output";
    table.schema = std::move(schema);
    table.options = {{"connector", "filesystem"}, {"path", path.string()}, {"format", "csv"}};
    return table;
  }

  /// A writer switched into transactional mode, as the runtime does when it checkpoints.
  std::unique_ptr<SinkWriter> TransactionalWriter(const TableDescriptor& sink,
                                                  SubtaskInfo subtask = {0, 1, "job"}) {
    auto writer = FilesystemConnectorInstance().CreateWriter(sink, subtask);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    if (!writer.ok()) return nullptr;
    EXPECT_TRUE((*writer)->SupportsTransactions());
    base::Status enabled = (*writer)->EnableTransactions();
    EXPECT_TRUE(enabled.ok()) << enabled.ToString();
    return std::move(*writer);
  }

  /// Writes every row of a values table.
  void Write(SinkWriter* writer, const TableDescriptor& input) {
    auto reader = ValuesConnectorInstance().CreateReader(input, {});
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    while (true) {
      Batch batch(SlotTypes(input.schema));
      auto more = (*reader)->Next(&batch);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
      base::Status written = writer->Write(batch);
      ASSERT_TRUE(written.ok()) << written.ToString();
    }
  }

  std::string PreCommit(SinkWriter* writer, int64_t checkpoint_id) {
    base::Result<std::string> transaction = writer->PreCommit(checkpoint_id);
    EXPECT_TRUE(transaction.ok()) << transaction.status().ToString();
    return transaction.ok() ? *transaction : std::string();
  }

  /// The rows a reader of the (unpartitioned) table sees, sorted.
  std::vector<std::string> VisibleRows(const fs::path& path) {
    types::Schema schema = NumberSchema();
    auto reader = FilesystemConnectorInstance().CreateReader(Sink(path), {});
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    std::vector<std::string> rows;
    while (reader.ok()) {
      Batch batch(SlotTypes(schema));
      auto more = (*reader)->Next(&batch);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      for (int32_t row = 0; row < batch.row_count(); ++row) {
        rows.push_back(PrintConnector::FormatRow(schema, batch, row));
      }
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }

  fs::path root_;
};

TEST_F(FilesystemTransactionsTest, NothingIsVisibleUntilTheCheckpointThatNamedItCommits) {
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_));
  Write(writer.get(), Numbers(0, 3));
  std::string first = PreCommit(writer.get(), 1);
  EXPECT_EQ(first, "filesystem:part-0-0.csv");
  Write(writer.get(), Numbers(3, 2));
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{".part-0-0.csv.pending", ".part-0-1.csv.inprogress"}));
  EXPECT_TRUE(VisibleRows(root_).empty());

  // Commit(1) may come after the next barrier: it shows the first checkpoint's part only. The
  // second checkpoint names the first's part too, as it is not committed yet.
  std::string second = PreCommit(writer.get(), 2);
  EXPECT_EQ(second, "filesystem:part-0-0.csv;part-0-1.csv");
  ASSERT_TRUE(writer->Commit(1).ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{".part-0-1.csv.pending", "part-0-0.csv"}));
  EXPECT_EQ(VisibleRows(root_), Printed(0, 3));

  ASSERT_TRUE(writer->Commit(2).ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv"}));
  EXPECT_EQ(VisibleRows(root_), Printed(0, 5));

  // A checkpoint without new records names nothing; commits are idempotent.
  EXPECT_EQ(PreCommit(writer.get(), 3), "");
  EXPECT_TRUE(writer->Commit(3).ok());
  EXPECT_TRUE(writer->Commit(2).ok());
  EXPECT_TRUE(CommitPendingFile(root_.string(), "part-0-0.csv").ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv"}));
}

TEST_F(FilesystemTransactionsTest, CommittingAMissingPendingFileNamesIt) {
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_));
  Write(writer.get(), Numbers(0, 2));
  ASSERT_EQ(PreCommit(writer.get(), 1), "filesystem:part-0-0.csv");
  fs::remove(root_ / ".part-0-0.csv.pending");
  base::Status status = writer->Commit(1);
  EXPECT_EQ(status.code(), base::ErrorCode::kIo);
  EXPECT_EQ(status.message(),
            "cannot commit part file '" + (root_ / ".part-0-0.csv.pending").string() +
                "': it is missing and '" + (root_ / "part-0-0.csv").string() + "' does not exist");

  // A pending file is never renamed over another visible file.
  WriteFile(root_ / ".part-0-7.csv.pending", "1,new\n");
  WriteFile(root_ / "part-0-7.csv", "1,old\n");
  status = CommitPendingFile(root_.string(), "part-0-7.csv");
  EXPECT_EQ(status.code(), base::ErrorCode::kIo);
  EXPECT_NE(status.message().find("already exists"), std::string::npos) << status.ToString();
  EXPECT_EQ(ReadFile(root_ / "part-0-7.csv"), "1,old\n");

  // Both names of one file (a commit through a hard link that stopped halfway) are fine.
  WriteFile(root_ / ".part-0-8.csv.pending", "8,eight\n");
  fs::create_hard_link(root_ / ".part-0-8.csv.pending", root_ / "part-0-8.csv");
  status = CommitPendingFile(root_.string(), "part-0-8.csv");
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_FALSE(fs::exists(root_ / ".part-0-8.csv.pending"));
  EXPECT_EQ(ReadFile(root_ / "part-0-8.csv"), "8,eight\n");
}

TEST_F(FilesystemTransactionsTest, APreCommitThatCannotRenameNamesTheFileAndKeepsItsData) {
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_));
  Write(writer.get(), Numbers(0, 2));
  fs::create_directory(root_ / ".part-0-0.csv.pending");  // the pending name is taken
  base::Result<std::string> transaction = writer->PreCommit(1);
  ASSERT_FALSE(transaction.ok());
  EXPECT_EQ(transaction.status().code(), base::ErrorCode::kIo);
  EXPECT_EQ(transaction.status().message(),
            "cannot rename '" + (root_ / ".part-0-0.csv.inprogress").string() + "' to '" +
                (root_ / ".part-0-0.csv.pending").string() + "': File exists");
  EXPECT_EQ(ReadFile(root_ / ".part-0-0.csv.inprogress"), "0,row0\n1,row1\n");
}

TEST_F(FilesystemTransactionsTest, FinishClosesFilesButOnlyTheFinalCheckpointShowsThem) {
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_));
  Write(writer.get(), Numbers(0, 4));
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(FileTree(root_), std::vector<std::string>{".part-0-0.csv.pending"});
  EXPECT_TRUE(VisibleRows(root_).empty());
  EXPECT_EQ(PreCommit(writer.get(), 7), "filesystem:part-0-0.csv");
  EXPECT_TRUE(VisibleRows(root_).empty());
  ASSERT_TRUE(writer->Commit(7).ok());
  EXPECT_EQ(VisibleRows(root_), Printed(0, 4));
}

TEST_F(FilesystemTransactionsTest, RollingInsideACheckpointIntervalKeepsEveryPartPending) {
  TableDescriptor sink = Sink(root_);
  sink.options["sink.rolling-policy.file-size"] = "100B";
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(sink);
  Write(writer.get(), Numbers(0, 100));
  std::vector<std::string> files = FileTree(root_);
  size_t pending = std::count_if(files.begin(), files.end(), [](const std::string& name) {
    return name.find(".pending") != std::string::npos;
  });
  EXPECT_GT(pending, 5u);
  EXPECT_TRUE(VisibleRows(root_).empty());

  std::string transaction = PreCommit(writer.get(), 1);
  auto named = DecodeFilesystemTransaction(transaction);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(named->size(), FileTree(root_).size());  // the open file too, closed at the barrier
  EXPECT_TRUE(VisibleRows(root_).empty());
  ASSERT_TRUE(writer->Commit(1).ok());
  EXPECT_EQ(VisibleRows(root_), Printed(0, 100));
  for (const std::string& name : FileTree(root_)) EXPECT_EQ(name.rfind("part-0-", 0), 0u) << name;
}

TEST_F(FilesystemTransactionsTest, RecoverCommitsNamedFilesAndDeletesOrphans) {
  std::string completed;
  {
    std::unique_ptr<SinkWriter> crashed = TransactionalWriter(Sink(root_));
    Write(crashed.get(), Numbers(0, 2));
    completed = PreCommit(crashed.get(), 1);  // checkpoint 1 completes; Commit never runs
    Write(crashed.get(), Numbers(2, 2));
    // Never completes; it names checkpoint 1's part too, which is not committed yet.
    ASSERT_EQ(PreCommit(crashed.get(), 2), "filesystem:part-0-0.csv;part-0-1.csv");
    Write(crashed.get(), Numbers(4, 2));
  }  // the process dies
  WriteFile(root_ / ".part-1-4.csv.pending", "9,orphan of another subtask\n");
  WriteFile(root_ / ".keep", "not a part file");
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{".keep", ".part-0-0.csv.pending", ".part-0-1.csv.pending",
                                      ".part-0-2.csv.inprogress", ".part-1-4.csv.pending"}));

  // Restored from checkpoint 1 at parallelism 2: subtask 1 leaves recovery to subtask 0.
  std::unique_ptr<SinkWriter> other = TransactionalWriter(Sink(root_), {1, 2, "job"});
  ASSERT_TRUE(other->Recover({completed}).ok());
  EXPECT_EQ(FileTree(root_).size(), 5u);
  std::unique_ptr<SinkWriter> restored = TransactionalWriter(Sink(root_), {0, 2, "job"});
  base::Status recovered = restored->Recover({completed});
  ASSERT_TRUE(recovered.ok()) << recovered.ToString();
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{".keep", "part-0-0.csv"}));
  EXPECT_EQ(VisibleRows(root_), Printed(0, 2));
  ASSERT_TRUE(restored->Recover({completed}).ok());  // again: nothing changes
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{".keep", "part-0-0.csv"}));

  // The restored run replays rows 2.. and ends with the output of an uninterrupted run.
  Write(restored.get(), Numbers(2, 4));
  ASSERT_TRUE(restored->Finish().ok());
  PreCommit(restored.get(), 2);
  ASSERT_TRUE(restored->Commit(2).ok());
  EXPECT_EQ(VisibleRows(root_), Printed(0, 6));
}

// The notification of checkpoint 1 can reach the sink after the barrier of checkpoint 2 (the
// sink's task was still running when checkpoint 1 completed, and took the next barrier in the
// same run). A crash once checkpoint 2 is complete but before any Commit restores from
// checkpoint 2: the rows of checkpoint 1 are before its barrier, so its part file must be
// committed, not deleted as a leftover (the crash campaign lost a checkpoint's rows that way).
TEST_F(FilesystemTransactionsTest, ACheckpointNamesTheFilesOfEarlierCheckpointsNotYetCommitted) {
  std::string latest;
  {
    std::unique_ptr<SinkWriter> crashed = TransactionalWriter(Sink(root_));
    Write(crashed.get(), Numbers(0, 3));
    ASSERT_EQ(PreCommit(crashed.get(), 1), "filesystem:part-0-0.csv");  // completes; no Commit
    Write(crashed.get(), Numbers(3, 2));
    latest = PreCommit(crashed.get(), 2);  // completes too; the process dies before Commit(1)
    // Every later barrier (a savepoint's, which commits nothing, say) names them all.
    Write(crashed.get(), Numbers(5, 2));
    EXPECT_EQ(PreCommit(crashed.get(), 3), "filesystem:part-0-0.csv;part-0-1.csv;part-0-2.csv");
  }
  EXPECT_EQ(latest, "filesystem:part-0-0.csv;part-0-1.csv");
  std::unique_ptr<SinkWriter> restored = TransactionalWriter(Sink(root_));
  base::Status recovered = restored->Recover({latest});
  ASSERT_TRUE(recovered.ok()) << recovered.ToString();
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv"}));
  EXPECT_EQ(VisibleRows(root_), Printed(0, 5));

  // The restored run replays rows 5 and 6 and ends with the output of an uninterrupted run.
  Write(restored.get(), Numbers(5, 2));
  ASSERT_TRUE(restored->Finish().ok());
  EXPECT_EQ(PreCommit(restored.get(), 3), "filesystem:part-0-2.csv");
  ASSERT_TRUE(restored->Commit(3).ok());
  EXPECT_EQ(VisibleRows(root_), Printed(0, 7));
}

TEST_F(FilesystemTransactionsTest, RecoverNamesAFileThatIsNeitherPendingNorVisible) {
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_));
  base::Status status = writer->Recover({"filesystem:part-3-9.csv"});
  EXPECT_EQ(status.code(), base::ErrorCode::kIo);
  EXPECT_NE(status.message().find("'" + (root_ / ".part-3-9.csv.pending").string() + "'"),
            std::string::npos)
      << status.ToString();
  status = writer->Recover({"filesystem:../elsewhere/part-0-0.csv"});
  EXPECT_EQ(status.code(), base::ErrorCode::kData);
  EXPECT_NE(status.message().find("is not the path of a part file inside the table"),
            std::string::npos)
      << status.ToString();
}

TEST_F(FilesystemTransactionsTest, ASubtaskAtParallelismOneRecoversTransactionsOfTwo) {
  std::vector<std::string> transactions;
  for (int32_t index = 0; index < 2; ++index) {
    std::unique_ptr<SinkWriter> writer = TransactionalWriter(Sink(root_), {index, 2, "job"});
    Write(writer.get(), Numbers(index * 10, 3));
    transactions.push_back(PreCommit(writer.get(), 1));
    Write(writer.get(), Numbers(100 + index, 1));  // after the barrier: discarded
  }
  EXPECT_EQ(transactions,
            (std::vector<std::string>{"filesystem:part-0-0.csv", "filesystem:part-1-0.csv"}));

  std::unique_ptr<SinkWriter> rescaled = TransactionalWriter(Sink(root_), {0, 1, "job"});
  ASSERT_TRUE(rescaled->Recover(transactions).ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"part-0-0.csv", "part-1-0.csv"}));
  std::vector<std::string> expected = Printed(0, 3);
  for (const std::string& row : Printed(10, 3)) expected.push_back(row);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(VisibleRows(root_), expected);
}

TEST_F(FilesystemTransactionsTest, ARestartNeverReusesTheNameOfAFileThatMayStillBeCommitted) {
  std::string completed;
  {
    std::unique_ptr<SinkWriter> crashed = TransactionalWriter(Sink(root_));
    Write(crashed.get(), Numbers(0, 2));
    completed = PreCommit(crashed.get(), 1);
  }
  // A new run over the same directory, without a restore: the pending part-0-0 still belongs
  // to checkpoint 1, which a later restore from it commits.
  {
    std::unique_ptr<SinkWriter> fresh = TransactionalWriter(Sink(root_));
    Write(fresh.get(), Numbers(10, 2));
    ASSERT_EQ(PreCommit(fresh.get(), 1), "filesystem:part-0-1.csv");
    ASSERT_TRUE(fresh->Commit(1).ok());
    Write(fresh.get(), Numbers(20, 1));  // left in progress by a crash
  }
  std::unique_ptr<SinkWriter> restored = TransactionalWriter(Sink(root_));
  ASSERT_TRUE(restored->Recover({completed}).ok());
  EXPECT_EQ(ReadFile(root_ / "part-0-0.csv"), "0,row0\n1,row1\n");
  EXPECT_EQ(ReadFile(root_ / "part-0-1.csv"), "10,row10\n11,row11\n");

  // Numbering continues above every name, committed ones included.
  Write(restored.get(), Numbers(30, 1));
  ASSERT_EQ(PreCommit(restored.get(), 2), "filesystem:part-0-2.csv");
  ASSERT_TRUE(restored->Commit(2).ok());
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{"part-0-0.csv", "part-0-1.csv", "part-0-2.csv"}));
}

TEST_F(FilesystemTransactionsTest, PartitionedSinkCommitsPerPartitionAndSucceedsAfterTheEnd) {
  TableDescriptor input = Bids({{"1", "2015-07-15", "00:00"}, {"2", "2015-07-15", "00:01"}});
  TableDescriptor later = Bids({{"3", "2015-07-15", "00:01"}, {"4", "2015-07-16", "a;b%"}});
  TableDescriptor sink = Sink(root_, input.schema);
  sink.partition_keys = {"dt", "hm"};
  sink.options["sink.partition-commit.policy.kind"] = "success-file";
  std::unique_ptr<SinkWriter> writer = TransactionalWriter(sink);
  Write(writer.get(), input);
  EXPECT_EQ(PreCommit(writer.get(), 1),
            "filesystem:dt=2015-07-15/hm=00%253A00/part-0-0.csv;"
            "dt=2015-07-15/hm=00%253A01/part-0-0.csv");
  Write(writer.get(), later);
  ASSERT_TRUE(writer->Commit(1).ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{
                                 "dt=2015-07-15/hm=00%3A00/part-0-0.csv",
                                 "dt=2015-07-15/hm=00%3A01/.part-0-1.csv.inprogress",
                                 "dt=2015-07-15/hm=00%3A01/part-0-0.csv",
                                 "dt=2015-07-16/hm=a;b%25/.part-0-0.csv.inprogress",
                             }));

  // Finish closes the files; the success files wait for the final checkpoint's commit.
  ASSERT_TRUE(writer->Finish().ok());
  std::string final_transaction = PreCommit(writer.get(), 2);
  auto named = DecodeFilesystemTransaction(final_transaction);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  EXPECT_EQ(*named, (std::vector<std::string>{"dt=2015-07-15/hm=00%3A01/part-0-1.csv",
                                              "dt=2015-07-16/hm=a;b%25/part-0-0.csv"}));
  EXPECT_EQ(FileTree(root_).size(), 4u);
  ASSERT_TRUE(writer->Commit(2).ok());
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{
                "dt=2015-07-15/hm=00%3A00/_SUCCESS", "dt=2015-07-15/hm=00%3A00/part-0-0.csv",
                "dt=2015-07-15/hm=00%3A01/_SUCCESS", "dt=2015-07-15/hm=00%3A01/part-0-0.csv",
                "dt=2015-07-15/hm=00%3A01/part-0-1.csv", "dt=2015-07-16/hm=a;b%25/_SUCCESS",
                "dt=2015-07-16/hm=a;b%25/part-0-0.csv"}));
  EXPECT_EQ(ReadFile(root_ / "dt=2015-07-16" / "hm=a;b%25" / "part-0-0.csv"), "4\n");
}

TEST_F(FilesystemTransactionsTest, RecoverCleansPartitionDirectories) {
  TableDescriptor sink = Sink(root_, Bids({}).schema);
  sink.partition_keys = {"dt", "hm"};
  sink.options["sink.partition-commit.policy.kind"] = "success-file";
  std::string completed;
  {
    std::unique_ptr<SinkWriter> crashed = TransactionalWriter(sink);
    Write(crashed.get(), Bids({{"1", "2015-07-14", "00:00"}}));
    completed = PreCommit(crashed.get(), 1);
    Write(crashed.get(), Bids({{"2", "2015-07-16", "00:00"}}));
    PreCommit(crashed.get(), 2);  // never completes
    Write(crashed.get(), Bids({{"3", "2015-07-15", "00:00"}}));
  }
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{"dt=2015-07-14/hm=00%3A00/.part-0-0.csv.pending",
                                      "dt=2015-07-15/hm=00%3A00/.part-0-0.csv.inprogress",
                                      "dt=2015-07-16/hm=00%3A00/.part-0-0.csv.pending"}));
  std::unique_ptr<SinkWriter> restored = TransactionalWriter(sink);
  ASSERT_TRUE(restored->Recover({completed}).ok());
  EXPECT_EQ(FileTree(root_), (std::vector<std::string>{"dt=2015-07-14/hm=00%3A00/part-0-0.csv"}));

  // The restored run replays rows 2 and 3 and ends: the partition only Recover committed gets
  // its success file too.
  Write(restored.get(), Bids({{"2", "2015-07-16", "00:00"}, {"3", "2015-07-15", "00:00"}}));
  ASSERT_TRUE(restored->Finish().ok());
  PreCommit(restored.get(), 2);
  ASSERT_TRUE(restored->Commit(2).ok());
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{
                "dt=2015-07-14/hm=00%3A00/_SUCCESS", "dt=2015-07-14/hm=00%3A00/part-0-0.csv",
                "dt=2015-07-15/hm=00%3A00/_SUCCESS", "dt=2015-07-15/hm=00%3A00/part-0-0.csv",
                "dt=2015-07-16/hm=00%3A00/_SUCCESS", "dt=2015-07-16/hm=00%3A00/part-0-0.csv"}));
}

TEST_F(FilesystemTransactionsTest, SuccessFilesWaitForEverySubtasksFinalCommit) {
  TableDescriptor input = Bids({{"1", "2015-07-15", "00:00"}});
  TableDescriptor sink = Sink(root_, input.schema);
  sink.partition_keys = {"dt"};
  sink.options["sink.partition-commit.policy.kind"] = "success-file";
  std::unique_ptr<SinkWriter> first = TransactionalWriter(sink, {0, 2, "job"});
  std::unique_ptr<SinkWriter> second = TransactionalWriter(sink, {1, 2, "job"});
  Write(first.get(), input);
  ASSERT_TRUE(first->Finish().ok());
  ASSERT_TRUE(second->Finish().ok());  // wrote nothing: done at once
  PreCommit(first.get(), 1);
  EXPECT_EQ(FileTree(root_), std::vector<std::string>{"dt=2015-07-15/.part-0-0.csv.pending"});
  ASSERT_TRUE(first->Commit(1).ok());
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{"dt=2015-07-15/_SUCCESS", "dt=2015-07-15/part-0-0.csv"}));
}

TEST_F(FilesystemTransactionsTest, TransactionsMustBeEnabledBeforeTheFirstWrite) {
  auto writer = FilesystemConnectorInstance().CreateWriter(Sink(root_), {});
  ASSERT_TRUE(writer.ok());
  Write(writer->get(), Numbers(0, 1));
  EXPECT_EQ((*writer)->EnableTransactions().code(), base::ErrorCode::kInternal);
  // Without transactions a barrier changes nothing and Finish commits, as before.
  EXPECT_EQ(PreCommit(writer->get(), 1), "");
  EXPECT_EQ(FileTree(root_), std::vector<std::string>{".part-0-0.csv.inprogress"});
  ASSERT_TRUE((*writer)->Finish().ok());
  EXPECT_EQ(FileTree(root_), std::vector<std::string>{"part-0-0.csv"});
}

TEST(FilesystemTransactionTextTest, RoundTripsAnyPathOnOneLine) {
  std::vector<std::string> paths = {"part-0-0.json", "k=a;b/part-12-3.csv", "k=%25\n/part-1-0"};
  std::string text = EncodeFilesystemTransaction(paths);
  EXPECT_EQ(text, "filesystem:part-0-0.json;k=a%3Bb/part-12-3.csv;k=%2525%0A/part-1-0");
  auto decoded = DecodeFilesystemTransaction(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, paths);
  EXPECT_TRUE(DecodeFilesystemTransaction("")->empty());

  for (const char* bad :
       {"print:part-0-0.csv", "filesystem:/tmp/part-0-0.csv", "filesystem:a/../part-0-0.csv",
        "filesystem:part-0-0.csv;", "filesystem:notes.txt", "filesystem:.part-0-0.csv.pending",
        "filesystem:part-0-%zz.csv", "filesystem:part-0-0.csv%2"}) {
    auto result = DecodeFilesystemTransaction(bad);
    EXPECT_FALSE(result.ok()) << bad;
    if (!result.ok()) {
      EXPECT_EQ(result.status().message().rfind("malformed filesystem sink transaction '", 0), 0u)
          << result.status().ToString();
    }
  }
}

TEST(FilesystemTransactionTextTest, PartFileNamesInEveryState) {
  auto pending = ParsePartFileName(".part-3-17.json.pending");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->visible_name, "part-3-17.json");
  EXPECT_EQ(pending->state, PartFileState::kPending);
  EXPECT_EQ(pending->subtask, 3);
  EXPECT_EQ(pending->number, 17);
  EXPECT_EQ(ParsePartFileName(".part-0-2.csv.inprogress")->state, PartFileState::kInProgress);
  EXPECT_EQ(ParsePartFileName("part-0-2")->number, 2);
  for (const char* other : {"part-0-x.csv", "part-00-1.csv", ".part-0-1.csv", "_SUCCESS",
                            "part-0.csv", "xpart-0-1.csv", "part-0-1x.csv"}) {
    EXPECT_FALSE(ParsePartFileName(other).has_value()) << other;
  }
}

TEST_F(FilesystemTransactionsTest, TwoJobsWritingOneTableNeverTouchEachOthersFiles) {
  // Job a1 crashed after checkpoint 1 (its pending file of checkpoint 2 and its open file are
  // left over); job b2 runs meanwhile over the same table.
  std::string completed;
  {
    std::unique_ptr<SinkWriter> crashed = TransactionalWriter(Sink(root_), {0, 1, "job", "a1"});
    Write(crashed.get(), Numbers(0, 2));
    completed = PreCommit(crashed.get(), 1);
    EXPECT_EQ(completed, "filesystem:part-a1-0-0.csv");
    Write(crashed.get(), Numbers(2, 2));
    PreCommit(crashed.get(), 2);
    Write(crashed.get(), Numbers(4, 2));
  }
  std::unique_ptr<SinkWriter> other = TransactionalWriter(Sink(root_), {0, 1, "job", "b2"});
  Write(other.get(), Numbers(100, 2));  // its part-b2-0-0 never races with part-a1-0-0
  EXPECT_EQ(PreCommit(other.get(), 1), "filesystem:part-b2-0-0.csv");
  Write(other.get(), Numbers(102, 2));  // in progress

  // The resumed a1 commits its checkpoint's file and clears its own leftovers, not b2's.
  std::unique_ptr<SinkWriter> resumed = TransactionalWriter(Sink(root_), {0, 1, "job", "a1"});
  base::Status recovered = resumed->Recover({completed});
  ASSERT_TRUE(recovered.ok()) << recovered.ToString();
  EXPECT_EQ(FileTree(root_),
            (std::vector<std::string>{".part-b2-0-0.csv.pending", ".part-b2-0-1.csv.inprogress",
                                      "part-a1-0-0.csv"}));
  ASSERT_TRUE(other->Commit(1).ok());
  ASSERT_TRUE(other->Finish().ok());
  PreCommit(other.get(), 2);
  ASSERT_TRUE(other->Commit(2).ok());
  Write(resumed.get(), Numbers(2, 4));
  ASSERT_TRUE(resumed->Finish().ok());
  PreCommit(resumed.get(), 2);
  ASSERT_TRUE(resumed->Commit(2).ok());
  std::vector<std::string> expected = Printed(0, 6);
  for (const std::string& row : Printed(100, 4)) expected.push_back(row);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(VisibleRows(root_), expected);
}

TEST_F(FilesystemTransactionsTest, PartFileNamesCarryTheJobIdAndOlderNamesStillParse) {
  std::optional<PartFileName> scoped = ParsePartFileName(".part-0a1b2c3d-1-7.json.pending");
  ASSERT_TRUE(scoped);
  EXPECT_EQ(scoped->job_id, "0a1b2c3d");
  EXPECT_EQ(scoped->subtask, 1);
  EXPECT_EQ(scoped->number, 7);
  EXPECT_EQ(scoped->state, PartFileState::kPending);
  EXPECT_EQ(scoped->visible_name, "part-0a1b2c3d-1-7.json");
  std::optional<PartFileName> older = ParsePartFileName("part-3-12.csv");
  ASSERT_TRUE(older);
  EXPECT_EQ(older->job_id, "");
  EXPECT_EQ(older->subtask, 3);
  EXPECT_EQ(older->number, 12);
  EXPECT_FALSE(ParsePartFileName("part-XYZ-1-2.csv"));  // not a job id
  EXPECT_FALSE(ParsePartFileName("part-a-b-1-2.csv"));
  EXPECT_EQ(PartFileStem("0a1b2c3d", 2, 5), "part-0a1b2c3d-2-5");
  EXPECT_EQ(PartFileStem("", 2, 5), "part-2-5");
  auto writer = FilesystemConnectorInstance().CreateWriter(Sink(root_), {0, 1, "job", "Not/Hex"});
  EXPECT_FALSE(writer.ok());
}

}  // namespace
}  // namespace sluice::runtime::connectors
