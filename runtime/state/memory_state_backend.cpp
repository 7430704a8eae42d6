#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/state/state_backend.h"

namespace sluice::runtime::state {

namespace {

/// Identifies a stored key: its key group and its bytes.
struct StoredKey {
  int32_t key_group;
  std::string key;
};

/// Looks a key up without copying its bytes into a std::string.
struct KeyView {
  int32_t key_group;
  std::string_view key;
};

struct KeyHash {
  using is_transparent = void;
  size_t operator()(const KeyView& view) const {
    size_t hash = std::hash<std::string_view>()(view.key);
    return hash ^ (static_cast<size_t>(view.key_group) * 0x9e3779b97f4a7c15ULL);
  }
  size_t operator()(const StoredKey& stored) const {
    return (*this)(KeyView{stored.key_group, stored.key});
  }
};

struct KeyEqual {
  using is_transparent = void;
  static KeyView View(const StoredKey& stored) { return {stored.key_group, stored.key}; }
  static KeyView View(const KeyView& view) { return view; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    KeyView left = View(a);
    KeyView right = View(b);
    return left.key_group == right.key_group && left.key == right.key;
  }
};

struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view bytes) const { return std::hash<std::string_view>()(bytes); }
};

/// One value; its namespace is the name it is stored under in its key's slot.
struct Entry {
  std::string value;
  size_t position = 0;  // in the namespace index's list, while the index exists
};

/// The namespaces of one key: a few in a vector searched linearly (window slices, a group's
/// single empty namespace), many in a hash map (a join key's stored rows).
struct KeySlot {
  static constexpr size_t kSmallLimit = 8;

  const StoredKey* id = nullptr;  // the key of the node holding this slot
  std::vector<std::pair<std::string, Entry>> small;
  std::unique_ptr<std::unordered_map<std::string, Entry, BytesHash, std::equal_to<>>> large;

  bool empty() const { return large ? large->empty() : small.empty(); }

  Entry* Find(std::string_view ns) {
    if (large) {
      auto found = large->find(ns);
      return found == large->end() ? nullptr : &found->second;
    }
    for (auto& [name, entry] : small) {
      if (name == ns) return &entry;
    }
    return nullptr;
  }
  const Entry* Find(std::string_view ns) const { return const_cast<KeySlot*>(this)->Find(ns); }

  /// Adds an entry for `ns`, which must be absent; returns it and its stored name.
  std::pair<std::string_view, Entry*> Add(std::string_view ns) {
    if (!large && small.size() == kSmallLimit) {
      large =
          std::make_unique<std::unordered_map<std::string, Entry, BytesHash, std::equal_to<>>>();
      for (auto& [name, entry] : small) large->emplace(std::move(name), std::move(entry));
      small.clear();
      small.shrink_to_fit();
    }
    if (large) {
      auto added = large->try_emplace(std::string(ns)).first;
      return {added->first, &added->second};
    }
    small.emplace_back(std::string(ns), Entry{});
    return {small.back().first, &small.back().second};
  }

  void Remove(std::string_view ns) {
    if (large) {
      large->erase(large->find(ns));
      return;
    }
    for (size_t i = 0; i < small.size(); ++i) {
      if (small[i].first != ns) continue;
      if (i + 1 != small.size()) small[i] = std::move(small.back());
      small.pop_back();
      return;
    }
  }

  template <typename Visit>
  void ForEach(Visit&& visit) const {
    if (large) {
      for (const auto& [name, entry] : *large) visit(name, entry);
    } else {
      for (const auto& [name, entry] : small) visit(name, entry);
    }
  }
};

/// The keys holding one namespace, in no order; each such key's entry knows its position, so
/// removing one is a swap with the last.
struct NamespaceSlot {
  std::vector<KeySlot*> keys;
};

/// Key-major: (key group, key) → namespace → value, so reading a key's namespaces (a join
/// keeps one namespace per stored row) touches only that key. The index namespace → keys,
/// which makes firing a window (one namespace) proportional to that window's entries, is built
/// on the first ForEachInNamespace or DeleteNamespace and maintained from then on: tables that
/// are only read by key (joins, group aggregates) never pay for it. KeySlots live in hash-map
/// nodes, at fixed addresses, so the index points at them.
class MemoryStateTable final : public StateTable {
 public:
  /// Puts every entry of this table into `copy` (empty): a checkpoint's frozen copy.
  void CopyInto(MemoryStateTable* copy) const {
    for (const auto& [key, slot] : keys_) {
      slot.ForEach([&](std::string_view ns, const Entry& entry) {
        copy->Put(key.key_group, key.key, ns, entry.value);
      });
    }
  }

