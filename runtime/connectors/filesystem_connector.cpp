#include "runtime/connectors/filesystem_connector.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "catalog/base/suggest.h"
#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/csv_format.h"
#include "runtime/connectors/json_format.h"
#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors {

namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "path";
constexpr const char* kFormat = "format";
constexpr const char* kRollingFileSize = "sink.rolling-policy.file-size";
constexpr const char* kCsvIncludeHeader = "csv.include-header";
constexpr const char* kCsvIgnoreParseErrors = "csv.ignore-parse-errors";
constexpr const char* kJsonIgnoreParseErrors = "json.ignore-parse-errors";
constexpr int64_t kDefaultRollingFileSize = 128LL * 1024 * 1024;

enum class FileFormat { kJson, kCsv, kChangelogJson };

/// The options of a filesystem table, checked.
struct Settings {
  std::string path;
  FileFormat format = FileFormat::kJson;
  std::string format_name;
  int64_t rolling_file_size = kDefaultRollingFileSize;
  bool csv_include_header = false;
  bool ignore_parse_errors = false;
};

const char* Extension(FileFormat format) {
  return format == FileFormat::kCsv ? "csv" : "json";
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string OsError(int error_number) {
  return std::strerror(error_number);
}

base::Status IoError(const std::string& what, const std::string& path, int error_number) {
  return base::Status::Error(base::ErrorCode::kIo,
                             what + " '" + path + "': " + OsError(error_number));
}

base::Result<Settings> ParseSettings(const TableDescriptor& table, bool as_source) {
  OptionReader options(table);
  SLUICE_RETURN_IF_ERROR(options.CheckKnown({kPath, kFormat, kRollingFileSize, kCsvIncludeHeader,
                                             kCsvIgnoreParseErrors, kJsonIgnoreParseErrors}));
  Settings settings;
  auto path = options.GetString(kPath);
  if (!path) return options.TableError("option 'path' is required for connector 'filesystem'");
  if (path->empty()) return options.InvalidValue(kPath, "the path is empty");
  settings.path = *path;

  auto format = options.GetString(kFormat);
  if (!format) {
    return options.TableError(
        "option 'format' is required for connector 'filesystem' ('json', 'csv' or "
        "'changelog-json')");
  }
  settings.format_name = *format;
  if (*format == "json") {
    settings.format = FileFormat::kJson;
  } else if (*format == "csv") {
    settings.format = FileFormat::kCsv;
  } else if (*format == "changelog-json") {
    settings.format = FileFormat::kChangelogJson;
  } else {
    std::string why = "expected 'json', 'csv' or 'changelog-json'";
    std::string suggestion = base::ClosestName(*format, {"json", "csv", "changelog-json"});
    if (!suggestion.empty()) why += "; did you mean '" + suggestion + "'?";
    return options.InvalidValue(kFormat, why);
  }
  if (as_source && settings.format == FileFormat::kChangelogJson) {
    return options.InvalidValue(kFormat,
                                "format 'changelog-json' can only be written; read the files "
                                "with 'format' = 'json' (the \"op\" key is then ignored)");
  }

  // A format's own options make no sense with another format; say so rather than ignore them.
  const bool is_csv = settings.format == FileFormat::kCsv;
  for (const char* key : {kCsvIncludeHeader, kCsvIgnoreParseErrors}) {
    if (!is_csv && options.Has(key)) {
      return options.TableError("option '" + std::string(key) + "' applies to format 'csv', not '" +
                                settings.format_name + "'");
    }
  }
  if (is_csv && options.Has(kJsonIgnoreParseErrors)) {
    return options.TableError("option '" + std::string(kJsonIgnoreParseErrors) +
                              "' applies to format 'json', not 'csv'; did you mean '" +
                              kCsvIgnoreParseErrors + "'?");
  }
  SLUICE_ASSIGN_OR_RETURN(settings.csv_include_header, options.GetBool(kCsvIncludeHeader, false));
  SLUICE_ASSIGN_OR_RETURN(
      settings.ignore_parse_errors,
      options.GetBool(is_csv ? kCsvIgnoreParseErrors : kJsonIgnoreParseErrors, false));

  if (auto size_text = options.GetString(kRollingFileSize)) {
    std::optional<int64_t> size = ParseMemorySize(*size_text);
    if (!size || *size <= 0) {
      return options.InvalidValue(kRollingFileSize,
                                  "expected a positive size such as '128MB', '1KB' or '4096'");
    }
    settings.rolling_file_size = *size;
  }

  for (const types::RowField& column : table.schema.columns) {
    if (is_csv && column.type.id() == types::TypeId::kRow) {
      return options.TableError("format 'csv' cannot hold ROW column '" + column.name +
                                "'; use 'format' = 'json'");
    }
    if (settings.format == FileFormat::kChangelogJson && column.name == "op") {
      return options.TableError(
          "format 'changelog-json' uses the key \"op\" for the row kind, so a column cannot be "
          "named 'op'");
    }
  }
  return settings;
}

// ---- writing --------------------------------------------------------------------------------

/// Writes one subtask's part files: appends records to a hidden in-progress file and renames
/// it visible when it reaches the rolling size or the input ends.
class FilesystemWriter final : public SinkWriter {
 public:
  FilesystemWriter(const TableDescriptor& table, Settings settings, int32_t subtask,
                   int64_t first_part)
      : table_name_(table.name),
        schema_(table.schema),
        settings_(std::move(settings)),
        json_(table.schema),
        subtask_(subtask),
        next_part_(first_part) {}

  ~FilesystemWriter() override {
    // Without Finish the job failed: keep the in-progress file hidden, as Flink does.
    if (descriptor_ >= 0) ::close(descriptor_);
  }

  base::Status Write(const Batch& batch) override {
    if (settings_.format != FileFormat::kChangelogJson && batch.has_row_kinds()) {
      for (int32_t row = 0; row < batch.row_count(); ++row) {
        if (batch.row_kind(row) == RowKind::kInsert) continue;
        return base::Status::Error(
            base::ErrorCode::kData,
            "table '" + table_name_ + "': filesystem sink with format '" + settings_.format_name +
                "' cannot write updating results (-U/+U/-D); use 'format' = 'changelog-json'");
      }
    }
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      if (descriptor_ < 0) SLUICE_RETURN_IF_ERROR(OpenPart());
      if (settings_.format == FileFormat::kCsv) {
        CsvFormat::AppendRecord(batch, row, &buffer_);
      } else {
        json_.AppendRecord(batch, row, settings_.format == FileFormat::kChangelogJson, &buffer_);
      }
      if (bytes_in_part_ + static_cast<int64_t>(buffer_.size()) >= settings_.rolling_file_size) {
        SLUICE_RETURN_IF_ERROR(Flush());
        SLUICE_RETURN_IF_ERROR(ClosePart());
      }
    }
    return Flush();
  }

  base::Status Finish() override {
    SLUICE_RETURN_IF_ERROR(Flush());
    if (descriptor_ >= 0) SLUICE_RETURN_IF_ERROR(ClosePart());
    return base::Status::Ok();
  }

 private:
  base::Status OpenPart() {
    std::string name = "part-" + std::to_string(subtask_) + "-" + std::to_string(next_part_++) +
                       "." + Extension(settings_.format);
    visible_path_ = (fs::path(settings_.path) / name).string();
    in_progress_path_ = (fs::path(settings_.path) / ("." + name + ".inprogress")).string();
    descriptor_ = ::open(in_progress_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (descriptor_ < 0) return IoError("cannot create", in_progress_path_, errno);
    bytes_in_part_ = 0;
    if (settings_.format == FileFormat::kCsv && settings_.csv_include_header) {
      CsvFormat::AppendHeader(schema_, &buffer_);
    }
    return base::Status::Ok();
  }

  base::Status Flush() {
    size_t written = 0;
    while (written < buffer_.size()) {
      ssize_t count = ::write(descriptor_, buffer_.data() + written, buffer_.size() - written);
      if (count < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write", in_progress_path_, errno);
      }
      written += static_cast<size_t>(count);
    }
    bytes_in_part_ += static_cast<int64_t>(buffer_.size());
    buffer_.clear();
    return base::Status::Ok();
  }

  base::Status ClosePart() {
    // fsync before the rename, so a visible part file is never shorter than what was written.
    int descriptor = descriptor_;
    descriptor_ = -1;
    if (::fsync(descriptor) != 0) {
      int error_number = errno;
      ::close(descriptor);
      return IoError("cannot write", in_progress_path_, error_number);
    }
    if (::close(descriptor) != 0) return IoError("cannot write", in_progress_path_, errno);
    if (std::rename(in_progress_path_.c_str(), visible_path_.c_str()) != 0) {
      return IoError("cannot rename '" + in_progress_path_ + "' to", visible_path_, errno);
    }
    return base::Status::Ok();
  }

  std::string table_name_;
  types::Schema schema_;
  Settings settings_;
  JsonFormat json_;
  int32_t subtask_;
  int64_t next_part_;
  int descriptor_ = -1;
  int64_t bytes_in_part_ = 0;
  std::string buffer_;
  std::string visible_path_;
  std::string in_progress_path_;
};

/// Returns the number after the highest `part-<subtask>-<n>.*` file in `directory` (0 if none).
int64_t NextPartNumber(const std::string& directory, int32_t subtask) {
  const std::string prefix = "part-" + std::to_string(subtask) + "-";
  int64_t next = 0;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
    std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    size_t end = name.find('.', prefix.size());
    std::string digits = name.substr(prefix.size(), end - prefix.size());
    if (digits.empty() || digits.size() > 15 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    next = std::max<int64_t>(next, std::stoll(digits) + 1);
  }
  return next;
}

// ---- reading --------------------------------------------------------------------------------

/// Reads one subtask's files line by line (a CSV record may span lines inside quotes).
class FilesystemReaderImpl final : public FilesystemReader {
 public:
  FilesystemReaderImpl(const TableDescriptor& table, Settings settings,
                       std::vector<std::string> files)
      : table_name_(table.name),
        schema_(table.schema),
        settings_(std::move(settings)),
        json_(table.schema),
        files_(std::move(files)),
        slot_count_(types::FlattenSchema(table.schema).size()) {}

  ~FilesystemReaderImpl() override {
    if (file_ != nullptr) std::fclose(file_);
    std::free(line_buffer_);
  }

  base::Result<bool> Next(Batch* batch) override {
    SLUICE_CHECK(batch->column_count() == slot_count_,
                 "filesystem table '{}' read into a batch of {} columns, expected {}", table_name_,
                 batch->column_count(), slot_count_);
    int32_t row = 0;
    std::string record;
    while (row < kBatchCapacity) {
      if (file_ == nullptr) {
        if (next_file_ >= files_.size()) break;
        SLUICE_RETURN_IF_ERROR(OpenNextFile());
      }
      int64_t record_line = 0;
      SLUICE_ASSIGN_OR_RETURN(bool has_record, ReadRecord(&record, &record_line));
      if (!has_record) {
        std::fclose(file_);
        file_ = nullptr;
        continue;
      }
      if (settings_.format == FileFormat::kCsv && settings_.csv_include_header &&
          record_line == 1) {
        continue;
      }
      base::Status status = ParseRecord(record, batch, row);
      if (status.ok()) {
        ++row;
      } else if (settings_.ignore_parse_errors) {
        ++skipped_records_;
      } else {
        batch->set_row_count(0);
        return base::Status::Error(base::ErrorCode::kData,
                                   "table '" + table_name_ + "': malformed record at " +
                                       files_[next_file_ - 1] + ":" + std::to_string(record_line) +
                                       ": " + status.message());
      }
    }
    batch->set_row_count(row);
    return row > 0;
  }

  bool IsBounded() const override { return true; }
  int64_t skipped_records() const override { return skipped_records_; }

 private:
  base::Status OpenNextFile() {
    const std::string& path = files_[next_file_++];
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) return IoError("cannot open", path, errno);
    line_number_ = 0;
    return base::Status::Ok();
  }

  // Reads one physical line without its line break; false at the end of the file.
  base::Result<bool> ReadLine(std::string* line) {
    errno = 0;
    ssize_t length = ::getline(&line_buffer_, &line_capacity_, file_);
    if (length < 0) {
      if (std::ferror(file_)) return IoError("cannot read", files_[next_file_ - 1], errno);
      return false;
    }
    ++line_number_;
    while (length > 0 && (line_buffer_[length - 1] == '\n' || line_buffer_[length - 1] == '\r')) {
      --length;
    }
    line->assign(line_buffer_, static_cast<size_t>(length));
    return true;
  }

  // Reads the next record and the number of the line it starts on; blank lines are skipped
  // (for a one-column CSV table an empty line is a NULL row, so it is kept).
  base::Result<bool> ReadRecord(std::string* record, int64_t* record_line) {
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(bool has_line, ReadLine(record));
      if (!has_line) return false;
      *record_line = line_number_;
      if (settings_.format == FileFormat::kCsv) {
        if (record->empty() && schema_.columns.size() > 1) continue;
        std::string continuation;
        while (CsvFormat::EndsInsideQuotes(*record)) {
          SLUICE_ASSIGN_OR_RETURN(bool has_more, ReadLine(&continuation));
          if (!has_more) break;  // SplitRecord reports the unterminated quote
          record->push_back('\n');
          record->append(continuation);
        }
        return true;
      }
      if (std::all_of(record->begin(), record->end(),
                      [](char c) { return c == ' ' || c == '\t'; })) {
        continue;
      }
      return true;
    }
  }

  base::Status ParseRecord(const std::string& record, Batch* batch, int32_t row) {
    if (settings_.format != FileFormat::kCsv) return json_.ParseRecord(record, batch, row);
    SLUICE_ASSIGN_OR_RETURN(auto fields, CsvFormat::SplitRecord(record));
    if (fields.size() != schema_.columns.size()) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "expected " + std::to_string(schema_.columns.size()) +
                                     " fields, found " + std::to_string(fields.size()));
    }
    for (size_t index = 0; index < fields.size(); ++index) {
      Column* column = &batch->column(index);
      // An empty field is NULL; quoted ("") it is an empty string, where the type has one.
      if (!fields[index] ||
          (fields[index]->empty() && column->type().id() != types::TypeId::kVarchar)) {
        CsvFormat::SetNull(column, row);
        continue;
      }
      if (!CsvFormat::ParseValue(*fields[index], column, row, &batch->arena())) {
        return base::Status::Error(base::ErrorCode::kData,
                                   "column '" + schema_.columns[index].name + "': cannot read '" +
                                       *fields[index] + "' as " + column->type().ToString());
      }
    }
    return base::Status::Ok();
  }

  std::string table_name_;
  types::Schema schema_;
  Settings settings_;
  JsonFormat json_;
  std::vector<std::string> files_;
  size_t slot_count_;
  size_t next_file_ = 0;
  std::FILE* file_ = nullptr;
  int64_t line_number_ = 0;
  char* line_buffer_ = nullptr;
  size_t line_capacity_ = 0;
  int64_t skipped_records_ = 0;
};

