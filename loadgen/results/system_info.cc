#include "loadgen/results/system_info.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/clock.h"

namespace chatd::loadgen {

MachineInfo read_machine_info() {
  MachineInfo m;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    auto colon = line.find(':');
    if (colon != std::string::npos) m.cpu_model = line.substr(line.find_first_not_of(" \t", colon + 1));
    break;
  }
  m.cores = int(sysconf(_SC_NPROCESSORS_ONLN));
  utsname u;
  if (uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release;
    m.hostname = u.nodename;
  }
  return m;
}

int64_t unix_millis() { return wall_clock_micros() / 1000; }

std::string utc_iso8601(int64_t unix_ms) {
  time_t t = time_t(unix_ms / 1000);
  tm u;
  gmtime_r(&t, &u);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.tm_year + 1900, u.tm_mon + 1, u.tm_mday,
                u.tm_hour, u.tm_min, u.tm_sec, int(unix_ms % 1000));
  return buf;
}

}  // namespace chatd::loadgen
