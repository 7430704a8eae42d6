#include "runtime/connectors/filesystem_connector.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unordered_map>

#include "catalog/base/duration.h"
#include "catalog/base/suggest.h"
#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/filesystem_transactions.h"
#include "runtime/connectors/formats/csv_format.h"
#include "runtime/connectors/formats/field_slots.h"
#include "runtime/connectors/formats/format.h"
#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors {

namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "path";
constexpr const char* kFormat = "format";
constexpr const char* kRollingFileSize = "sink.rolling-policy.file-size";
constexpr const char* kCsvIncludeHeaderKey = "include-header";  // `csv.include-header`
constexpr const char* kRolloverInterval = "sink.rolling-policy.rollover-interval";
constexpr const char* kCheckInterval = "sink.rolling-policy.check-interval";
constexpr const char* kCommitTrigger = "sink.partition-commit.trigger";
constexpr const char* kCommitDelay = "sink.partition-commit.delay";
constexpr const char* kCommitPolicy = "sink.partition-commit.policy.kind";
constexpr const char* kSuccessFileName = "sink.partition-commit.success-file.name";
constexpr const char* kExtractorKind = "partition.time-extractor.kind";
constexpr const char* kTimestampPattern = "partition.time-extractor.timestamp-pattern";
constexpr const char* kTimestampFormatter = "partition.time-extractor.timestamp-formatter";
constexpr const char* kDefaultPartitionName = "partition.default-name";
constexpr int64_t kDefaultRollingFileSize = 128LL * 1024 * 1024;
constexpr int64_t kDefaultRolloverIntervalMillis = 30LL * 60 * 1000;

/// The options of a filesystem table, checked.
struct Settings {
  std::string path;
  std::string format_name;
  /// The `<format>.<key>` options, prefix stripped (`csv.include-header` is ours, not csv's).
  formats::FormatOptions format_options;
  bool is_changelog = false;  // the format carries row kinds (changelog-json, debezium-json, …)
  int64_t rolling_file_size = kDefaultRollingFileSize;
  bool csv_include_header = false;
  int64_t rollover_interval_ms = kDefaultRolloverIntervalMillis;
  std::vector<std::string> partition_keys;
  /// Written into each partition directory once every subtask has committed its files.
  std::optional<std::string> success_file_name;
  std::string default_partition_name = "__DEFAULT_PARTITION__";
};

const char* Extension(const std::string& format) {
  if (format == "csv") return "csv";
  if (format == "raw") return "txt";
  return "json";
}