/// Orders names with their digit runs compared as numbers, so `part-0-2` comes before
/// `part-0-10` and rolled part files are read in the order they were written.
bool NaturalLess(const std::string& left, const std::string& right) {
  size_t i = 0, j = 0;
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < left.size() && j < right.size()) {
    if (is_digit(left[i]) && is_digit(right[j])) {
      size_t i_end = i, j_end = j;
      while (i_end < left.size() && is_digit(left[i_end])) ++i_end;
      while (j_end < right.size() && is_digit(right[j_end])) ++j_end;
      size_t i_start = i, j_start = j;  // compare without leading zeros: length, then digits
      while (i_start + 1 < i_end && left[i_start] == '0') ++i_start;
      while (j_start + 1 < j_end && right[j_start] == '0') ++j_start;
      if (i_end - i_start != j_end - j_start) return i_end - i_start < j_end - j_start;
      int order = left.compare(i_start, i_end - i_start, right, j_start, j_end - j_start);
      if (order != 0) return order < 0;
      i = i_end;
      j = j_end;
      continue;
    }
    if (left[i] != right[j]) return left[i] < right[j];
    ++i;
    ++j;
  }
  if (left.size() - i != right.size() - j) return left.size() - i < right.size() - j;
  return left < right;  // equal but for leading zeros: any fixed order
}

