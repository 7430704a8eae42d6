#include <map>
#include <unordered_map>

#include "runtime/state/state_backend.h"

namespace sluice::runtime::state {

namespace {

/// Entries grouped by namespace, each namespace a hash map from (key group, key) to value,
/// so that firing a window (one namespace) touches only that window's entries.
class MemoryStateTable final : public StateTable {
 public:
  bool Get(int32_t key_group, std::string_view key, std::string_view ns,
           std::string* value) const override {
    auto space = namespaces_.find(std::string(ns));
    if (space == namespaces_.end()) return false;
    auto found = space->second.find(Compose(key_group, key));
    if (found == space->second.end()) return false;
    *value = found->second;
    return true;
  }

  void Put(int32_t key_group, std::string_view key, std::string_view ns,
           std::string_view value) override {
    auto& space = namespaces_[std::string(ns)];
    auto [entry, inserted] = space.try_emplace(Compose(key_group, key), value);
    if (inserted) {
      ++entries_;
      bytes_ += kEntryOverhead + entry->first.size() + ns.size() + value.size();
    } else {
      bytes_ += static_cast<int64_t>(value.size()) - static_cast<int64_t>(entry->second.size());
      entry->second.assign(value.data(), value.size());
    }
  }

  void Delete(int32_t key_group, std::string_view key, std::string_view ns) override {
    auto space = namespaces_.find(std::string(ns));
    if (space == namespaces_.end()) return;
    auto found = space->second.find(Compose(key_group, key));
    if (found == space->second.end()) return;
    --entries_;
    bytes_ -= kEntryOverhead + found->first.size() + ns.size() + found->second.size();
    space->second.erase(found);
    if (space->second.empty()) namespaces_.erase(space);
  }

  void ForEachInNamespace(std::string_view ns, const EntryVisitor& visitor) const override {
    auto space = namespaces_.find(std::string(ns));
    if (space == namespaces_.end()) return;
    for (const auto& [composite, value] : space->second) {
      visitor(KeyGroupOf(composite), KeyOf(composite), ns, value);
    }
  }

  void DeleteNamespace(std::string_view ns) override {
    auto space = namespaces_.find(std::string(ns));
    if (space == namespaces_.end()) return;
    for (const auto& [composite, value] : space->second) {
      --entries_;
      bytes_ -= kEntryOverhead + composite.size() + ns.size() + value.size();
    }
    namespaces_.erase(space);
  }

  void ForEachOfKey(int32_t key_group, std::string_view key,
                    const EntryVisitor& visitor) const override {
    std::string composite = Compose(key_group, key);
    for (const auto& [ns, space] : namespaces_) {
      auto found = space.find(composite);
      if (found != space.end()) visitor(key_group, key, ns, found->second);
    }
  }

  void ForEachInKeyGroups(int32_t first, int32_t last, const EntryVisitor& visitor) const override {
    // Snapshots are rare; sort by key group here instead of keeping an ordered index.
    std::multimap<int32_t,
                  std::pair<const std::string*, const std::pair<const std::string, std::string>*>>
        ordered;
    for (const auto& [ns, space] : namespaces_) {
      for (const auto& entry : space) {
        int32_t key_group = KeyGroupOf(entry.first);
        if (key_group >= first && key_group <= last)
          ordered.emplace(key_group, std::make_pair(&ns, &entry));
      }
    }
    for (const auto& [key_group, item] : ordered) {
      visitor(key_group, KeyOf(item.second->first), *item.first, item.second->second);
    }
  }

  int64_t EntryCount() const override { return entries_; }
  int64_t BytesUsed() const override { return bytes_; }

 private:
  // Per-entry cost of the hash node and two std::string headers, roughly.
  static constexpr int64_t kEntryOverhead = 96;

  // The key group as two big-endian bytes in front of the key, as the RocksDB layout will.
  static std::string Compose(int32_t key_group, std::string_view key) {
    std::string composite;
    composite.reserve(2 + key.size());
    composite.push_back(static_cast<char>((key_group >> 8) & 0xff));
    composite.push_back(static_cast<char>(key_group & 0xff));
    composite.append(key.data(), key.size());
    return composite;
  }
  static int32_t KeyGroupOf(const std::string& composite) {
    return (static_cast<uint8_t>(composite[0]) << 8) | static_cast<uint8_t>(composite[1]);
  }
  static std::string_view KeyOf(const std::string& composite) {
    return std::string_view(composite).substr(2);
  }

  std::unordered_map<std::string, std::unordered_map<std::string, std::string>> namespaces_;
  int64_t entries_ = 0;
  int64_t bytes_ = 0;
};

class MemoryStateBackend final : public StateBackend {
 public:
  base::Result<StateTable*> GetTable(const std::string& uid,
                                     const std::string& state_name) override {
    auto& table = tables_[uid + '\0' + state_name];
    if (!table) table = std::make_unique<MemoryStateTable>();
    return static_cast<StateTable*>(table.get());
  }

 private:
  std::map<std::string, std::unique_ptr<MemoryStateTable>> tables_;
};

}  // namespace

std::unique_ptr<StateBackend> MakeMemoryStateBackend() {
  return std::make_unique<MemoryStateBackend>();
}

}  // namespace sluice::runtime::state
