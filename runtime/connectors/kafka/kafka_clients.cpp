#include <atomic>

#include "runtime/connectors/kafka/kafka_client.h"

namespace sluice::runtime::connectors::kafka {
namespace {

std::atomic<ClientFactory*> installed_for_testing{nullptr};

}  // namespace

ClientFactory& KafkaClients() {
  ClientFactory* factory = installed_for_testing.load();
  return factory != nullptr ? *factory : RdKafkaClients();
}

void SetKafkaClientsForTesting(ClientFactory* factory) {
  installed_for_testing.store(factory);
}

}  // namespace sluice::runtime::connectors::kafka
