#include "common/log.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cstdarg>

namespace chatd {
namespace {

std::atomic<int> g_level{int(LogLevel::info)};
thread_local const char* t_name = "main";

const char* level_name(LogLevel l) {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

}  // namespace

bool parse_log_level(std::string_view s, LogLevel* out) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (s == level_name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void set_log_level(LogLevel level) { g_level.store(int(level), std::memory_order_relaxed); }
bool log_enabled(LogLevel level) { return int(level) >= g_level.load(std::memory_order_relaxed); }
void set_log_thread_name(const char* name) { t_name = name; }

void log_line(LogLevel level, const char* fmt, ...) {
  char line[1024];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  int n = snprintf(line, sizeof line, "%02d:%02d:%02d.%03ld %-5s [%s] ", t.tm_hour, t.tm_min,
                   t.tm_sec, ts.tv_nsec / 1000000, level_name(level), t_name);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  size_t len = size_t(n) + (m < 0 ? 0 : std::min<size_t>(size_t(m), sizeof line - n - 2));
  line[len++] = '\n';
  (void)!::write(STDERR_FILENO, line, len);
}

}  // namespace chatd
