#include "runtime/state/state_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/state/rocksdb_state_backend.h"

namespace sluice::runtime::state {
namespace {

using Entry = std::tuple<int32_t, std::string, std::string, std::string>;

StateTable* NewTable(StateBackend* backend, const std::string& uid = "op",
                     const std::string& name = "acc") {
  auto table = backend->GetTable(uid, name);
  EXPECT_TRUE(table.ok());
  return *table;
}

/// Runs each conformance test on every backend; `rocksdb` works in a fresh temporary directory
/// that the backend removes when destroyed.
class StateBackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<StateBackend> NewBackend() {
    if (GetParam() == "memory") return MakeMemoryStateBackend();
    RocksDbBackendOptions options;
    options.directory =
        (std::filesystem::temp_directory_path() /
         ("sluice-state-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)))
            .string();
    auto backend = MakeRocksDbStateBackend(options);
    EXPECT_TRUE(backend.ok()) << backend.status().ToString();
    return backend.ok() ? std::move(*backend) : MakeMemoryStateBackend();
  }

 private:
  static inline int counter_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, StateBackendTest, ::testing::Values("memory", "rocksdb"),
                         [](const auto& info) { return info.param; });

StateTable::EntryVisitor Collect(std::vector<Entry>* entries) {
  return [entries](int32_t key_group, std::string_view key, std::string_view ns,
                   std::string_view value) {
    entries->emplace_back(key_group, std::string(key), std::string(ns), std::string(value));
  };
}

TEST_P(StateBackendTest, GetsPutsAndDeletes) {
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  std::string value;
  EXPECT_FALSE(table->Get(3, "k", "", &value));

  table->Put(3, "k", "", "v1");
  ASSERT_TRUE(table->Get(3, "k", "", &value));
  EXPECT_EQ(value, "v1");
  EXPECT_FALSE(table->Get(4, "k", "", &value));   // another key group
  EXPECT_FALSE(table->Get(3, "k", "w", &value));  // another namespace
  EXPECT_FALSE(table->Get(3, "k2", "", &value));

  table->Put(3, "k", "", "a longer second value");
  ASSERT_TRUE(table->Get(3, "k", "", &value));
  EXPECT_EQ(value, "a longer second value");
  EXPECT_EQ(table->EntryCount(), 1);

  table->Delete(3, "k", "");
  EXPECT_FALSE(table->Get(3, "k", "", &value));
  EXPECT_EQ(table->EntryCount(), 0);
  table->Delete(3, "k", "");  // deleting again is harmless
  table->Delete(9, "nothing", "nowhere");
  EXPECT_EQ(table->EntryCount(), 0);
  if (GetParam() == "memory") {
    EXPECT_EQ(table->BytesUsed(), 0);
  }
}

TEST_P(StateBackendTest, KeepsBinaryKeysNamespacesAndValues) {
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  std::string key("a\0b", 3);
  std::string other_key("a\0c", 3);
  std::string ns(std::string("\0\0\0\0\0\0\0\x01", 8) + std::string(10, '\xff'));
  std::string value("\0x\0", 3);
  table->Put(0, key, ns, value);
  table->Put(0, other_key, ns, "other");
  std::string read;
  ASSERT_TRUE(table->Get(0, key, ns, &read));
  EXPECT_EQ(read, value);
  ASSERT_TRUE(table->Get(0, other_key, ns, &read));
  EXPECT_EQ(read, "other");
  EXPECT_FALSE(table->Get(0, std::string("a", 1), ns, &read));
}

TEST_P(StateBackendTest, SeparatesTablesByUidAndName) {
  auto backend = NewBackend();
  StateTable* first = NewTable(backend.get(), "op1", "acc");
  StateTable* second = NewTable(backend.get(), "op1", "other");
  StateTable* third = NewTable(backend.get(), "op2", "acc");
  EXPECT_NE(first, second);
  EXPECT_NE(first, third);
  EXPECT_EQ(first, NewTable(backend.get(), "op1", "acc"));  // same table on the second call
  // The separator cannot be faked by moving characters between uid and name.
  EXPECT_NE(NewTable(backend.get(), "ab", "c"), NewTable(backend.get(), "a", "bc"));

  first->Put(1, "k", "", "one");
  std::string value;
  EXPECT_FALSE(second->Get(1, "k", "", &value));
  EXPECT_FALSE(third->Get(1, "k", "", &value));
  EXPECT_EQ(second->EntryCount(), 0);
}

TEST_P(StateBackendTest, VisitsAndDeletesANamespace) {
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  table->Put(1, "a", "w1", "1");
  table->Put(2, "b", "w1", "2");
  table->Put(1, "a", "w2", "3");
  table->Put(5, "c", "", "4");

  std::vector<Entry> entries;
  table->ForEachInNamespace("w1", Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<Entry>{{1, "a", "w1", "1"}, {2, "b", "w1", "2"}}));

