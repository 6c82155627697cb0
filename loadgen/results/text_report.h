// The human-readable forms: the live line per step (stderr) and the final table
// (stdout). Pure string building, so tests can read what a person reads.
#pragma once

#include <string>

#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

std::string step_line(const StepReport& step);
std::string steps_table(const RunReport& report);
// "saturation: ..." / "verdict: ..." lines under the table.
std::string run_conclusion(const RunReport& report);
// Cumulative figures so far (interactive `summary`).
std::string totals_line(const RunReport& report, uint32_t clients);

std::string format_ms(int64_t us);    // "1.23"
std::string format_rate(double per_second);  // "512k", "1.23M"

}  // namespace chatd::loadgen
