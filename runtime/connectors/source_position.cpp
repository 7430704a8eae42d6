#include <algorithm>
#include <charconv>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

namespace {

base::Status Malformed(const std::string& connector, const std::string& problem) {
  return base::Status::Error(base::ErrorCode::kData,
                             "a '" + connector + "' source position is malformed: " + problem);
}

}  // namespace

std::string EncodeSourcePosition(const std::string& connector, const SubtaskInfo& subtask,
                                 const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out = connector + " " + std::to_string(subtask.index) + "/" +
                    std::to_string(std::max(subtask.parallelism, 1));
  for (const auto& [name, value] : fields) out += "\n" + name + "=" + value;
  return out;
}

base::Result<SubtaskInfo> SplitOfPosition(const std::string& position) {
  std::string head = position.substr(0, position.find('\n'));
  size_t space = head.find(' ');
  size_t slash = head.find('/', space == std::string::npos ? 0 : space);
  SubtaskInfo split;
  if (space == std::string::npos || slash == std::string::npos) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a source position is malformed: no split in '" + head + "'");
  }
  const char* begin = head.data();
  auto index = std::from_chars(begin + space + 1, begin + slash, split.index);
  auto parallelism = std::from_chars(begin + slash + 1, begin + head.size(), split.parallelism);
  if (index.ec != std::errc() || index.ptr != begin + slash || parallelism.ec != std::errc() ||
      parallelism.ptr != begin + head.size() || split.index < 0 || split.parallelism < 1 ||
      split.index >= split.parallelism) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a source position is malformed: no split in '" + head + "'");
  }
  return split;
}

base::Result<std::map<std::string, std::string>> DecodeSourcePosition(const std::string& position,
                                                                      const std::string& connector,
                                                                      const SubtaskInfo& subtask) {
  size_t end = position.find('\n');
  std::string head = position.substr(0, end);
  std::string expected = connector + " ";
  if (head.compare(0, expected.size(), expected) != 0) {
    return Malformed(connector, "it does not start with '" + expected + "'");
  }
  std::string split = head.substr(expected.size());
  std::string own =
      std::to_string(subtask.index) + "/" + std::to_string(std::max(subtask.parallelism, 1));
  if (split != own) {
    return base::Status::Error(
        base::ErrorCode::kData,
        "a '" + connector + "' source position of subtask " + split +
            " cannot be restored into subtask " + own +
            " (sources restore at the same parallelism; rescaling a source is not supported)");
  }
  std::map<std::string, std::string> fields;
  while (end != std::string::npos) {
    size_t next = position.find('\n', end + 1);
    std::string line = position.substr(end + 1, next == std::string::npos ? next : next - end - 1);
    size_t equals = line.find('=');
    if (equals == std::string::npos) return Malformed(connector, "no '=' in '" + line + "'");
    fields[line.substr(0, equals)] = line.substr(equals + 1);
    end = next;
  }
  return fields;
}

base::Result<int64_t> PositionField(const std::map<std::string, std::string>& fields,
                                    const std::string& name) {
  auto found = fields.find(name);
  if (found == fields.end()) {
    return base::Status::Error(base::ErrorCode::kData,
                               "a source position has no field '" + name + "'");
  }
  int64_t value = -1;
  const std::string& text = found->second;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) {
    return base::Status::Error(base::ErrorCode::kData, "a source position's field '" + name +
                                                           "' is not a count: '" + text + "'");
  }
  return value;
}

}  // namespace sluice::runtime::connectors
