#pragma once

// What a filesystem sink has committed, read as a reader of its directory sees it, and how two
// such outputs differ.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sluice::campaign {

/// How a sink's lines are read: each line one inserted row, or a `changelog-json` line
/// `{"op":"+I|-U|+U|-D",<columns>}` that adds (+I, +U) or removes (-U, -D) its row.
enum class SinkFormat { kInsertOnly, kChangelog };

/// The rows a sink committed as a multiset: a count per row (the JSON line without its `op`
/// field), from a filesystem sink's visible part files or a Kafka sink's committed records. A
/// changelog is materialized in any file order by summing +1 for +I/+U and -1 for -U/-D, so a
/// count below zero means a row was retracted more often than it was inserted (a duplicate
/// retraction or a lost insertion).
class CommittedOutput {
 public:
  /// Reads every visible file under `directory` (names not starting with `.` or `_`), and
  /// counts the hidden `.…pending` files (written but not committed).
  static CommittedOutput Read(const std::filesystem::path& directory, SinkFormat format);
  /// The records a Kafka sink committed (one line each), and how many it wrote that did not
  /// commit (records of aborted or unfinished transactions).
  static CommittedOutput FromRecords(const std::vector<std::string>& records, SinkFormat format,
                                     int64_t uncommitted_records);

  const std::map<std::string, int64_t>& rows() const { return rows_; }
  int64_t total_rows() const;
  int64_t visible_files() const { return visible_files_; }
  int64_t pending_files() const { return pending_files_; }
  int64_t uncommitted_records() const { return uncommitted_records_; }
  /// Lines that are not one JSON object (a torn write) or carry an unknown row kind, kept
  /// verbatim (the first few).
  const std::vector<std::string>& malformed_lines() const { return malformed_lines_; }
  int64_t malformed_line_count() const { return malformed_line_count_; }
  /// Rows whose count is below zero.
  std::vector<std::pair<std::string, int64_t>> NegativeRows() const;

 private:
  /// Counts one line of `where` (a file name, a topic).
  void AddLine(const std::string& where, const std::string& line, SinkFormat format);
  void DropZeroCounts();

  std::map<std::string, int64_t> rows_;
  int64_t visible_files_ = 0;
  int64_t pending_files_ = 0;
  int64_t uncommitted_records_ = 0;
  std::vector<std::string> malformed_lines_;
  int64_t malformed_line_count_ = 0;
};

/// One row whose count differs between the reference and an output.
struct RowDifference {
  std::string row;
  int64_t expected = 0;
  int64_t actual = 0;
};

/// How an output differs from the reference output of the same sink.
struct OutputDifference {
  int64_t missing_rows = 0;  // sum of (expected - actual) where positive
  int64_t extra_rows = 0;    // sum of (actual - expected) where positive
  std::vector<RowDifference> missing;
  std::vector<RowDifference> extra;

  bool empty() const { return missing_rows == 0 && extra_rows == 0; }
  /// "3 rows missing (2 distinct), 10 rows extra (10 distinct)" and the first `limit` rows of
  /// each kind with their counts, one per line, indented by `indent`.
  std::string Summary(size_t limit, const std::string& indent) const;
};

/// Compares `actual` with `expected` row by row.
OutputDifference Compare(const CommittedOutput& expected, const CommittedOutput& actual);

}  // namespace sluice::campaign
