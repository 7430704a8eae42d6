#include "tests/campaign/committed_output.h"

#include <fstream>
#include <sstream>
#include <string_view>

namespace sluice::campaign {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMalformedLinesKept = 5;
constexpr std::string_view kOpPrefix = "{\"op\":\"";

/// The row of a changelog-json line (the line without `"op":"..",`) and its sign; sign 0 when
/// the line is not of that form.
std::pair<std::string, int> ChangelogRow(const std::string& line) {
  // {"op":"+I","a":1} → {"a":1}; the row kind is always two characters.
  if (line.compare(0, kOpPrefix.size(), kOpPrefix) != 0) return {"", 0};
  size_t kind_at = kOpPrefix.size();
  if (line.size() < kind_at + 4 || line[kind_at + 2] != '"') return {"", 0};
  std::string_view kind(line.data() + kind_at, 2);
  int sign = 0;
  if (kind == "+I" || kind == "+U") sign = 1;
  if (kind == "-U" || kind == "-D") sign = -1;
  if (sign == 0) return {"", 0};
  size_t rest = kind_at + 3;  // after the closing quote: ',' then the columns, or '}'
  if (line[rest] == ',') return {"{" + line.substr(rest + 1), sign};
  return {"{" + line.substr(rest), sign};
}

bool LooksLikeOneObject(const std::string& line) {
  return line.size() >= 2 && line.front() == '{' && line.back() == '}';
}

}  // namespace

CommittedOutput CommittedOutput::Read(const fs::path& directory, SinkFormat format) {
  CommittedOutput output;
  std::error_code error;
  if (!fs::is_directory(directory, error)) return output;
  for (fs::recursive_directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    std::string name = it->path().filename().string();
    if (!it->is_regular_file(error)) continue;
    if (name.front() == '.' || name.front() == '_') {
      if (name.size() > 8 && name.compare(name.size() - 8, 8, ".pending") == 0) {
        ++output.pending_files_;
      }
      continue;
    }
    ++output.visible_files_;
    std::ifstream in(it->path());
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!content.empty() && content.back() != '\n') {
      // A committed file ends with a whole line; a torn last line is reported as such.
      ++output.malformed_line_count_;
      if (output.malformed_lines_.size() < kMalformedLinesKept) {
        output.malformed_lines_.push_back(name + ": no newline at the end of the file");
      }
    }
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) output.AddLine(name, line, format);
    }
  }
  output.DropZeroCounts();
  return output;
}

CommittedOutput CommittedOutput::FromRecords(const std::vector<std::string>& records,
                                             SinkFormat format, int64_t uncommitted_records) {
  CommittedOutput output;
  for (const std::string& record : records) output.AddLine("record", record, format);
  output.uncommitted_records_ = uncommitted_records;
  output.DropZeroCounts();
  return output;
}

void CommittedOutput::AddLine(const std::string& where, const std::string& line,
                              SinkFormat format) {
  bool malformed = !LooksLikeOneObject(line);
  if (!malformed && format == SinkFormat::kChangelog) {
    auto [row, sign] = ChangelogRow(line);
    if (sign == 0) {
      malformed = true;
    } else {
      rows_[row] += sign;
    }
  } else if (!malformed) {
    ++rows_[line];
  }
  if (malformed) {
    ++malformed_line_count_;
    if (malformed_lines_.size() < kMalformedLinesKept) {
      malformed_lines_.push_back(where + ": " + line);
    }
  }
}

void CommittedOutput::DropZeroCounts() {
  for (auto it = rows_.begin(); it != rows_.end();) {
    it = it->second == 0 ? rows_.erase(it) : std::next(it);
  }
}

int64_t CommittedOutput::total_rows() const {
  int64_t total = 0;
  for (const auto& [row, count] : rows_) total += count;
  return total;
}

std::vector<std::pair<std::string, int64_t>> CommittedOutput::NegativeRows() const {
  std::vector<std::pair<std::string, int64_t>> negative;
  for (const auto& [row, count] : rows_) {
    if (count < 0) negative.emplace_back(row, count);
  }
  return negative;
}

OutputDifference Compare(const CommittedOutput& expected, const CommittedOutput& actual) {
  OutputDifference difference;
  auto record = [&](const std::string& row, int64_t want, int64_t got) {
    if (got < want) {
      difference.missing_rows += want - got;
      difference.missing.push_back({row, want, got});
    } else if (got > want) {
      difference.extra_rows += got - want;
      difference.extra.push_back({row, want, got});
    }
  };
  auto want = expected.rows().begin();
  auto got = actual.rows().begin();
  while (want != expected.rows().end() || got != actual.rows().end()) {
    if (got == actual.rows().end() || (want != expected.rows().end() && want->first < got->first)) {
      record(want->first, want->second, 0);
      ++want;
    } else if (want == expected.rows().end() || got->first < want->first) {
      record(got->first, 0, got->second);
      ++got;
    } else {
      record(want->first, want->second, got->second);
      ++want;
      ++got;
    }
  }
  return difference;
}

std::string OutputDifference::Summary(size_t limit, const std::string& indent) const {
  std::ostringstream text;
  text << missing_rows << " rows missing (" << missing.size() << " distinct), " << extra_rows
       << " rows extra (" << extra.size() << " distinct)";
  auto list = [&](const char* what, const std::vector<RowDifference>& rows) {
    for (size_t index = 0; index < rows.size() && index < limit; ++index) {
      text << "\n"
           << indent << what << " " << rows[index].row << "  expected " << rows[index].expected
           << "x, committed " << rows[index].actual << "x"
           << (rows[index].actual < 0 ? " (retracted more often than inserted)" : "");
    }
    if (rows.size() > limit) text << "\n" << indent << "… " << rows.size() - limit << " more";
  };
  list("missing", missing);
  list("extra  ", extra);
  return text.str();
}

}  // namespace sluice::campaign
