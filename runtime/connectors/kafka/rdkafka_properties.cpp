#include <librdkafka/rdkafka.h>

#include <memory>

#include "runtime/connectors/kafka/kafka_client.h"

namespace sluice::runtime::connectors::kafka {

base::Status CheckClientProperty(const std::string& key, const std::string& value) {
  std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)> conf(rd_kafka_conf_new(),
                                                                          &rd_kafka_conf_destroy);
  char error[512] = {0};
  if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    return base::Status::Error(base::ErrorCode::kOption, error);
  }
  return base::Status::Ok();
}

}  // namespace sluice::runtime::connectors::kafka