  entries.clear();
  table->ForEachInNamespace("missing", Collect(&entries));
  EXPECT_TRUE(entries.empty());

  table->DeleteNamespace("w1");
  EXPECT_EQ(table->EntryCount(), 2);
  std::string value;
  EXPECT_FALSE(table->Get(1, "a", "w1", &value));
  ASSERT_TRUE(table->Get(1, "a", "w2", &value));
  EXPECT_EQ(value, "3");
  entries.clear();
  table->ForEachInNamespace("w1", Collect(&entries));
  EXPECT_TRUE(entries.empty());
  table->DeleteNamespace("missing");
  EXPECT_EQ(table->EntryCount(), 2);

  // A namespace emptied entry by entry and then refilled behaves like a new one.
  table->Delete(1, "a", "w2");
  table->Put(7, "z", "w2", "5");
  entries.clear();
  table->ForEachInNamespace("w2", Collect(&entries));
  EXPECT_EQ(entries, (std::vector<Entry>{{7, "z", "w2", "5"}}));
}

TEST_P(StateBackendTest, VisitsEveryNamespaceOfAKey) {
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  table->Put(1, "a", "w1", "1");
  table->Put(1, "a", "w2", "2");
  table->Put(1, "a", "", "3");
  table->Put(2, "a", "w1", "other key group");
  table->Put(1, "b", "w1", "other key");

  std::vector<Entry> entries;
  table->ForEachOfKey(1, "a", Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries,
            (std::vector<Entry>{{1, "a", "", "3"}, {1, "a", "w1", "1"}, {1, "a", "w2", "2"}}));

  entries.clear();
  table->ForEachOfKey(3, "a", Collect(&entries));
  EXPECT_TRUE(entries.empty());
}

TEST_P(StateBackendTest, VisitsKeyGroupRangesInKeyGroupOrder) {
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  // Insert in scrambled order across namespaces, including key group 300 (needs both bytes).
  int32_t groups[] = {7, 3, 127, 0, 3, 64, 300, 5};
  for (size_t i = 0; i < std::size(groups); ++i) {
    std::string index = std::to_string(i);
    table->Put(groups[i], std::string("k").append(index), i % 2 == 0 ? "even" : "odd", index);
  }

  std::vector<Entry> entries;
  table->ForEachInKeyGroups(0, 1000, Collect(&entries));
  ASSERT_EQ(entries.size(), std::size(groups));
  for (size_t i = 1; i < entries.size(); ++i) {
    EXPECT_LE(std::get<0>(entries[i - 1]), std::get<0>(entries[i]));
  }
  // Every entry comes back whole.
  std::set<std::string> values;
  for (const auto& [group, key, ns, value] : entries) {
    size_t index = std::stoul(value);
    EXPECT_EQ(group, groups[index]);
    EXPECT_EQ(key, std::string("k").append(value));
    EXPECT_EQ(ns, index % 2 == 0 ? "even" : "odd");
    values.insert(value);
  }
  EXPECT_EQ(values.size(), std::size(groups));

  entries.clear();
  table->ForEachInKeyGroups(3, 7, Collect(&entries));
  std::vector<int32_t> seen;
  for (const auto& entry : entries) seen.push_back(std::get<0>(entry));
  EXPECT_EQ(seen, (std::vector<int32_t>{3, 3, 5, 7}));  // bounds inclusive

  entries.clear();
  table->ForEachInKeyGroups(8, 63, Collect(&entries));
  EXPECT_TRUE(entries.empty());
}

TEST_P(StateBackendTest, CaptureKeepsTheContentsOfItsMoment) {
  auto backend = NewBackend();
  StateTable* windows = NewTable(backend.get(), "op", "windows");
  StateTable* groups = NewTable(backend.get(), "op", "groups");
  StateTable* untouched = NewTable(backend.get(), "other", "empty");
  for (int i = 0; i < 2000; ++i) {
    windows->Put(i % 128, "k" + std::to_string(i), i % 2 == 0 ? "w1" : "w2", std::to_string(i));
    groups->Put(i % 128, "g" + std::to_string(i), "", std::to_string(i));
  }
  std::vector<Entry> w1_before;
  windows->ForEachInNamespace("w1", Collect(&w1_before));  // builds the rocksdb index
  std::sort(w1_before.begin(), w1_before.end());
  std::vector<Entry> windows_before, groups_before;
  windows->ForEachInKeyGroups(0, 127, Collect(&windows_before));
  groups->ForEachInKeyGroups(0, 127, Collect(&groups_before));
  std::sort(windows_before.begin(), windows_before.end());
  std::sort(groups_before.begin(), groups_before.end());

  std::string scratch = (std::filesystem::temp_directory_path() /
                         ("sluice-capture-test-" + std::to_string(::getpid()) + GetParam()))
                            .string();
  auto captured = backend->Capture(scratch);
  ASSERT_TRUE(captured.ok()) << captured.status().ToString();
  // The live backend goes on changing.
  for (int i = 0; i < 2000; i += 3) {
    windows->Put(i % 128, "k" + std::to_string(i), "w1", "changed");
    groups->Delete(i % 128, "g" + std::to_string(i), "");
  }
  windows->DeleteNamespace("w2");
  groups->Put(5, "new", "", "new");
  untouched->Put(1, "x", "", "y");

  StateTable* captured_windows = (*captured)->GetTable("op", "windows").value();
  StateTable* captured_groups = (*captured)->GetTable("op", "groups").value();
  std::vector<Entry> entries;
  captured_windows->ForEachInKeyGroups(0, 127, Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, windows_before);
  entries.clear();
  captured_groups->ForEachInKeyGroups(0, 127, Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, groups_before);
  entries.clear();
  captured_windows->ForEachInNamespace("w1", Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, w1_before);
  entries.clear();
  captured_groups->ForEachInNamespace("", Collect(&entries));  // never indexed: a scan
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, groups_before);
  std::string value;
  ASSERT_TRUE(captured_groups->Get(0, "g0", "", &value));
  EXPECT_EQ(value, "0");
  EXPECT_FALSE(captured_groups->Get(5, "new", "", &value));
  ASSERT_TRUE(captured_windows->Get(0, "k0", "w1", &value));
  EXPECT_EQ(value, "0");
  EXPECT_EQ(captured_groups->EntryCount(), 2000);
  EXPECT_EQ((*captured)->GetTable("other", "empty").value()->EntryCount(), 0);
  EXPECT_TRUE((*captured)->status().ok()) << (*captured)->status().ToString();
  EXPECT_TRUE(backend->status().ok()) << backend->status().ToString();
  ASSERT_TRUE(groups->Get(5, "new", "", &value));

