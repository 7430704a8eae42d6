#include "runtime/connectors/collect_connector.h"

#include <map>
#include <mutex>

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/option_reader.h"
#include "runtime/connectors/print_connector.h"

namespace sluice::runtime::connectors {

namespace {

std::mutex& RegistryMutex() {
  static std::mutex mutex;
  return mutex;
}

/// One receiver: exactly one of the two callbacks is set.
struct Receiver {
  CollectConnector::RowCallback row;
  CollectConnector::FieldsCallback fields;
};

std::map<std::string, Receiver>& Registry() {
  static std::map<std::string, Receiver> receivers;
  return receivers;
}

class CollectWriter final : public SinkWriter {
 public:
  CollectWriter(types::Schema schema, int32_t subtask, Receiver receiver,
                std::shared_ptr<const expr::TimeZone> zone)
      : schema_(std::move(schema)),
        subtask_(subtask),
        receiver_(std::move(receiver)),
        zone_(std::move(zone)) {}

  base::Status Write(const Batch& batch) override {
    for (int32_t row = 0; row < batch.row_count(); ++row) {
      if (receiver_.fields) {
        receiver_.fields(subtask_, RowKindName(batch.row_kind(row)),
                         PrintConnector::FormatFields(schema_, batch, row, zone_.get()));
      } else {
        receiver_.row(subtask_, PrintConnector::FormatRow(schema_, batch, row, zone_.get()));
      }
    }
    return base::Status::Ok();
  }
  base::Status Finish() override { return base::Status::Ok(); }

 private:
  types::Schema schema_;
  int32_t subtask_;
  Receiver receiver_;
  std::shared_ptr<const expr::TimeZone> zone_;
};

}  // namespace

base::Status CollectConnector::Validate(const TableDescriptor& table, bool as_source) const {
  OptionReader options(table);
  SLUICE_RETURN_IF_ERROR(options.CheckKnown({"collect.name"}));
  if (!options.Has("collect.name")) return options.TableError("needs a 'collect.name' option");
  return base::Status::Ok();
}

base::Result<std::unique_ptr<SinkWriter>> CollectConnector::CreateWriter(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_RETURN_IF_ERROR(Validate(table, false));
  const std::string& name = table.options.at("collect.name");
  std::lock_guard<std::mutex> lock(RegistryMutex());
  auto found = Registry().find(name);
  if (found == Registry().end()) {
    return base::Status::Error(base::ErrorCode::kOption,
                               "no receiver is registered for collect table '" + name + "'");
  }
  return std::unique_ptr<SinkWriter>(new CollectWriter(
      table.schema, subtask.index, found->second, expr::TimeZone::Find(subtask.local_time_zone)));
}

void CollectConnector::Register(const std::string& name, RowCallback callback) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry()[name] = Receiver{std::move(callback), nullptr};
}

void CollectConnector::RegisterFields(const std::string& name, FieldsCallback callback) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry()[name] = Receiver{nullptr, std::move(callback)};
}

void CollectConnector::Unregister(const std::string& name) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  Registry().erase(name);
}

const Connector& CollectConnectorInstance() {
  static const CollectConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
