#include "runtime/operators/record_migration.h"

#include <map>
#include <utility>

namespace sluice::runtime::operators {

base::Status RecordMigration::Merge(std::string*, std::string_view) {
  return base::Status::Error(base::ErrorCode::kInternal,
                             "a state migration produced the same record twice");
}

base::Status MigrateRecords(const state::SortedRecords& records, const state::RecordSink& sink,
                            RecordMigration* migration) {
  std::string ns;
  std::string value;
  if (!migration->MayCollide()) {
    return records([&](int32_t key_group, std::string_view key, std::string_view old_ns,
                       std::string_view old_value) -> base::Status {
      SLUICE_RETURN_IF_ERROR(migration->Convert(old_ns, old_value, &ns, &value));
      return sink(key_group, key, ns, value);
    });
  }
  // Records arrive key group by key group: only the current one is held.
  std::map<std::pair<std::string, std::string>, std::string> gathered;
  int32_t current = -1;
  auto flush = [&]() -> base::Status {
    for (const auto& [key_and_ns, merged] : gathered) {
      SLUICE_RETURN_IF_ERROR(sink(current, key_and_ns.first, key_and_ns.second, merged));
    }
    gathered.clear();
    return base::Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(
      records([&](int32_t key_group, std::string_view key, std::string_view old_ns,
                  std::string_view old_value) -> base::Status {
        if (key_group != current) {
          SLUICE_RETURN_IF_ERROR(flush());
          current = key_group;
        }
        SLUICE_RETURN_IF_ERROR(migration->Convert(old_ns, old_value, &ns, &value));
        auto [found, inserted] = gathered.try_emplace({std::string(key), ns}, value);
        if (!inserted) SLUICE_RETURN_IF_ERROR(migration->Merge(&found->second, value));
        return base::Status::Ok();
      }));
  return flush();
}

}  // namespace sluice::runtime::operators
