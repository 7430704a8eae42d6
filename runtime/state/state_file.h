#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/base/result.h"
#include "runtime/state/state_backend.h"

namespace sluice::runtime::state {

/// What a canonical state file holds: one state table of one operator, for a key-group range.
struct StateFileHeader {
  std::string uid;
  std::string state_name;
  /// Free-form description of the key, namespace and value layout (the StateSpec as JSON), so
  /// a reader can tell whether it understands the records; not interpreted here.
  std::string schema;
  int32_t first_key_group = 0;
  int32_t last_key_group = 0;
};

/// One key group's section of a state file.
struct StateFileSection {
  int32_t key_group = 0;
  int64_t entries = 0;
  uint64_t offset = 0;  // of the section's first record in the file
  uint64_t length = 0;  // bytes of its records
  uint64_t checksum = 0;
};

/// The canonical (portable) state file format of savepoints (DESIGN §7): independent of the
/// backend, the parallelism and the engine version that wrote it.
///
///   "SLUICE-STATE\n" u32 format version (1)
///   u32 header length, header (JSON: uid, state, schema, key-group range)
///   for each key group holding entries, ascending: its records sorted by (key, namespace)
///     bytewise, each `varint key length, key, varint namespace length, namespace,
///     varint value length, value`
///   index: u32 section count, per section u16 key group, u64 entries, u64 offset,
///     u64 length, u64 XXH3 checksum of its record bytes
///   footer: u64 index offset, u64 XXH3 checksum of header + index, "SLUICE-END\n"
///
/// All integers little-endian. A reader verifies the footer and index before trusting any
/// offset, and each section's checksum before handing out a record, so a truncated or
/// bit-flipped file is an error naming the file (and the key group), never a partial restore.
class StateFileWriter {
 public:
  /// Writes `table`'s entries of key groups [header.first_key_group, header.last_key_group]
  /// to `path` (through a temporary file renamed into place after fsync), streaming: one key
  /// group's records are held (and sorted) at a time. Returns the sections written.
  static base::Result<std::vector<StateFileSection>> Write(const std::string& path,
                                                           const StateFileHeader& header,
                                                           const StateTable& table);
};

class StateFileReader {
 public:
  using RecordVisitor = std::function<base::Status(int32_t key_group, std::string_view key,
                                                   std::string_view ns, std::string_view value)>;

  /// Opens `path` and verifies its framing, header and index (not yet the sections).
  static base::Result<StateFileReader> Open(const std::string& path);

  const StateFileHeader& header() const { return header_; }
  const std::vector<StateFileSection>& sections() const { return sections_; }

  /// Visits the records of key groups [first, last] in key-group, then key, then namespace
  /// order, after verifying each section's checksum. Stops at the first error of the visitor.
  base::Status Read(int32_t first, int32_t last, const RecordVisitor& visitor) const;

 private:
  std::string path_;  // records are read from it one section at a time
  StateFileHeader header_;
  std::vector<StateFileSection> sections_;
};

}  // namespace sluice::runtime::state
