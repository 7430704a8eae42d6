#pragma once

#include "runtime/connectors/connector.h"

namespace sluice::runtime::connectors {

// The connectors compiled into Sluice. Each returns its one process-wide instance; the table
// in connector_registry.cpp lists which are registered under which name.

/// `'connector' = 'nexmark'` (runtime/connectors/nexmark/nexmark_connector.cpp).
const Connector& NexmarkConnectorInstance();
/// `'connector' = 'datagen'` (runtime/connectors/datagen_connector.cpp).
const Connector& DatagenConnectorInstance();
/// `'connector' = 'values'`.
const Connector& ValuesConnectorInstance();
/// `'connector' = 'filesystem'`.
const Connector& FilesystemConnectorInstance();
/// `'connector' = 'print'`.
const Connector& PrintConnectorInstance();
/// `'connector' = 'blackhole'`.
const Connector& BlackholeConnectorInstance();
/// `'connector' = 'kafka'` (runtime/connectors/kafka/kafka_connector.cpp).
const Connector& KafkaConnectorInstance();
/// `'connector' = 'upsert-kafka'`.
const Connector& UpsertKafkaConnectorInstance();
/// `'connector' = 'collect'` (bare SELECTs; runtime/connectors/collect_connector.cpp).
const Connector& CollectConnectorInstance();

}  // namespace sluice::runtime::connectors