  bool Get(int32_t key_group, std::string_view key, std::string_view ns,
           std::string* value) const override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    if (key_slot == keys_.end()) return false;
    const Entry* entry = key_slot->second.Find(ns);
    if (entry == nullptr) return false;
    value->assign(entry->value);
    return true;
  }

  bool Update(int32_t key_group, std::string_view key, std::string_view ns,
              const std::function<void(std::string* value)>& update) override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    if (key_slot == keys_.end()) return false;
    Entry* entry = key_slot->second.Find(ns);
    if (entry == nullptr) return false;
    const int64_t size_before = static_cast<int64_t>(entry->value.size());
    update(&entry->value);
    bytes_ += static_cast<int64_t>(entry->value.size()) - size_before;
    return true;
  }

  void Put(int32_t key_group, std::string_view key, std::string_view ns,
           std::string_view value) override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    if (key_slot != keys_.end()) {
      if (Entry* entry = key_slot->second.Find(ns)) {
        bytes_ += static_cast<int64_t>(value.size()) - static_cast<int64_t>(entry->value.size());
        entry->value.assign(value.data(), value.size());
        return;
      }
    }
    AddEntry(key_slot, key_group, key, ns, std::string(value));
  }

  void Upsert(int32_t key_group, std::string_view key, std::string_view ns,
              const std::function<bool(std::string* value, bool existed)>& upsert) override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    Entry* entry = key_slot == keys_.end() ? nullptr : key_slot->second.Find(ns);
    if (entry != nullptr) {
      const int64_t size_before = static_cast<int64_t>(entry->value.size());
      bool keep = upsert(&entry->value, true);
      bytes_ += static_cast<int64_t>(entry->value.size()) - size_before;
      if (!keep) Delete(key_group, key, ns);
      return;
    }
    std::string value;
    if (upsert(&value, false)) AddEntry(key_slot, key_group, key, ns, std::move(value));
  }

  void Delete(int32_t key_group, std::string_view key, std::string_view ns) override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    if (key_slot == keys_.end()) return;
    KeySlot& slot = key_slot->second;
    Entry* entry = slot.Find(ns);
    if (entry == nullptr) return;
    --entries_;
    bytes_ -= EntryBytes(key.size(), ns.size(), entry->value.size());
    if (indexed_) {
      auto space = namespaces_.find(ns);
      std::vector<KeySlot*>& keys = space->second.keys;
      size_t position = entry->position;
      if (position + 1 != keys.size()) {
        keys[position] = keys.back();
        keys[position]->Find(ns)->position = position;
      }
      keys.pop_back();
      if (keys.empty()) namespaces_.erase(space);
    }
    slot.Remove(ns);
    if (slot.empty()) keys_.erase(key_slot);
  }

  void ForEachInNamespace(std::string_view ns, const EntryVisitor& visitor) const override {
    BuildIndex();
    auto space = namespaces_.find(ns);
    if (space == namespaces_.end()) return;
    for (const KeySlot* slot : space->second.keys) {
      visitor(slot->id->key_group, slot->id->key, space->first, slot->Find(ns)->value);
    }
  }

  void DeleteNamespace(std::string_view ns) override {
    BuildIndex();
    auto space = namespaces_.find(ns);
    if (space == namespaces_.end()) return;
    for (KeySlot* slot : space->second.keys) {
      --entries_;
      bytes_ -= EntryBytes(slot->id->key.size(), ns.size(), slot->Find(ns)->value.size());
      slot->Remove(ns);
      if (slot->empty()) keys_.erase(keys_.find(*slot->id));
    }
    namespaces_.erase(space);
  }

  void ForEachOfKey(int32_t key_group, std::string_view key,
                    const EntryVisitor& visitor) const override {
    auto key_slot = keys_.find(KeyView{key_group, key});
    if (key_slot == keys_.end()) return;
    std::string_view stored_key = key_slot->first.key;
    key_slot->second.ForEach([&](std::string_view ns, const Entry& entry) {
      visitor(key_group, stored_key, ns, entry.value);
    });
  }

  void ForEachInKeyGroups(int32_t first, int32_t last, const EntryVisitor& visitor) const override {
    // Snapshots are rare; sort the keys by key group here instead of keeping an ordered index.
    std::vector<const std::pair<const StoredKey, KeySlot>*> ordered;
    for (const auto& key_slot : keys_) {
      int32_t key_group = key_slot.first.key_group;
      if (key_group >= first && key_group <= last) ordered.push_back(&key_slot);
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
      return a->first.key_group < b->first.key_group;
    });
    for (const auto* key_slot : ordered) {
      key_slot->second.ForEach([&](std::string_view ns, const Entry& entry) {
        visitor(key_slot->first.key_group, key_slot->first.key, ns, entry.value);
      });
    }
  }

  int64_t EntryCount() const override { return entries_; }
  int64_t BytesUsed() const override { return bytes_; }

 private:
  using KeyMap = std::unordered_map<StoredKey, KeySlot, KeyHash, KeyEqual>;

  /// Adds the entry (key_group, key, ns), absent from the table, holding `value`; `key_slot` is
  /// the key's slot, or end() when the key has none yet.
  void AddEntry(KeyMap::iterator key_slot, int32_t key_group, std::string_view key,
                std::string_view ns, std::string value) {
    if (key_slot == keys_.end()) {
      key_slot = keys_.emplace(StoredKey{key_group, std::string(key)}, KeySlot{}).first;
      key_slot->second.id = &key_slot->first;
    }
    KeySlot& slot = key_slot->second;
    Entry* entry = slot.Add(ns).second;
    entry->value = std::move(value);
    if (indexed_) Index(ns, &slot, entry);
    ++entries_;
    bytes_ += EntryBytes(key.size(), ns.size(), entry->value.size());
  }

  // Per-entry cost of the containers and string headers, roughly; keys shared by several
  // entries are counted once per entry, which keeps the sum exact under any order of puts and
  // deletes.
  static constexpr int64_t kEntryOverhead = 96;

  static int64_t EntryBytes(size_t key_size, size_t ns_size, size_t value_size) {
    // Two bytes for the key group, as the RocksDB layout stores it.
    return kEntryOverhead + 2 + static_cast<int64_t>(key_size + ns_size + value_size);
  }

  void Index(std::string_view ns, KeySlot* slot, Entry* entry) const {
    auto space = namespaces_.find(ns);
    if (space == namespaces_.end()) {
      space = namespaces_.emplace(std::string(ns), NamespaceSlot{}).first;
    }
    entry->position = space->second.keys.size();
    space->second.keys.push_back(slot);
  }

  // Logically const: the index only makes later namespace visits cheap.
  void BuildIndex() const {
    if (indexed_) return;
    indexed_ = true;
    for (auto& [id, const_slot] : keys_) {
      auto* slot = const_cast<KeySlot*>(&const_slot);
      slot->ForEach([&](std::string_view ns, const Entry& entry) {
        Index(ns, slot, const_cast<Entry*>(&entry));
      });
    }
  }

  KeyMap keys_;
  mutable std::unordered_map<std::string, NamespaceSlot, BytesHash, std::equal_to<>> namespaces_;
  mutable bool indexed_ = false;
  int64_t entries_ = 0;
  int64_t bytes_ = 0;
};

