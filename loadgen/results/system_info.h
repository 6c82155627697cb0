// Facts about the machine and the moment, for summary.json.
#pragma once

#include <cstdint>
#include <string>

#include "loadgen/stats/step_report.h"

namespace chatd::loadgen {

MachineInfo read_machine_info();
std::string utc_iso8601(int64_t unix_ms);  // 2025-01-02T03:04:05.678Z
int64_t unix_millis();

}  // namespace chatd::loadgen
