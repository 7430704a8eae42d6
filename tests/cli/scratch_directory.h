#pragma once

// A per-test scratch directory for tests that drive the sluice binary.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sluice::testing_support {

/// Gives each test `directory_`, an empty directory named after the process and the test,
/// removed afterwards, and `Write` to put a file in it.
class ScratchDirectoryTest : public testing::Test {
 protected:
  explicit ScratchDirectoryTest(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 (prefix_ + std::to_string(getpid()) + "-" +
                  testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  /// Writes `text` to `name` inside the directory and returns the file's path.
  std::string Write(const std::string& name, const std::string& text) {
    std::filesystem::path path = directory_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path directory_;

 private:
  std::string prefix_;
};

}  // namespace sluice::testing_support