std::atomic<bool> leave_to_process_exit{false};

class MemoryStateBackend final : public StateBackend {
 public:
  ~MemoryStateBackend() override {
    if (!leave_to_process_exit.load(std::memory_order_relaxed)) return;
    // Still reachable from here, so leak checkers do not report it.
    static auto* left = new std::vector<std::unique_ptr<MemoryStateTable>>();
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [name, table] : tables_) left->push_back(std::move(table));
  }

  base::Result<StateTable*> GetTable(const std::string& uid,
                                     const std::string& state_name) override {
    auto& table = tables_[uid + '\0' + state_name];
    if (!table) table = std::make_unique<MemoryStateTable>();
    return static_cast<StateTable*>(table.get());
  }

  base::Result<std::unique_ptr<StateBackend>> Capture(const std::string&) override {
    auto copy = std::make_unique<MemoryStateBackend>();
    for (const auto& [name, table] : tables_) {
      auto& copied = copy->tables_[name];
      copied = std::make_unique<MemoryStateTable>();
      table->CopyInto(copied.get());
    }
    return std::unique_ptr<StateBackend>(std::move(copy));
  }

 private:
  std::map<std::string, std::unique_ptr<MemoryStateTable>> tables_;
};

}  // namespace

base::Status StateBackend::LoadSorted(const std::string& uid, const std::string& state_name,
                                      const SortedRecords& records) {
  SLUICE_ASSIGN_OR_RETURN(StateTable * table, GetTable(uid, state_name));
  SLUICE_RETURN_IF_ERROR(records([table](int32_t key_group, std::string_view key,
                                         std::string_view ns, std::string_view value) {
    table->Put(key_group, key, ns, value);
    return base::Status::Ok();
  }));
  return status();
}

std::unique_ptr<StateBackend> MakeMemoryStateBackend() {
  return std::make_unique<MemoryStateBackend>();
}

void LeaveMemoryStateToProcessExit() {
  leave_to_process_exit.store(true, std::memory_order_relaxed);
}

}  // namespace sluice::runtime::state
