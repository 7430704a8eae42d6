#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

/// Aborts with a message when an internal invariant is broken. Never use it on user input.
#define SLUICE_CHECK(cond, ...)                                                                \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "sluice internal error at %s:%d: check failed: %s: %s\n", __FILE__, \
                   __LINE__, #cond, ::fmt::format(__VA_ARGS__).c_str());                       \
      std::abort();                                                                            \
    }                                                                                          \
  } while (false)
