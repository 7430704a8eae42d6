#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "compiler/parser/parser.h"

namespace sluice::parser::testing {

/// Returns this folder: from SLUICE_SOURCE_DIR (set by ctest), else from this file's path.
inline std::string TestDataDir() {
  if (const char* dir = std::getenv("SLUICE_SOURCE_DIR")) {
    return std::string(dir) + "/tests/unit/parser/testdata/";
  }
  std::string file = __FILE__;
  return file.substr(0, file.rfind('/')) + "/testdata/";
}

/// Reads tests/unit/parser/testdata/<name>; fails the test when it is missing or empty.
inline std::string ReadTestData(const std::string& name) {
  std::ifstream file(TestDataDir() + name);
  EXPECT_TRUE(file.good()) << "missing test data " << TestDataDir() + name;
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

/// Renders all errors of a parse as `line:col: message` lines.
inline std::string ErrorsToString(const ParseResult& result) {
  std::string out;
  for (const base::Diagnostic& error : result.errors) {
    out += std::to_string(error.span.line) + ":" + std::to_string(error.span.column) + ": " +
           error.message + "\n";
  }
  return out;
}

/// Parses a text that must hold exactly one statement and no errors; returns its ToString().
inline std::string ParseOne(const std::string& text) {
  ParseResult result = ParseScript(text);
  EXPECT_TRUE(result.ok()) << text << "\n" << ErrorsToString(result);
  EXPECT_EQ(result.statements.size(), 1u) << text;
  if (result.statements.size() != 1) return "";
  return result.statements[0]->ToString();
}

}  // namespace sluice::parser::testing
