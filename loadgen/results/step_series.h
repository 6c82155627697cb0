// The per-step series as tables: steps.csv for spreadsheets and plots, steps.om
// (OpenMetrics text with timestamps) for backfilling into Prometheus, e.g.
//   promtool tsdb create-blocks-from openmetrics steps.om ./data
#pragma once

#include <string>
#include <string_view>

#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

std::string steps_csv(const RunReport& report);
// `run` labels every series (the results folder's name).
std::string steps_openmetrics(const RunReport& report, std::string_view run);

}  // namespace chatd::loadgen