std::string QuotedFormatNames() {
  std::string names;
  for (const std::string& name : formats::FormatNames()) {
    names += (names.empty() ? "'" : ", '") + name + "'";
  }
  return names;
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

/// Strips a `file://` scheme: Flink DDL names local directories as URIs.
base::Result<std::string> LocalPath(const OptionReader& options, const std::string& path) {
  constexpr std::string_view kScheme = "file://";
  if (path.compare(0, kScheme.size(), kScheme) != 0) return path;
  std::string local = path.substr(kScheme.size());
  if (local.compare(0, 10, "localhost/") == 0) local.erase(0, 9);
  if (local.empty() || local[0] != '/') {
    return options.InvalidValue(kPath,
                                "expected an absolute path after 'file://', such as "
                                "'file:///tmp/out'");
  }
  return local;
}

/// Checks the options that only a partitioned sink reads (PARTITIONED BY … and the
/// partition-commit and time-extractor options).
base::Status ParsePartitionSettings(const OptionReader& options, bool as_source,
                                    Settings* settings) {
  const TableDescriptor& table = options.table();
  const bool partitioned = !table.partition_keys.empty();
  for (const char* key :
       {kCommitTrigger, kCommitDelay, kCommitPolicy, kSuccessFileName, kExtractorKind,
        kTimestampPattern, kTimestampFormatter, kDefaultPartitionName}) {
    if (!partitioned && options.Has(key)) {
      return options.TableError("option '" + std::string(key) +
                                "' applies to a partitioned table; add PARTITIONED BY (…)");
    }
  }
  if (!partitioned) return base::Status::Ok();
  if (as_source) {
    return options.TableError(
        "reading a partitioned filesystem table is not supported yet; declare the source "
        "without PARTITIONED BY and point 'path' at one partition directory");
  }
  for (const std::string& key : table.partition_keys) {
    auto column = std::find_if(table.schema.columns.begin(), table.schema.columns.end(),
                               [&](const types::RowField& field) { return field.name == key; });
    if (column == table.schema.columns.end()) {
      return options.TableError("partition key '" + key + "' is not a column");
    }
    if (column->type.id() == types::TypeId::kRow) {
      return options.TableError("partition key '" + key + "' is a ROW column");
    }
  }
  if (table.partition_keys.size() >= table.schema.columns.size()) {
    return options.TableError("every column is a partition key; the files would be empty");
  }
  settings->partition_keys = table.partition_keys;

  if (auto trigger = options.GetString(kCommitTrigger)) {
    if (*trigger != "process-time" && *trigger != "partition-time") {
      return options.InvalidValue(kCommitTrigger, "expected 'process-time' or 'partition-time'");
    }
  }
  if (auto delay = options.GetString(kCommitDelay); delay && !base::ParseDurationMillis(*delay)) {
    return options.InvalidValue(kCommitDelay,
                                "expected a duration such as '1 min', '0 s' or "
                                "'1 h'");
  }
  if (auto policy = options.GetString(kCommitPolicy)) {
    std::stringstream kinds(*policy);
    std::string kind;
    while (std::getline(kinds, kind, ',')) {
      kind.erase(0, kind.find_first_not_of(' '));
      while (!kind.empty() && kind.back() == ' ') kind.pop_back();
      if (kind == "success-file") {
        settings->success_file_name = options.GetString(kSuccessFileName).value_or("_SUCCESS");
      } else if (kind == "metastore" || kind == "custom") {
        return options.InvalidValue(kCommitPolicy, "policy '" + kind +
                                                       "' is not supported; Sluice has no "
                                                       "metastore and no custom policies");
      } else {
        return options.InvalidValue(kCommitPolicy, "expected 'success-file'");
      }
    }
    if (!settings->success_file_name) {
      return options.InvalidValue(kCommitPolicy, "expected 'success-file'");
    }
  }
  if (auto name = options.GetString(kSuccessFileName)) {
    if (!settings->success_file_name) {
      return options.TableError("option '" + std::string(kSuccessFileName) + "' needs '" +
                                kCommitPolicy + "' = 'success-file'");
    }
    if (name->empty() || name->find('/') != std::string::npos || *name == "." || *name == "..") {
      return options.InvalidValue(kSuccessFileName, "expected a file name without '/'");
    }
  }
  if (auto kind = options.GetString(kExtractorKind); kind && *kind != "default") {
    return options.InvalidValue(kExtractorKind,
                                "expected 'default'; custom extractors are not "
                                "supported");
  }
  if (auto pattern = options.GetString(kTimestampPattern)) {
    // Every `$name` must be a partition key, as Flink's default extractor substitutes them.
    for (size_t dollar = pattern->find('$'); dollar != std::string::npos;
         dollar = pattern->find('$', dollar + 1)) {
      size_t end = dollar + 1;
      while (end < pattern->size() && (std::isalnum(static_cast<unsigned char>((*pattern)[end])) ||
                                       (*pattern)[end] == '_')) {
        ++end;
      }
      std::string name = pattern->substr(dollar + 1, end - dollar - 1);
      bool known = false;
      for (const std::string& key : table.partition_keys) {
        known |= types::IdentifierEquals(key, name);
      }
      if (!known) {
        std::string why = "'$" + name + "' is not a partition key";
        std::string suggestion = base::ClosestName(name, table.partition_keys);
        if (!suggestion.empty()) why += "; did you mean '$" + suggestion + "'?";
        return options.InvalidValue(kTimestampPattern, why);
      }
    }
  }
  if (auto formatter = options.GetString(kTimestampFormatter); formatter && formatter->empty()) {
    return options.InvalidValue(kTimestampFormatter, "the pattern is empty");
  }
  if (auto name = options.GetString(kDefaultPartitionName)) {
    if (name->empty()) return options.InvalidValue(kDefaultPartitionName, "the name is empty");
    settings->default_partition_name = *name;
  }
  return base::Status::Ok();
}

/// Checks the format options: `<format>.<key>` for a key FormatOptionKeys knows (and
/// `csv.include-header`, the filesystem's own), with a clear error for another format's.
base::Status ParseFormatOptions(const OptionReader& options, Settings* settings) {
  const std::string& format = settings->format_name;
  auto keys_of = [](const std::string& name) {
    std::vector<std::string> keys = formats::FormatOptionKeys(name);
    if (name == "csv") keys.push_back(kCsvIncludeHeaderKey);
    return keys;
  };
  const std::vector<std::string> own_keys = keys_of(format);
  for (const auto& [key, value] : options.table().options) {
    for (const std::string& other : formats::FormatNames()) {
      const std::string prefix = other + ".";
      if (other == format || key.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string rest = key.substr(prefix.size());
      std::vector<std::string> other_keys = keys_of(other);
      if (std::find(other_keys.begin(), other_keys.end(), rest) == other_keys.end()) continue;
      std::string why =
          "option '" + key + "' applies to format '" + other + "', not '" + format + "'";
      if (std::find(own_keys.begin(), own_keys.end(), rest) != own_keys.end()) {
        why += "; did you mean '" + format + "." + rest + "'?";
      }
      return options.OptionError(key, why);
    }
  }
  std::vector<std::string> known = {kPath,
                                    kFormat,
                                    kRollingFileSize,
                                    kRolloverInterval,
                                    kCheckInterval,
                                    kCommitTrigger,
                                    kCommitDelay,
                                    kCommitPolicy,
                                    kSuccessFileName,
                                    kExtractorKind,
                                    kTimestampPattern,
                                    kTimestampFormatter,
                                    kDefaultPartitionName};
  for (const std::string& key : own_keys) known.push_back(format + "." + key);
  SLUICE_RETURN_IF_ERROR(options.CheckKnown(known));

  const std::string prefix = format + ".";
  for (const auto& [key, value] : options.table().options) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = key.substr(prefix.size());
    if (format == "csv" && rest == kCsvIncludeHeaderKey) continue;
    settings->format_options[rest] = value;
  }
  if (format == "csv") {
    SLUICE_ASSIGN_OR_RETURN(settings->csv_include_header,
                            options.GetBool(std::string("csv.") + kCsvIncludeHeaderKey, false));
  }
  return base::Status::Ok();
}

/// Adds the table's name to an error of a format, keeping its code and subject.
base::Status InTable(const std::string& table_name, const base::Status& status) {
  if (status.ok()) return status;
  base::Status located =
      base::Status::Error(status.code(), "table '" + table_name + "': " + status.message());
  return status.subject().empty() ? located : located.WithSubject(status.subject());
}

/// The columns a sink writes into its files: all but the partition keys.
types::Schema DataSchema(const types::Schema& schema,
                         const std::vector<std::string>& partition_keys) {
  types::Schema data;
  for (const types::RowField& column : schema.columns) {
    if (std::find(partition_keys.begin(), partition_keys.end(), column.name) ==
        partition_keys.end()) {
      data.columns.push_back(column);
    }
  }
  return data;
}

/// A table's format, over the columns its files hold.
struct FileFormat {
  std::unique_ptr<formats::Format> format;
  /// The same format when it is csv: its header and records that span lines.
  const formats::CsvFormat* csv = nullptr;
};

base::Result<FileFormat> CreateFileFormat(const std::string& table_name, const Settings& settings,
                                          const types::Schema& file_schema) {
  formats::FormatFields fields = formats::AllColumns(file_schema);
  const std::string prefix = settings.format_name + ".";
  FileFormat file_format;
  if (settings.format_name == "csv") {
    auto csv = formats::CsvFormat::Create(fields, settings.format_options, prefix);
    if (!csv.ok()) return InTable(table_name, csv.status());
    file_format.csv = csv->get();
    file_format.format = std::move(*csv);
    return file_format;
  }
  auto format =
      formats::CreateFormat(settings.format_name, fields, settings.format_options, prefix);
  if (!format.ok()) return InTable(table_name, format.status());
  file_format.format = std::move(*format);
  return file_format;
}

base::Result<Settings> ParseSettings(const TableDescriptor& table, bool as_source) {
  OptionReader options(table);
  Settings settings;
  auto format = options.GetString(kFormat);
  if (!format) {
    return options.TableError("option 'format' is required for connector 'filesystem' (" +
                              QuotedFormatNames() + ")");
  }
  settings.format_name = *format;
  const std::vector<std::string> names = formats::FormatNames();
  if (std::find(names.begin(), names.end(), *format) == names.end()) {
    std::string why = "expected one of " + QuotedFormatNames();
    std::string suggestion = base::ClosestName(*format, names);
    if (!suggestion.empty()) why += "; did you mean '" + suggestion + "'?";
    return options.InvalidValue(kFormat, why);
  }
  SLUICE_RETURN_IF_ERROR(ParseFormatOptions(options, &settings));

  auto path = options.GetString(kPath);
  if (!path) return options.TableError("option 'path' is required for connector 'filesystem'");
  if (path->empty()) return options.InvalidValue(kPath, "the path is empty");
  SLUICE_ASSIGN_OR_RETURN(settings.path, LocalPath(options, *path));

  if (auto size_text = options.GetString(kRollingFileSize)) {
    std::optional<int64_t> size = ParseMemorySize(*size_text);
    if (!size || *size <= 0) {
      return options.InvalidValue(kRollingFileSize,
                                  "expected a positive size such as '128MB', '1KB' or '4096'");
    }
    settings.rolling_file_size = *size;
  }
  if (auto interval = options.GetString(kRolloverInterval)) {
    std::optional<int64_t> millis = base::ParseDurationMillis(*interval);
    if (!millis || *millis <= 0) {
      return options.InvalidValue(kRolloverInterval,
                                  "expected a positive duration such as '1 min' or '30 s'");
    }
    settings.rollover_interval_ms = *millis;
  }
  if (auto interval = options.GetString(kCheckInterval)) {
    std::optional<int64_t> millis = base::ParseDurationMillis(*interval);
    if (!millis || *millis <= 0) {
      return options.InvalidValue(kCheckInterval,
                                  "expected a positive duration such as '1 min' or '30 s'");
    }
  }
  SLUICE_RETURN_IF_ERROR(ParsePartitionSettings(options, as_source, &settings));

  // The format checks its options and the columns it holds.
  SLUICE_ASSIGN_OR_RETURN(
      FileFormat file_format,
      CreateFileFormat(table.name, settings, DataSchema(table.schema, settings.partition_keys)));
  settings.is_changelog = file_format.format->IsChangelog();
  if (!as_source) SLUICE_RETURN_IF_ERROR(InTable(table.name, file_format.format->CheckEncodable()));
  return settings;
}

// ---- writing --------------------------------------------------------------------------------

/// Appends `text` with the characters Hive and Flink escape in partition paths written as
/// `%XX` (control characters, `"#%'*/:=?\{[]^` and DEL); other bytes, UTF-8 included, pass.
void AppendEscapedPathName(std::string_view text, std::string* out) {
  static constexpr std::string_view kEscaped = "\"#%'*/:=?\\{[]^\x7f";
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || kEscaped.find(c) != std::string_view::npos) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out->push_back('%');
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 0xf]);
    } else {
      out->push_back(c);
    }
  }
}

