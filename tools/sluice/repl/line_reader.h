#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::repl {

/// Offers completions for the word being typed: `line` is the whole input line, `word` the
/// part of it being completed.
using Completer =
    std::function<std::vector<std::string>(const std::string& line, const std::string& word)>;

/// Reads input lines: with libedit (line editing, history, tab completion) on a terminal, or
/// plainly from standard input otherwise.
class LineReader {
 public:
  virtual ~LineReader() = default;
  /// The next line without its line break; nullopt at end of input (Ctrl-D), or when Ctrl-C
  /// interrupted the read (the caller's SIGINT handler tells which).
  virtual std::optional<std::string> ReadLine(const std::string& prompt) = 0;
  /// Remembers an entry (a whole statement) in the persistent history.
  virtual void AddHistory(const std::string& entry) = 0;

  /// A libedit reader keeping its history in `history_file` ("" for none).
  static std::unique_ptr<LineReader> Interactive(const std::string& history_file,
                                                 Completer completer);
  /// Reads standard input as it is: no prompt, no history.
  static std::unique_ptr<LineReader> Plain();
};

/// The history file: $SLUICE_HISTORY, else ~/.sluice_history ("" when neither is known).
std::string DefaultHistoryFile();

}  // namespace sluice::repl
