// summary.json: every figure of the run, the exact command line and the machine.
#pragma once

#include <string>

#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

std::string summary_json(const RunReport& report);

// Appends a JSON number (shortest round-trip form), or null when not finite.
void append_json_double(std::string& out, double v);

}  // namespace chatd::loadgen