/// Lets the subtasks of one partitioned sink write `_SUCCESS` once all of them have committed
/// (as Flink's single committer does): the last to finish writes it into every partition any
/// of them wrote. A subtask that ends without Finish (a failed job) cancels the files.
class SuccessFileGroup {
 public:
  /// Joins the group of the sink's current run, or starts one.
  static std::shared_ptr<SuccessFileGroup> Join(const std::string& key, int32_t parallelism) {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    auto& registry = Registry();
    auto found = registry.find(key);
    if (found != registry.end()) {
      SuccessFileGroup& group = *found->second;
      std::lock_guard<std::mutex> group_lock(group.mutex_);
      if (!group.failed_ && group.joined_ < group.parallelism_ &&
          group.parallelism_ == parallelism) {
        ++group.joined_;
        return found->second;
      }
    }
    auto group = std::make_shared<SuccessFileGroup>(key, parallelism);
    registry[key] = group;
    return group;
  }

  SuccessFileGroup(std::string key, int32_t parallelism)
      : key_(std::move(key)), parallelism_(parallelism) {}

  /// Adds a finished subtask's partition directories; returns them all to the last subtask.
  std::optional<std::set<std::string>> Finish(const std::set<std::string>& directories) {
    std::set<std::string> all;
    {
      std::lock_guard<std::mutex> group_lock(mutex_);
      directories_.insert(directories.begin(), directories.end());
      if (failed_ || ++finished_ < parallelism_) return std::nullopt;
      all = std::move(directories_);
    }
    Leave();  // outside mutex_: Join locks the registry first, then a group
    return all;
  }