  if (GetParam() == "rocksdb") {
    EXPECT_TRUE(std::filesystem::exists(scratch + "/CURRENT"));
    // A copy of a copy, and a copy of a table the live backend never had (read-only: empty).
    auto again = (*captured)->Capture(scratch + "-again");
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    entries.clear();
    (*again)->GetTable("op", "groups").value()->ForEachInKeyGroups(0, 127, Collect(&entries));
    std::sort(entries.begin(), entries.end());
    EXPECT_EQ(entries, groups_before);
    StateTable* missing = (*again)->GetTable("nobody", "nothing").value();
    EXPECT_EQ(missing->EntryCount(), 0);
    missing->Put(1, "a", "", "b");  // the copy is read-only: the write fails
    EXPECT_FALSE((*again)->status().ok());
    again->reset();
    EXPECT_FALSE(std::filesystem::exists(scratch + "-again"));
  }
  captured->reset();
  EXPECT_FALSE(std::filesystem::exists(scratch));
}

TEST(RocksDbStateBackend, ReopensItsDirectoryWithEveryTable) {
  auto directory = std::filesystem::temp_directory_path() /
                   ("sluice-rocksdb-reopen-" + std::to_string(::getpid()));
  RocksDbBackendOptions options;
  options.directory = directory.string();
  options.remove_on_close = false;
  {
    auto backend = MakeRocksDbStateBackend(options).value();
    StateTable* table = NewTable(backend.get(), "op", "windows");
    table->Put(1, "a", "w", "1");
    std::vector<Entry> entries;
    table->ForEachInNamespace("w", Collect(&entries));  // indexed from now on
    table->Put(2, "b", "w", "2");
    NewTable(backend.get(), "op", "groups")->Put(3, "c", "", "3");
    // A bulk-loaded table's index is not complete: it must be rebuilt once reopened.
    ASSERT_TRUE(backend
                    ->LoadSorted("op", "loaded",
                                 [](const RecordSink& sink) { return sink(4, "d", "w", "4"); })
                    .ok());
    NewTable(backend.get(), "op", "loaded")->Put(5, "e", "w", "5");
  }
  options.remove_on_close = true;
  auto backend = MakeRocksDbStateBackend(options);
  ASSERT_TRUE(backend.ok()) << backend.status().ToString();
  std::vector<Entry> entries;
  NewTable(backend->get(), "op", "windows")->ForEachInNamespace("w", Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<Entry>{{1, "a", "w", "1"}, {2, "b", "w", "2"}}));
  entries.clear();
  NewTable(backend->get(), "op", "loaded")->ForEachInNamespace("w", Collect(&entries));
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<Entry>{{4, "d", "w", "4"}, {5, "e", "w", "5"}}));
  std::string value;
  ASSERT_TRUE(NewTable(backend->get(), "op", "groups")->Get(3, "c", "", &value));
  EXPECT_EQ(value, "3");
  backend->reset();
  EXPECT_FALSE(std::filesystem::exists(directory));
}

