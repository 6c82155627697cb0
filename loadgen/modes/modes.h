// loadgen's modes. Each returns the process exit code: 0 done, 1 failed,
// 2 unusable command line or unreachable server, 130 interrupted.
#pragma once

#include <atomic>
#include <string>

#include "loadgen/cli/options.h"

namespace chatd::loadgen {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

int run_ramp(const Options& options, const std::atomic<bool>& interrupted, const std::string& command_line);
int run_interactive(const Options& options, const std::atomic<bool>& interrupted, const std::string& command_line);
int run_scenario(const Options& options, const std::atomic<bool>& interrupted, const std::string& command_line);
int run_sink(const Options& options, const std::atomic<bool>& interrupted);

}  // namespace chatd::loadgen