/// Lists the files a source reads: the path itself, or the visible regular files of a
/// directory (names not starting with '.' or '_', as Flink skips them) in natural name order.
base::Result<std::vector<std::string>> ListInputFiles(const std::string& path) {
  std::error_code error;
  fs::file_status status = fs::status(path, error);
  if (error) return IoError("cannot read", path, error.value());
  if (!fs::is_directory(status)) return std::vector<std::string>{path};
  std::vector<std::string> files;
  fs::directory_iterator iterator(path, error);
  if (error) return IoError("cannot list directory", path, error.value());
  for (const fs::directory_entry& entry : iterator) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    if (!entry.is_regular_file(error)) continue;
    files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end(), NaturalLess);
  return files;
}

}  // namespace

std::optional<int64_t> ParseMemorySize(const std::string& text) {
  size_t position = 0;
  while (position < text.size() && text[position] == ' ') ++position;
  size_t digits_start = position;
  int64_t value = 0;
  while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) {
    if (value > (INT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + (text[position] - '0');
    ++position;
  }
  if (position == digits_start) return std::nullopt;
  while (position < text.size() && text[position] == ' ') ++position;
  std::string unit = Lower(text.substr(position));
  while (!unit.empty() && unit.back() == ' ') unit.pop_back();
  int shift = -1;
  if (unit.empty() || unit == "b" || unit == "bytes") shift = 0;
  if (unit == "k" || unit == "kb") shift = 10;
  if (unit == "m" || unit == "mb") shift = 20;
  if (unit == "g" || unit == "gb") shift = 30;
  if (unit == "t" || unit == "tb") shift = 40;
  if (shift < 0 || value > (INT64_MAX >> shift)) return std::nullopt;
  return value << shift;
}

base::Status FilesystemConnector::Validate(const TableDescriptor& table, bool as_source) const {
  return ParseSettings(table, as_source).status();
}

bool FilesystemConnector::AcceptsUpdates(const TableDescriptor& table) const {
  auto format = table.options.find(kFormat);
  return format != table.options.end() && format->second == "changelog-json";
}

base::Result<std::unique_ptr<SourceReader>> FilesystemConnector::CreateReader(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_CHECK(
      subtask.parallelism >= 1 && subtask.index >= 0 && subtask.index < subtask.parallelism,
      "bad subtask {} of {}", subtask.index, subtask.parallelism);
  SLUICE_ASSIGN_OR_RETURN(Settings settings, ParseSettings(table, /*as_source=*/true));
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> files, ListInputFiles(settings.path));
  std::vector<std::string> mine;
  for (size_t index = subtask.index; index < files.size(); index += subtask.parallelism) {
    mine.push_back(files[index]);
  }
  return std::unique_ptr<SourceReader>(
      new FilesystemReaderImpl(table, std::move(settings), std::move(mine)));
}

base::Result<std::unique_ptr<SinkWriter>> FilesystemConnector::CreateWriter(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_ASSIGN_OR_RETURN(Settings settings, ParseSettings(table, /*as_source=*/false));
  std::error_code error;
  fs::create_directories(settings.path, error);
  if (error) return IoError("cannot create directory", settings.path, error.value());
  if (!fs::is_directory(settings.path, error)) {
    return IoError("cannot write to", settings.path, ENOTDIR);
  }
  if (::access(settings.path.c_str(), W_OK) != 0) {
    return IoError("cannot write to directory", settings.path, errno);
  }
  int64_t first_part = NextPartNumber(settings.path, subtask.index);
  return std::unique_ptr<SinkWriter>(
      new FilesystemWriter(table, std::move(settings), subtask.index, first_part));
}

const Connector& FilesystemConnectorInstance() {
  static const FilesystemConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
