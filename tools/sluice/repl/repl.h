#pragma once

#include <map>
#include <string>

namespace sluice::repl {

/// `sluice repl` flags.
struct ReplOptions {
  bool use_jit = true;
  bool jit_in_background = true;                 // --jit=adaptive
  std::map<std::string, std::string> overrides;  // --set and --parallelism
};

/// Runs the REPL on standard input until `\q`, Ctrl-D or the end of input. Interactive (line
/// editing, history, completion, results redrawn in place) when standard input is a terminal;
/// otherwise reads statements from standard input and prints plain results. Returns the exit
/// status: 0, or 1 when standard input is not a terminal and a statement failed.
int RunRepl(const ReplOptions& options);

/// The `\help` text.
const char* HelpText();

}  // namespace sluice::repl