  void Fail() {
    {
      std::lock_guard<std::mutex> group_lock(mutex_);
      failed_ = true;
    }
    Leave();
  }

 private:
  static std::map<std::string, std::shared_ptr<SuccessFileGroup>>& Registry() {
    static std::map<std::string, std::shared_ptr<SuccessFileGroup>> registry;
    return registry;
  }

  // Removes this group from the registry so the sink's next run starts afresh.
  void Leave() {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    auto found = Registry().find(key_);
    if (found != Registry().end() && found->second.get() == this) Registry().erase(found);
  }

  static inline std::mutex registry_mutex_;
  std::string key_;
  int32_t parallelism_;
  std::mutex mutex_;
  int32_t joined_ = 1;
  int32_t finished_ = 0;
  bool failed_ = false;
  std::set<std::string> directories_;
};

/// The part files of one directory (the table's path, or one partition under it): at most one
/// open in-progress file, and the number the next one gets.
struct Bucket {
  std::string directory;
  std::string partition;   // `k1=v1/k2=v2`, relative to the table's path; empty for the root
  int64_t next_part = -1;  // -1 until the directory exists and has been scanned
  int descriptor = -1;
  int64_t bytes_in_part = 0;
  int64_t opened_at_ms = 0;
  std::string buffer;
  std::string visible_name;
  std::string visible_path;
  std::string in_progress_path;
  std::list<Bucket*>::iterator open_position;  // in FilesystemWriter::open_buckets_
};

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// Writes one subtask's part files: appends records to a hidden in-progress file per
/// directory and closes it when it reaches the rolling size or interval, when it is the least
/// recently used of too many open files, or when the input ends. Closing renames the file
/// visible; in transactional mode it renames it pending instead, and the checkpoint that
/// names it (PreCommit) makes it visible once complete (Commit).
class FilesystemWriter final : public SinkWriter {
 public:
  /// Most part files a subtask keeps open at once; a partitioned sink closes (commits) the least
  /// recently written one to open another.
  static constexpr size_t kMaxOpenFiles = 256;

  FilesystemWriter(const TableDescriptor& table, Settings settings, FileFormat format,
                   const SubtaskInfo& subtask, int64_t first_part,
                   std::shared_ptr<SuccessFileGroup> success_group)
      : table_name_(table.name),
        settings_(std::move(settings)),
        data_schema_(DataSchema(table.schema, settings_.partition_keys)),
        format_(std::move(format)),
        subtask_(subtask.index),
        job_id_(subtask.job_id),
        success_group_(std::move(success_group)) {
    // Partition columns are one slot each (never ROW); the data slots are all the others.
    size_t slot = 0;
    for (const types::RowField& column : table.schema.columns) {
      size_t width = types::FlattenSchema(types::Schema{{column}}).size();
      auto key =
          std::find(settings_.partition_keys.begin(), settings_.partition_keys.end(), column.name);
      if (key != settings_.partition_keys.end()) {
        partition_slots_.push_back(slot);
        partition_names_.push_back(column.name);
      } else {
        for (size_t k = 0; k < width; ++k) data_slots_.push_back(slot + k);
      }
      slot += width;
    }
    for (const types::Slot& data_slot : types::FlattenSchema(data_schema_)) {
      data_slot_types_.push_back(data_slot.type);
    }
    if (settings_.partition_keys.empty()) {
      root_.directory = settings_.path;
      root_.next_part = first_part;
    }
  }

  ~FilesystemWriter() override {
    // Without Finish (or, transactional, without the commit of everything written) the job
    // failed: keep the in-progress and pending files hidden, as Flink does.
    for (Bucket* bucket : open_buckets_) ::close(bucket->descriptor);
    if (success_group_ != nullptr && !success_reported_) success_group_->Fail();
  }

