// Measures how fast one core fills Nexmark batches (FillBatch), the generator's share of the
// cost of q0-q3 style queries. Usage: nexmark_generator_bench [events] [seed]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include "catalog/types/schema.h"
#include "runtime/batch/batch.h"
#include "runtime/connectors/nexmark/nexmark_generator.h"

int main(int argc, char** argv) {
  using namespace sluice;
  using runtime::connectors::nexmark::NexmarkConfig;
  using runtime::connectors::nexmark::NexmarkGenerator;
  const int64_t events = argc > 1 ? std::atoll(argv[1]) : 10'000'000;
  NexmarkConfig config;
  config.seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;

  std::vector<types::LogicalType> slot_types;
  for (const types::Slot& slot :
       types::FlattenSchema(runtime::connectors::nexmark::NexmarkSchema())) {
    slot_types.push_back(slot.type);
  }
  const auto setup_start = std::chrono::steady_clock::now();
  NexmarkGenerator generator(config);
  const double setup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - setup_start)
          .count();

  // A fresh batch per block, as a source hands each batch downstream (it includes the cost
  // of allocating the columns and the arena).
  int64_t checksum = 0, string_bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int64_t first = 0; first < events; first += runtime::kBatchCapacity) {
    const int32_t count =
        static_cast<int32_t>(std::min<int64_t>(runtime::kBatchCapacity, events - first));
    runtime::Batch batch(slot_types);
    generator.FillBatch(first, count, &batch);
    checksum += batch.column(24).values<int64_t>()[count - 1];  // bid.price of the last row
    string_bytes += static_cast<int64_t>(batch.arena().bytes_allocated());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // CPU time too: on a shared machine wall time includes waiting for the core.
  const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf(
      "nexmark_generator: %lld events in %.3f s = %.2f M events/s on one core "
      "(CPU time %.3f s = %.2f M events/s; %.1f string bytes/event, setup %.1f ms, "
      "checksum %lld)\n",
      static_cast<long long>(events), seconds, events / seconds / 1e6, cpu_seconds,
      events / cpu_seconds / 1e6, static_cast<double>(string_bytes) / events, setup_ms,
      static_cast<long long>(checksum));
  return 0;
}
