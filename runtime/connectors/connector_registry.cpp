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
    {"nexmark", &NexmarkConnectorInstance},
    {"datagen", &DatagenConnectorInstance},
    {"values", &ValuesConnectorInstance},
    {"filesystem", &FilesystemConnectorInstance},
    {"print", &PrintConnectorInstance},
    {"blackhole", &BlackholeConnectorInstance},
    {"collect", &CollectConnectorInstance},
    {"kafka", &KafkaConnectorInstance},
    {"upsert-kafka", &UpsertKafkaConnectorInstance},
};

/// Connectors a test registered (RegisterConnectorForTesting); unsynchronized: tests register
/// before they compile or run anything.
std::vector<const Connector*>& TestConnectors() {
  static std::vector<const Connector*> connectors;
  return connectors;
}

}  // namespace

/// Makes FindConnector find `connector` (not ConnectorNames: golden error texts stay the same),
/// replacing a test connector of the same name; it must outlive every use. Tests only.
void RegisterConnectorForTesting(const Connector& connector) {
  for (const Connector*& registered : TestConnectors()) {
    if (registered->name() == connector.name()) {
      registered = &connector;
      return;
    }
  }
  TestConnectors().push_back(&connector);
}

const Connector* FindConnector(const std::string& name) {
  // Internal: the sources of a backfill's replay; not offered to DDL (ConnectorNames).
  if (name == kReplayConnectorName) return &ReplayConnectorInstance();
  for (const Connector* connector : TestConnectors()) {
    if (types::IdentifierEquals(connector->name(), name)) return connector;
  }
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
