// The results folder: summary.json, steps.csv, steps.om, latency.hgrm and one
// step-NN.hgrm per step. Rewritten whole after every step, so an interrupted or
// crashed run still leaves the steps it completed.
#pragma once

#include <string>

#include "common/result.h"
#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

// results/<UTC timestamp>-<mode>/ (e.g. results/20250102T030405Z-ramp).
std::string default_out_dir(const std::string& mode, int64_t unix_seconds);

// Creates `dir` and its parents as needed.
Result<void> make_dirs(const std::string& dir);

// .hgrm values are milliseconds: the histograms hold microseconds, scaled by 1000.
constexpr double kHgrmUnitScale = 1000.0;

Result<void> write_results(const std::string& dir, const RunReport& report);

Result<void> write_file(const std::string& path, const std::string& content);

}  // namespace chatd::loadgen
