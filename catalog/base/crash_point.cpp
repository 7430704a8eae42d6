#include "catalog/base/crash_point.h"

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sluice::base {

namespace {

struct CrashSetting {
  std::string point;  // empty: no crash point is set
  long long count = 1;
  std::atomic<long long> reached{0};
};

CrashSetting& Setting() {
  static CrashSetting* setting = [] {
    auto* parsed = new CrashSetting();
    const char* value = std::getenv("SLUICE_TEST_CRASH_AT");
    if (value == nullptr || *value == '\0') return parsed;
    std::string text = value;
    size_t colon = text.rfind(':');
    parsed->point = text.substr(0, colon);
    if (colon != std::string::npos) parsed->count = std::atoll(text.c_str() + colon + 1);
    if (parsed->count < 1) parsed->count = 1;
    return parsed;
  }();
  return *setting;
}

}  // namespace

void CrashPoint(std::string_view point) {
  CrashSetting& setting = Setting();
  if (setting.point.empty() || setting.point != point) return;
  if (setting.reached.fetch_add(1) + 1 != setting.count) return;
  std::fprintf(stderr, "sluice: test crash point '%s' reached: killing the process\n",
               setting.point.c_str());
  std::fflush(stderr);
  ::raise(SIGKILL);
}

}  // namespace sluice::base