  base::Status Write(const Batch& batch) override {
    if (!settings_.is_changelog && batch.has_row_kinds()) {
      for (int32_t row = 0; row < batch.row_count(); ++row) {
        if (batch.row_kind(row) == RowKind::kInsert) continue;
        return base::Status::Error(
            base::ErrorCode::kData,
            "table '" + table_name_ + "': filesystem sink with format '" + settings_.format_name +
                "' cannot write updating results (-U/+U/-D); use 'format' = 'changelog-json'");
      }
    }
    const int64_t now_ms = NowMillis();
    const bool partitioned = !partition_slots_.empty();
    Batch data;
    if (partitioned) data = DataColumns(batch);
    const Batch& records = partitioned ? data : batch;
    std::string partition;
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      Bucket* bucket = &root_;
      if (partitioned) {
        PartitionPath(batch, row, &partition);
        SLUICE_ASSIGN_OR_RETURN(bucket, FindBucket(partition));
      }
      if (bucket->descriptor >= 0 &&
          now_ms - bucket->opened_at_ms >= settings_.rollover_interval_ms) {
        SLUICE_RETURN_IF_ERROR(ClosePart(bucket));
      }
      if (bucket->descriptor < 0) SLUICE_RETURN_IF_ERROR(OpenPart(bucket, now_ms));
      if (partitioned && bucket->open_position != open_buckets_.begin()) {
        open_buckets_.splice(open_buckets_.begin(), open_buckets_, bucket->open_position);
      }
      SLUICE_RETURN_IF_ERROR(
          InTable(table_name_, format_.format->Encode(records, row, &bucket->buffer)));
      bucket->buffer.push_back('\n');
      if (bucket->bytes_in_part + static_cast<int64_t>(bucket->buffer.size()) >=
          settings_.rolling_file_size) {
        SLUICE_RETURN_IF_ERROR(ClosePart(bucket));
      }
    }
    for (Bucket* bucket : open_buckets_) SLUICE_RETURN_IF_ERROR(Flush(bucket));
    return base::Status::Ok();
  }

  base::Status Finish() override {
    while (!open_buckets_.empty()) SLUICE_RETURN_IF_ERROR(ClosePart(open_buckets_.front()));
    finished_ = true;
    return transactional_ ? ReportFinishedOnceCommitted() : ReportFinished();
  }

  base::Status Flush() override {
    while (!open_buckets_.empty()) SLUICE_RETURN_IF_ERROR(ClosePart(open_buckets_.front()));
    return base::Status::Ok();
  }

  bool SupportsTransactions() const override { return true; }

  base::Status EnableTransactions() override {
    if (opened_any_part_) {
      return base::Status::Error(
          base::ErrorCode::kInternal,
          "table '" + table_name_ + "': transactions enabled after the sink wrote a part file");
    }
    transactional_ = true;
    root_.next_part = -1;  // scanned at the first part file, after Recover, hidden files too
    return base::Status::Ok();
  }

  base::Result<std::string> PreCommit(int64_t checkpoint_id) override {
    if (!transactional_) return std::string();
    while (!open_buckets_.empty()) SLUICE_RETURN_IF_ERROR(ClosePart(open_buckets_.front()));
    // The pending names must survive a machine crash once the checkpoint records them.
    for (const std::string& directory : unsynced_directories_) {
      SLUICE_RETURN_IF_ERROR(SyncDirectory(directory));
    }
    unsynced_directories_.clear();
    if (!unnamed_pending_.empty()) {
      std::vector<std::string>& files = precommitted_[checkpoint_id];
      files.insert(files.end(), unnamed_pending_.begin(), unnamed_pending_.end());
      unnamed_pending_.clear();
    }
    // The transaction names every file still waiting for its commit, not only those closed at
    // this barrier: an earlier checkpoint's Commit may not have run yet (its notification comes
    // after this barrier, or it never completed, or it was a savepoint, which commits nothing).
    // Those rows are before this barrier too, and a restore from this checkpoint commits only
    // the files it names and deletes the other pending files of the job.
    std::vector<std::string> waiting;
    for (const auto& [checkpoint, files] : precommitted_) {
      waiting.insert(waiting.end(), files.begin(), files.end());
    }
    if (waiting.empty()) return std::string();
    std::sort(waiting.begin(), waiting.end());  // same text for the same files
    return EncodeFilesystemTransaction(waiting);
  }

  base::Status Commit(int64_t checkpoint_id) override {
    if (!transactional_) return base::Status::Ok();
    std::set<std::string> directories;
    while (!precommitted_.empty() && precommitted_.begin()->first <= checkpoint_id) {
      std::vector<std::string>& files = precommitted_.begin()->second;
      for (size_t index = 0; index < files.size(); ++index) {
        base::Status committed = CommitPendingFile(settings_.path, files[index]);
        if (!committed.ok()) {  // a retry starts at the file that failed
          files.erase(files.begin(), files.begin() + static_cast<std::ptrdiff_t>(index));
          return committed;
        }
        directories.insert((fs::path(settings_.path) / files[index]).parent_path().string());
      }
      precommitted_.erase(precommitted_.begin());
    }
    // A later checkpoint no longer names these files: their new names must be durable.
    for (const std::string& directory : directories) {
      SLUICE_RETURN_IF_ERROR(SyncDirectory(directory));
    }
    return ReportFinishedOnceCommitted();
  }

  base::Status Recover(const std::vector<std::string>& transactions) override {
    if (subtask_ != 0) return base::Status::Ok();
    SLUICE_ASSIGN_OR_RETURN(
        recovered_directories_,
        RecoverFilesystemTable(settings_.path, !partition_slots_.empty(), transactions, job_id_));
    return base::Status::Ok();
  }

 private:
  // Tells the success-file group that this subtask's files are all visible; the last subtask
  // of the group writes the success file into every partition any of them wrote (or, for
  // subtask 0, committed in Recover).
  base::Status ReportFinished() {
    if (success_group_ == nullptr || success_reported_) return base::Status::Ok();
    success_reported_ = true;
    std::set<std::string> mine = recovered_directories_;
    for (const auto& [partition, bucket] : partitions_) mine.insert(bucket->directory);
    std::optional<std::set<std::string>> all = success_group_->Finish(mine);
    if (!all) return base::Status::Ok();
    for (const std::string& directory : *all) {
      std::string path = (fs::path(directory) / *settings_.success_file_name).string();
      int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (descriptor < 0) return IoError("cannot create", path, errno);
      if (::close(descriptor) != 0) return IoError("cannot write", path, errno);
    }
    return base::Status::Ok();
  }

  // In transactional mode the input has ended only once Finish ran and everything written
  // since is committed (the final checkpoint's Commit, or Finish itself when nothing was).
  base::Status ReportFinishedOnceCommitted() {
    if (!finished_ || !open_buckets_.empty() || !unnamed_pending_.empty() ||
        !precommitted_.empty()) {
      return base::Status::Ok();
    }
    return ReportFinished();
  }

  // Copies the non-partition slots of `batch` (strings stay in its arenas).
  Batch DataColumns(const Batch& batch) const {
    Batch data(data_slot_types_);
    const size_t rows = static_cast<size_t>(batch.row_count());
    for (size_t index = 0; index < data_slots_.size(); ++index) {
      const Column& from = batch.column(data_slots_[index]);
      Column& to = data.column(index);
      std::memcpy(to.validity(), from.validity(), rows);
      std::memcpy(to.data(), from.data(), rows * static_cast<size_t>(from.type().PhysicalWidth()));
    }
    if (batch.has_row_kinds()) {
      uint8_t* kinds = data.EnableRowKinds();
      for (size_t row = 0; row < rows; ++row) {
        kinds[row] = static_cast<uint8_t>(batch.row_kind(static_cast<int32_t>(row)));
      }
    }
    data.set_row_count(batch.row_count());
    data.RetainArenasOf(batch);
    return data;
  }

  // Builds `key1=value1/key2=value2`: NULL and empty values take the default partition name.
  void PartitionPath(const Batch& batch, int32_t row, std::string* out) const {
    out->clear();
    std::string value;
    for (size_t index = 0; index < partition_slots_.size(); ++index) {
      if (index > 0) out->push_back('/');
      AppendEscapedPathName(partition_names_[index], out);
      out->push_back('=');
      const Column& column = batch.column(partition_slots_[index]);
      value.clear();
      if (!column.IsNull(row)) formats::CsvFormat::AppendValue(column, row, &value);
      AppendEscapedPathName(value.empty() ? settings_.default_partition_name : value, out);
    }
  }

  base::Result<Bucket*> FindBucket(const std::string& partition) {
    auto found = partitions_.find(partition);
    if (found != partitions_.end()) return found->second.get();
    auto bucket = std::make_unique<Bucket>();
    bucket->directory = (fs::path(settings_.path) / partition).string();
    bucket->partition = partition;
    std::error_code error;
    fs::create_directories(bucket->directory, error);
    if (error) return IoError("cannot create directory", bucket->directory, error.value());
    bucket->next_part = NextPartNumber(bucket->directory, job_id_, subtask_, transactional_);
    Bucket* pointer = bucket.get();
    partitions_.emplace(partition, std::move(bucket));
    return pointer;
  }

  base::Status OpenPart(Bucket* bucket, int64_t now_ms) {
    if (open_buckets_.size() >= kMaxOpenFiles) {
      SLUICE_RETURN_IF_ERROR(ClosePart(open_buckets_.back()));
    }
    if (bucket->next_part < 0) {
      bucket->next_part =
          NextPartNumber(bucket->directory, job_id_, subtask_, /*count_hidden=*/true);
    }
    std::string name = PartFileStem(job_id_, subtask_, bucket->next_part++) + "." +
                       Extension(settings_.format_name);
    bucket->visible_name = name;
    bucket->visible_path = (fs::path(bucket->directory) / name).string();
    bucket->in_progress_path = (fs::path(bucket->directory) / InProgressName(name)).string();
    // Without transactions a new run replaces an abandoned in-progress file; with them every
    // hidden name was counted, so an existing one means another writer: never truncate it.
    const int replace = transactional_ ? O_EXCL : O_TRUNC;
    bucket->descriptor =
        ::open(bucket->in_progress_path.c_str(), O_WRONLY | O_CREAT | replace | O_CLOEXEC, 0644);
    opened_any_part_ = true;
    if (bucket->descriptor < 0) return IoError("cannot create", bucket->in_progress_path, errno);
    open_buckets_.push_front(bucket);
    bucket->open_position = open_buckets_.begin();
    bucket->bytes_in_part = 0;
    bucket->opened_at_ms = now_ms;
    if (format_.csv != nullptr && settings_.csv_include_header) {
      format_.csv->AppendHeader(&bucket->buffer);
      bucket->buffer.push_back('\n');
    }
    return base::Status::Ok();
  }

  base::Status Flush(Bucket* bucket) {
    size_t written = 0;
    const std::string& buffer = bucket->buffer;
    while (written < buffer.size()) {
      ssize_t count = ::write(bucket->descriptor, buffer.data() + written, buffer.size() - written);
      if (count < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write", bucket->in_progress_path, errno);
      }
      written += static_cast<size_t>(count);
    }
    bucket->bytes_in_part += static_cast<int64_t>(buffer.size());
    bucket->buffer.clear();
    return base::Status::Ok();
  }

  // Flushes and closes the bucket's open part file, and commits it (renames it visible) or, in
  // transactional mode, renames it pending.
  base::Status ClosePart(Bucket* bucket) {
    SLUICE_RETURN_IF_ERROR(Flush(bucket));
    // fsync before the rename, so a visible part file is never shorter than what was written.
    int descriptor = bucket->descriptor;
    bucket->descriptor = -1;
    open_buckets_.erase(bucket->open_position);
    const std::string& in_progress = bucket->in_progress_path;
    if (::fsync(descriptor) != 0) {
      int error_number = errno;
      ::close(descriptor);
      return IoError("cannot write", in_progress, error_number);
    }
    if (::close(descriptor) != 0) return IoError("cannot write", in_progress, errno);
    if (!transactional_) {
      if (std::rename(in_progress.c_str(), bucket->visible_path.c_str()) != 0) {
        return IoError("cannot rename '" + in_progress + "' to", bucket->visible_path, errno);
      }
      return base::Status::Ok();
    }
    std::string pending =
        (fs::path(bucket->directory) / PendingName(bucket->visible_name)).string();
    if (int error = RenameNoReplace(in_progress, pending); error != 0) {
      return IoError("cannot rename '" + in_progress + "' to", pending, error);
    }
    unnamed_pending_.push_back(bucket->partition.empty()
                                   ? bucket->visible_name
                                   : bucket->partition + "/" + bucket->visible_name);
    unsynced_directories_.insert(bucket->directory);
    return base::Status::Ok();
  }

  std::string table_name_;
  Settings settings_;
  types::Schema data_schema_;  // the columns written into the files
  FileFormat format_;          // over data_schema_
  int32_t subtask_;
  std::string job_id_;  // scopes the part file names (empty: the older names)
  std::shared_ptr<SuccessFileGroup> success_group_;
  bool finished_ = false;          // Finish ran
  bool success_reported_ = false;  // success_group_ told this subtask is done
  bool opened_any_part_ = false;
  // Transactional mode: pending files (visible paths relative to the table) no PreCommit named
  // yet; the files of each pre-committed checkpoint not yet committed; directories whose
  // renames are not yet synced; directories of the files Recover committed.
  bool transactional_ = false;
  std::vector<std::string> unnamed_pending_;
  std::map<int64_t, std::vector<std::string>> precommitted_;
  std::set<std::string> unsynced_directories_;
  std::set<std::string> recovered_directories_;
  std::vector<size_t> partition_slots_;
  std::vector<std::string> partition_names_;
  std::vector<size_t> data_slots_;
  std::vector<types::LogicalType> data_slot_types_;
  Bucket root_;  // the only bucket of an unpartitioned sink
  std::unordered_map<std::string, std::unique_ptr<Bucket>> partitions_;
  std::list<Bucket*> open_buckets_;  // most recently written first
};

