#include "runtime/connectors/blackhole_connector.h"

#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/option_reader.h"

namespace sluice::runtime::connectors {

namespace {

class BlackholeWriter final : public SinkWriter {
 public:
  base::Status Write(const Batch& batch) override { return base::Status::Ok(); }
  base::Status Finish() override { return base::Status::Ok(); }
};

}  // namespace

base::Status BlackholeConnector::Validate(const TableDescriptor& table, bool as_source) const {
  OptionReader options(table);
  if (as_source) return options.TableError("connector 'blackhole' can only be written, not read");
  return options.CheckKnown({});
}

base::Result<std::unique_ptr<SinkWriter>> BlackholeConnector::CreateWriter(
    const TableDescriptor& table, const SubtaskInfo& subtask) const {
  SLUICE_RETURN_IF_ERROR(Validate(table, /*as_source=*/false));
  return std::unique_ptr<SinkWriter>(new BlackholeWriter());
}

const Connector& BlackholeConnectorInstance() {
  static const BlackholeConnector instance;
  return instance;
}

}  // namespace sluice::runtime::connectors
