#pragma once

#include <functional>
#include <string>
#include <vector>

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

/// `'connector' = 'collect'`: hands each row, rendered as the print sink renders it
/// (`+I[1000, 5]`), to a callback registered under the table's `collect.name` option. It is
/// how a bare SELECT reaches the caller: the golden-test runner and the REPL.
class CollectConnector final : public Connector {
 public:
  using RowCallback = std::function<void(int32_t subtask, const std::string& row)>;
  /// The row kind (`+I`, `-U`, `+U`, `-D`) and each column as the print sink renders it.
  using FieldsCallback =
      std::function<void(int32_t subtask, const char* kind, std::vector<std::string> fields)>;

  std::string name() const override { return "collect"; }
  base::Status Validate(const TableDescriptor& table, bool as_source) const override;
  bool SupportsSource() const override { return false; }
  bool SupportsSink() const override { return true; }
  bool AcceptsUpdates(const TableDescriptor& table) const override { return true; }
  base::Result<std::unique_ptr<SinkWriter>> CreateWriter(const TableDescriptor& table,
                                                         const SubtaskInfo& subtask) const override;

  /// Routes the rows of tables whose `collect.name` is `name` to `callback` (called from
  /// worker threads, one call at a time per subtask). Replaces an earlier registration.
  static void Register(const std::string& name, RowCallback callback);
  /// Like Register, but hands over the columns one by one (for the REPL's aligned tables).
  static void RegisterFields(const std::string& name, FieldsCallback callback);
  static void Unregister(const std::string& name);
};

}  // namespace sluice::runtime::connectors