TEST(MemoryStateBackend, AccountingReturnsToZero) {
  auto backend = MakeMemoryStateBackend();
  StateTable* table = NewTable(backend.get());
  EXPECT_EQ(table->EntryCount(), 0);
  EXPECT_EQ(table->BytesUsed(), 0);

  for (int i = 0; i < 100; ++i) {
    table->Put(i % 16, "key" + std::to_string(i), "ns" + std::to_string(i % 3),
               std::string(static_cast<size_t>(i), 'v'));
  }
  EXPECT_EQ(table->EntryCount(), 100);
  int64_t full = table->BytesUsed();
  EXPECT_GT(full, 100 * (4 + 3 + 49));  // at least the bytes stored

  // Overwrites with smaller and larger values keep the accounting exact.
  for (int i = 0; i < 100; i += 2) {
    table->Put(i % 16, "key" + std::to_string(i), "ns" + std::to_string(i % 3),
               std::string(static_cast<size_t>(i % 7), 'w'));
  }
  for (int i = 1; i < 100; i += 2) {
    table->Put(i % 16, "key" + std::to_string(i), "ns" + std::to_string(i % 3),
               std::string(static_cast<size_t>(i) * 3, 'x'));
  }
  EXPECT_EQ(table->EntryCount(), 100);
  EXPECT_NE(table->BytesUsed(), full);

  table->DeleteNamespace("ns0");
  for (int i = 0; i < 100; ++i) {
    if (i % 3 == 1) table->Delete(i % 16, "key" + std::to_string(i), "ns1");
  }
  EXPECT_GT(table->EntryCount(), 0);
  EXPECT_GT(table->BytesUsed(), 0);
  std::vector<Entry> rest;
  table->ForEachInKeyGroups(0, 127, Collect(&rest));
  for (const auto& [group, key, ns, value] : rest) table->Delete(group, key, ns);
  EXPECT_EQ(table->EntryCount(), 0);
  EXPECT_EQ(table->BytesUsed(), 0);
}

TEST(MemoryStateBackend, GrowsBytesWithValueSize) {
  auto backend = MakeMemoryStateBackend();
  StateTable* table = NewTable(backend.get());
  table->Put(0, "k", "", "small");
  int64_t small = table->BytesUsed();
  table->Put(0, "k", "", std::string(1000, 'b'));
  EXPECT_EQ(table->BytesUsed(), small + 995);
  table->Put(0, "k", "", "");
  EXPECT_EQ(table->BytesUsed(), small - 5);
}