// ---- reading --------------------------------------------------------------------------------

/// Reads one subtask's files line by line (a CSV record may span lines inside quotes), each
/// record decoded by the table's format.
class FilesystemReaderImpl final : public FilesystemReader {
 public:
  FilesystemReaderImpl(const TableDescriptor& table, Settings settings, FileFormat format,
                       std::vector<std::string> files, const SubtaskInfo& subtask)
      : subtask_(subtask),
        table_name_(table.name),
        settings_(std::move(settings)),
        format_(std::move(format)),
        // A blank line is a record where it can mean one: an empty raw value, or a NULL in
        // a one-column CSV table.
        keep_blank_lines_(settings_.format_name == "raw" ||
                          (format_.csv != nullptr && table.schema.columns.size() == 1)),
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
    batch->set_row_count(0);
    if (format_.format->IsChangelog()) batch->EnableRowKinds();
    std::string record;
    while (batch->row_count() < kBatchCapacity) {
      if (AtStop()) break;
      if (file_ == nullptr) {
        if (next_file_ >= files_.size()) break;
        SLUICE_RETURN_IF_ERROR(OpenNextFile());
      }
      const int64_t record_offset = offset_;
      const int64_t lines_before = line_number_;
      int64_t record_line = 0;
      SLUICE_ASSIGN_OR_RETURN(bool has_record, ReadRecord(&record, &record_line));
      if (!has_record) {
        std::fclose(file_);
        file_ = nullptr;
        continue;
      }
      if (format_.csv != nullptr && settings_.csv_include_header && record_line == 1) continue;
      base::Status status = format_.format->Decode(record, batch);
      if (status.ok()) continue;
      if (formats::NeedsEmptyBatch(status) && batch->row_count() > 0) {
        // The record's rows do not fit: the next batch starts with it.
        if (std::fseek(file_, record_offset, SEEK_SET) != 0) {
          return IoError("cannot seek in", files_[next_file_ - 1], errno);
        }
        offset_ = record_offset;
        line_number_ = lines_before;
        break;
      }
      batch->set_row_count(0);
      return base::Status::Error(base::ErrorCode::kData,
                                 "table '" + table_name_ + "': malformed record at " +
                                     files_[next_file_ - 1] + ":" + std::to_string(record_line) +
                                     ": " + status.message());
    }
    return batch->row_count() > 0 || stop_.has_value();  // held at a stop: nothing more to read
  }

  bool IsBounded() const override { return true; }
  int64_t skipped_records() const override {
    return restored_skipped_ + format_.format->skipped_records();
  }

  /// Position: the file being read (its index among this subtask's files, and its path, which
  /// a seek checks), the byte offset and line number reached in it, and the records skipped.
  bool SupportsPosition() const override { return true; }
  std::string Position() const override {
    bool open = file_ != nullptr;
    size_t index = open ? next_file_ - 1 : next_file_;
    return EncodeSourcePosition("filesystem", subtask_,
                                {{"file", std::to_string(index)},
                                 {"path", index < files_.size() ? files_[index] : ""},
                                 {"offset", std::to_string(open ? offset_ : 0)},
                                 {"line", std::to_string(open ? line_number_ : 0)},
                                 {"skipped", std::to_string(skipped_records())}});
  }
  base::Status Seek(const std::string& position) override {
    SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "filesystem", subtask_));
    SLUICE_ASSIGN_OR_RETURN(int64_t index, PositionField(fields, "file"));
    SLUICE_ASSIGN_OR_RETURN(int64_t offset, PositionField(fields, "offset"));
    SLUICE_ASSIGN_OR_RETURN(int64_t line, PositionField(fields, "line"));
    SLUICE_ASSIGN_OR_RETURN(int64_t skipped, PositionField(fields, "skipped"));
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
    // A fresh reader's format has skipped nothing yet.
    restored_skipped_ = skipped - format_.format->skipped_records();
    next_file_ = std::min(static_cast<size_t>(index), files_.size());
    if (next_file_ == files_.size()) return base::Status::Ok();
    if (fields["path"] != files_[next_file_]) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "table '" + table_name_ + "': the position's file '" +
                                     fields["path"] + "' is not the subtask's file " +
                                     std::to_string(index) + " ('" + files_[next_file_] +
                                     "'): the files changed since the snapshot");
    }
    if (offset == 0 && line == 0) return base::Status::Ok();  // not opened yet
    SLUICE_RETURN_IF_ERROR(OpenNextFile());
    if (std::fseek(file_, offset, SEEK_SET) != 0) {
      return IoError("cannot seek in", files_[next_file_ - 1], errno);
    }
    offset_ = offset;
    line_number_ = line;
    return base::Status::Ok();
  }
  base::Status StopAt(const std::string& position) override {
    SLUICE_ASSIGN_OR_RETURN(auto fields, DecodeSourcePosition(position, "filesystem", subtask_));
    SLUICE_ASSIGN_OR_RETURN(int64_t index, PositionField(fields, "file"));
    SLUICE_ASSIGN_OR_RETURN(int64_t offset, PositionField(fields, "offset"));
    if (static_cast<size_t>(index) > files_.size() ||
        (static_cast<size_t>(index) < files_.size() && fields["path"] != files_[index]) ||
        (static_cast<size_t>(index) == files_.size() && offset != 0)) {
      return base::Status::Error(base::ErrorCode::kData,
                                 "table '" + table_name_ + "': the position's file '" +
                                     fields["path"] + "' is not the subtask's file " +
                                     std::to_string(index) +
                                     ": the files changed since the snapshot");
    }
    stop_ = Stop{static_cast<size_t>(index), offset};
    return base::Status::Ok();
  }
  void ClearStop() override { stop_.reset(); }

 private:
  /// StopAt: the file (index among this subtask's files) and the byte offset in it where
  /// reading stops (offset 0: before the file is opened).
  struct Stop {
    size_t file = 0;
    int64_t offset = 0;
  };
  /// Whether the reader is at its stop (reads nothing more).
  bool AtStop() const override {
    if (!stop_) return false;
    if (file_ == nullptr) {
      return next_file_ > stop_->file || (next_file_ == stop_->file && stop_->offset == 0);
    }
    if (next_file_ - 1 != stop_->file) return next_file_ - 1 > stop_->file;
    return offset_ >= stop_->offset;
  }

  base::Status OpenNextFile() {
    const std::string& path = files_[next_file_++];
    file_ = std::fopen(path.c_str(), "rb");
    if (file_ == nullptr) return IoError("cannot open", path, errno);
    line_number_ = 0;
    offset_ = 0;
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
    offset_ += length;
    while (length > 0 && (line_buffer_[length - 1] == '\n' || line_buffer_[length - 1] == '\r')) {
      --length;
    }
    line->assign(line_buffer_, static_cast<size_t>(length));
    return true;
  }

  // Reads the next record and the number of the line it starts on; blank lines are skipped
  // unless keep_blank_lines_.
  base::Result<bool> ReadRecord(std::string* record, int64_t* record_line) {
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(bool has_line, ReadLine(record));
      if (!has_line) return false;
      *record_line = line_number_;
      if (!keep_blank_lines_ && std::all_of(record->begin(), record->end(),
                                            [](char c) { return c == ' ' || c == '\t'; })) {
        // A CSV line of spaces is a record (its fields hold spaces); only an empty one is blank.
        if (format_.csv == nullptr || record->empty()) continue;
      }
      if (format_.csv != nullptr) {
        std::string continuation;
        while (format_.csv->dialect().EndsInsideQuotes(*record)) {
          SLUICE_ASSIGN_OR_RETURN(bool has_more, ReadLine(&continuation));
          if (!has_more) break;  // the format reports the unterminated quote
          record->push_back('\n');
          record->append(continuation);
        }
      }
      return true;
    }
  }

  SubtaskInfo subtask_;
  std::optional<Stop> stop_;
  std::string table_name_;
  Settings settings_;
  FileFormat format_;
  bool keep_blank_lines_;
  std::vector<std::string> files_;
  size_t slot_count_;
  size_t next_file_ = 0;
  std::FILE* file_ = nullptr;
  int64_t offset_ = 0;  // of the next byte to read in file_
  int64_t line_number_ = 0;
  char* line_buffer_ = nullptr;
  size_t line_capacity_ = 0;
  int64_t restored_skipped_ = 0;  // skipped before the position Seek restored
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
  auto settings = ParseSettings(table, /*as_source=*/false);
  return settings.ok() && settings->is_changelog;
}

