#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace sluice::repl {

/// A column of a result as shown: its name and whether its values are right-aligned (numbers).
struct ResultColumn {
  std::string name;
  bool right_aligned = false;
};

/// Lays rows out psql-style: ` a | b ` under a header and a `---+---` rule.
class TableLayout {
 public:
  explicit TableLayout(std::vector<ResultColumn> columns);
  /// Widens the columns to fit `fields`.
  void Fit(const std::vector<std::string>& fields);
  std::string Header() const;
  std::string Row(const std::vector<std::string>& fields) const;
  const std::vector<ResultColumn>& columns() const { return columns_; }

 private:
  std::vector<ResultColumn> columns_;
  std::vector<size_t> widths_;
};

/// Prints a whole table (SHOW, DESCRIBE) to standard output, with a row count.
void PrintTable(std::vector<ResultColumn> columns,
                const std::vector<std::vector<std::string>>& rows);

/// The number of terminal columns `text` takes (UTF-8 code points).
size_t DisplayWidth(const std::string& text);
/// The longest prefix of `text` that takes at most `width` columns.
std::string TruncateToWidth(const std::string& text, size_t width);

/// Shows the rows of a running SELECT as they arrive. Add and Flush are called from the one
/// thread that owns the terminal.
class ResultView {
 public:
  virtual ~ResultView() = default;
  /// One result row: its kind (`+I`, `-U`, `+U`, `-D`) and its rendered columns.
  virtual void Add(const std::string& kind, std::vector<std::string> fields) = 0;
  /// Shows what arrived since the last call (as soon as it is worth a redraw), or everything
  /// and a row count when `final`.
  virtual void Flush(bool final) = 0;
  /// Result rows received so far (changelog entries for a changelog).
  virtual int64_t rows() const = 0;
  /// Rows of an insert-only result so far (for a client-side LIMIT).
  virtual int64_t inserted_rows() const = 0;
};

/// How to show a result.
enum class ResultMode {
  kStream,     // insert-only rows, printed as they come under one header
  kTable,      // an updating result kept as a table and redrawn in place (on a terminal)
  kChangelog,  // every change printed with its kind in an `op` column
};

/// The terminal a result is shown on.
struct Screen {
  bool redraw = false;  // ANSI redraws may be used (a terminal)
  int rows = 24;
  int columns = 80;
};

/// Creates the view for `mode`, writing to `out` (the terminal or standard output).
std::unique_ptr<ResultView> MakeResultView(ResultMode mode, std::vector<ResultColumn> columns,
                                           std::FILE* out, Screen screen);

}  // namespace sluice::repl