TEST_P(StateBackendTest, MatchesAMapUnderRandomOperations) {
  // Keys with many namespaces and namespaces with many keys: every lookup, visit and count
  // agrees with a plain ordered map after each operation.
  auto backend = NewBackend();
  StateTable* table = NewTable(backend.get());
  std::map<std::tuple<int32_t, std::string, std::string>, std::string> model;
  std::mt19937 random(42);
  auto key_of = [&](int32_t* group) {
    int32_t index = static_cast<int32_t>(random() % 12);
    *group = index % 3;
    return std::string("key").append(std::to_string(index));
  };
  auto ns_of = [&]() {
    if (random() % 4 == 0) return std::string();
    return std::string("ns").append(std::to_string(random() % 30));
  };
  for (int step = 0; step < 20000; ++step) {
    int32_t group = 0;
    std::string key = key_of(&group);
    std::string ns = ns_of();
    uint32_t operation = random() % 10;
    // The first half runs without namespace operations, before the table builds its index.
    if (step < 10000 && (operation == 7 || operation == 9)) operation = 8;
    switch (operation) {
      case 0:
      case 1:
      case 2:
      case 3: {
        std::string value(random() % 20, static_cast<char>('a' + step % 26));
        table->Put(group, key, ns, value);
        model[{group, key, ns}] = value;
        break;
      }
      case 4:
      case 5:
      case 6:
        table->Delete(group, key, ns);
        model.erase({group, key, ns});
        break;
      case 7: {
        if (random() % 8 != 0) break;
        table->DeleteNamespace(ns);
        std::erase_if(model, [&](const auto& entry) { return std::get<2>(entry.first) == ns; });
        break;
      }
      case 8: {
        std::vector<Entry> seen;
        table->ForEachOfKey(group, key, Collect(&seen));
        std::sort(seen.begin(), seen.end());
        std::vector<Entry> expected;
        for (const auto& [id, value] : model) {
          if (std::get<0>(id) == group && std::get<1>(id) == key) {
            expected.emplace_back(group, key, std::get<2>(id), value);
          }
        }
        ASSERT_EQ(seen, expected) << "step " << step;
        break;
      }
      case 9: {
        std::vector<Entry> seen;
        table->ForEachInNamespace(ns, Collect(&seen));
        std::sort(seen.begin(), seen.end());
        std::vector<Entry> expected;
        for (const auto& [id, value] : model) {
          if (std::get<2>(id) != ns) continue;
          expected.emplace_back(std::get<0>(id), std::get<1>(id), ns, value);
        }
        ASSERT_EQ(seen, expected) << "step " << step;
        break;
      }
    }
    // Counting scans the whole table on RocksDB: check it now and then there.
    if (GetParam() == "memory" || step % 250 == 0) {
      ASSERT_EQ(table->EntryCount(), static_cast<int64_t>(model.size())) << "step " << step;
    }
    std::string value;
    auto found = model.find({group, key, ns});
    ASSERT_EQ(table->Get(group, key, ns, &value), found != model.end());
    if (found != model.end()) {
      ASSERT_EQ(value, found->second);
    }
  }
  std::vector<Entry> all;
  table->ForEachInKeyGroups(0, 127, Collect(&all));
  EXPECT_EQ(all.size(), model.size());
  for (const auto& [group, key, ns, value] : all) table->Delete(group, key, ns);
  EXPECT_EQ(table->EntryCount(), 0);
  if (GetParam() == "memory") {
    EXPECT_EQ(table->BytesUsed(), 0);
  }
  EXPECT_TRUE(backend->status().ok()) << backend->status().ToString();
}

TEST(RocksDbStateBackend, WorksInItsDirectoryAndRemovesIt) {
  auto directory = std::filesystem::temp_directory_path() /
                   ("sluice-rocksdb-test-" + std::to_string(::getpid())) / "nested" / "subtask-0";
  {
    RocksDbBackendOptions options;
    options.directory = directory.string();
    auto backend = MakeRocksDbStateBackend(options);
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    StateTable* table = NewTable(backend->get());
    // Enough data to flush memtables into SST files, read back through them.
    std::string value(1000, 'v');
    for (int i = 0; i < 50000; ++i) table->Put(i % 128, "key" + std::to_string(i), "", value);
    EXPECT_TRUE(std::filesystem::exists(directory / "CURRENT"));
    EXPECT_EQ(table->EntryCount(), 50000);
    EXPECT_GT(table->BytesUsed(), 0);
    std::string read;
    ASSERT_TRUE(table->Get(7, "key7", "", &read));
    EXPECT_EQ(read, value);
    EXPECT_TRUE((*backend)->status().ok());
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
  std::filesystem::remove_all(directory.parent_path().parent_path());
}

TEST(RocksDbStateBackend, NamesTheDirectoryItCannotUse) {
  auto file = std::filesystem::temp_directory_path() /
              ("sluice-rocksdb-file-" + std::to_string(::getpid()));
  std::fclose(std::fopen(file.c_str(), "w"));
  RocksDbBackendOptions options;
  options.directory = (file / "state").string();
  auto backend = MakeRocksDbStateBackend(options);
  ASSERT_FALSE(backend.ok());
  EXPECT_NE(backend.status().ToString().find(options.directory), std::string::npos)
      << backend.status().ToString();
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace sluice::runtime::state
