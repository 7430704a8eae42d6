#include <string>
#include <vector>

#include "catalog/types/schema.h"
#include "runtime/connectors/builtin_connectors.h"
#include "runtime/connectors/connector.h"
#include "runtime/connectors/replay_connector.h"

namespace sluice::runtime::connectors {

namespace {

struct Registration {
  const char* name;
  const Connector& (*instance)();
};

// Every connector Sluice knows, one line each; names match Connector::name().
constexpr Registration kConnectors[] = {
    {"nexmark", &NexmarkConnectorInstance}, {"datagen", &DatagenConnectorInstance},
    {"values", &ValuesConnectorInstance},   {"filesystem", &FilesystemConnectorInstance},
    {"print", &PrintConnectorInstance},     {"blackhole", &BlackholeConnectorInstance},
    {"collect", &CollectConnectorInstance},
};

}  // namespace

const Connector* FindConnector(const std::string& name) {
  // Internal: the sources of a backfill's replay; not offered to DDL (ConnectorNames).
  if (name == kReplayConnectorName) return &ReplayConnectorInstance();
  for (const Registration& registration : kConnectors) {
    if (types::IdentifierEquals(registration.name, name)) return &registration.instance();
  }
  return nullptr;
}

std::vector<std::string> ConnectorNames() {
  std::vector<std::string> names;
  for (const Registration& registration : kConnectors) names.push_back(registration.name);
  return names;
}

}  // namespace sluice::runtime::connectors
