// Leveled logging to stderr: one write(2) per line, so lines from shards never interleave.
#pragma once

#include <cstdio>
#include <string_view>

namespace chatd {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

bool parse_log_level(std::string_view s, LogLevel* out);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Set once per thread so log lines say which shard wrote them.
void set_log_thread_name(const char* name);

}  // namespace chatd

#define CHATD_LOG(level, ...)                                          \
  do {                                                                 \
    if (::chatd::log_enabled(level)) ::chatd::log_line(level, __VA_ARGS__); \
  } while (0)
#define LOG_DEBUG(...) CHATD_LOG(::chatd::LogLevel::debug, __VA_ARGS__)
#define LOG_INFO(...) CHATD_LOG(::chatd::LogLevel::info, __VA_ARGS__)
#define LOG_WARN(...) CHATD_LOG(::chatd::LogLevel::warn, __VA_ARGS__)
#define LOG_ERROR(...) CHATD_LOG(::chatd::LogLevel::error, __VA_ARGS__)