bool FilesystemConnector::ProducesUpdates(const TableDescriptor& table) const {
  auto settings = ParseSettings(table, /*as_source=*/true);
  return settings.ok() && settings->is_changelog;
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
  SLUICE_ASSIGN_OR_RETURN(FileFormat format, CreateFileFormat(table.name, settings, table.schema));
  return std::unique_ptr<SourceReader>(new FilesystemReaderImpl(
      table, std::move(settings), std::move(format), std::move(mine), subtask));
}

base::Result<std::unique_ptr<SinkWriter>> FilesystemConnector::CreateWriter(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_ASSIGN_OR_RETURN(Settings settings, ParseSettings(table, /*as_source=*/false));
  SLUICE_ASSIGN_OR_RETURN(
      FileFormat format,
      CreateFileFormat(table.name, settings, DataSchema(table.schema, settings.partition_keys)));
  std::error_code error;
  fs::create_directories(settings.path, error);
  if (error) return IoError("cannot create directory", settings.path, error.value());
  if (!fs::is_directory(settings.path, error)) {
    return IoError("cannot write to", settings.path, ENOTDIR);
  }
  if (::access(settings.path.c_str(), W_OK) != 0) {
    return IoError("cannot write to directory", settings.path, errno);
  }
  if (!subtask.job_id.empty() && !IsPartFileJobId(subtask.job_id)) {
    return base::Status::Error(base::ErrorCode::kInternal,
                               "table '" + table.name + "': job id '" + subtask.job_id +
                                   "' cannot name part files (lower-case hex digits only)");
  }
  int64_t first_part =
      NextPartNumber(settings.path, subtask.job_id, subtask.index, /*count_hidden=*/false);
  std::shared_ptr<SuccessFileGroup> success_group;
  if (settings.success_file_name) {
    success_group = SuccessFileGroup::Join(
        subtask.job_name + '\0' + subtask.job_id + '\0' + table.name + '\0' + settings.path,
        subtask.parallelism);
  }
  return std::unique_ptr<SinkWriter>(new FilesystemWriter(table, std::move(settings),
                                                          std::move(format), subtask, first_part,
                                                          std::move(success_group)));
}

const Connector& FilesystemConnectorInstance() {
  static const FilesystemConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
